/**
 * `attachObject()`: libbpf's skeleton `__attach()` — every loaded program attached from its
 * SEC() name, the links kept together and closed together.
 */
import { autoAttach } from '../links/attach.js';
import type { Link, LinkGroup } from '../links/link.js';
import type { BpfObject } from './bpf-object.js';
import { matchSection } from './section-defs.js';

/** The name of the map libbpf's `usdt.bpf.h` keeps USDT argument specs in. */
const USDT_SPECS_MAP = '__bpf_usdt_specs';

/**
 * The links {@link attachObject} made, by program name. Closing (or disposing) detaches them all,
 * last attached first.
 */
export class ObjectLinks implements Disposable {
  /** Each attached program's link (a `LinkGroup` for multi-site hooks such as USDT), in program order. */
  readonly links: ReadonlyMap<string, Link | LinkGroup>;
  #closed = false;

  /** @internal Built by {@link attachObject}. */
  constructor(links: ReadonlyMap<string, Link | LinkGroup>) {
    this.links = links;
  }

  /** The link of the program called `name`, when it was attached. */
  link(name: string): Link | LinkGroup | undefined {
    return this.links.get(name);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Detaches every link (all are attempted; the first failure is rethrown). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    let first: unknown;
    for (const l of [...this.links.values()].reverse()) {
      try {
        l.close();
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== undefined) throw first;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Attaches every program of a loaded object whose SEC() name says where (libbpf's
 * `bpf_object__attach_skeleton()`): `tp/sched/sched_process_exec`, `uprobe/...`, `tp_btf/...`,
 * ... Programs whose section names no target (`xdp`, `tc`, `SEC("uprobe")`, cgroup hooks) are
 * left for the caller, as libbpf skips them too. When one attach fails, the links made so far are
 * closed and the error (a `LinkError` or `NotSupportedError` from the links layer) is rethrown.
 *
 * @example
 * ```ts
 * using obj = await loadObject('examples/bootstrap/bootstrap.bpf.o');
 * using links = attachObject(obj);
 * console.log([...links.links.keys()]); // [ 'handle_exec', 'handle_exit' ]
 * ```
 */
export function attachObject(obj: BpfObject): ObjectLinks {
  const usdtSpecs = obj.map(USDT_SPECS_MAP);
  const context = usdtSpecs === undefined ? {} : { usdtSpecsMap: { fd: usdtSpecs.fd.fd, id: usdtSpecs.id, maxEntries: usdtSpecs.maxEntries } };
  const made = new Map<string, Link | LinkGroup>();
  try {
    for (const program of obj.programs.values()) {
      const link = autoAttach(program, matchSection(program.section), context);
      if (link !== undefined) made.set(program.name, link);
    }
  } catch (e) {
    try {
      new ObjectLinks(made).close();
    } catch {
      // The attach failure is the error to report; a detach failing as well adds nothing.
    }
    throw e;
  }
  return new ObjectLinks(made);
}
