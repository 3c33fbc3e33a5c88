import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttachTypeName,
  BtfInfoLayout,
  LinkInfoLayout,
  LinkTypeName,
  MapInfoLayout,
  MapTypeName,
  ProgInfoLayout,
  ProgTypeName,
} from '../../src/sys/index.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { requireTool } from '../helpers/privileges.js';

const CLANG = '/usr/bin/clang';

/** Compiles and runs a C program; returns stdout, or the compiler's stderr on failure. */
function runC(source: string, libs: string[] = []): { ok: true; out: string } | { ok: false; err: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bpfts-uapi-'));
  try {
    writeFileSync(join(dir, 'p.c'), source);
    try {
      execFileSync(CLANG, ['-w', '-o', join(dir, 'p'), join(dir, 'p.c'), ...libs], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      return { ok: false, err: String((e as { stderr?: Buffer }).stderr ?? e) };
    }
    return { ok: true, out: execFileSync(join(dir, 'p'), { encoding: 'utf8' }) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Offsets from the C compiler for every member our generated layout names that the installed
 * UAPI headers (older than the kernel they were generated from) also have.
 */
function offsetsFromHeaders(struct: string, layout: Readonly<Record<string, number>>): Map<string, number> {
  let fields = Object.keys(layout).filter((k) => k !== 'SIZE' && !k.includes(':'));
  for (let attempt = 0; attempt < 3; attempt++) {
    const lines = fields.map((f, i) => `  printf("%d %zu\\n", ${i}, __builtin_offsetof(struct ${struct}, ${f}));`);
    const r = runC(`#include <stdio.h>\n#include <linux/bpf.h>\nint main(void) {\n${lines.join('\n')}\n  return 0;\n}\n`);
    if (r.ok) {
      const result = new Map<string, number>();
      for (const line of r.out.trim().split('\n')) {
        const [i, off] = line.split(' ').map(Number);
        result.set(fields[i as number] as string, off as number);
      }
      return result;
    }
    // Drop members these headers do not know ("no member named 'x' in ...") and retry.
    const missing = new Set([...r.err.matchAll(/no member named '([a-z_0-9]+)'/g)].map((m) => m[1]));
    const before = fields.length;
    fields = fields.filter((f) => !missing.has(f.split('.').at(-1)) && !f.split('.').some((p) => missing.has(p)));
    if (fields.length === before) throw new Error(`cannot compile the offset probe:\n${r.err}`);
  }
  throw new Error('offset probe did not converge');
}

describe('sys/uapi: generated UAPI tables', () => {
  it('regenerating from this kernel BTF reproduces the committed table (same kernel: every line)', function () {
    if (!existsSync('/sys/kernel/btf/vmlinux')) this.skip();
    const generated = execFileSync('node', [join(REPO_ROOT, 'scripts', 'gen-sys-uapi.mjs')], { encoding: 'utf8' }).split('\n');
    const committed = readFileSync(join(REPO_ROOT, 'src', 'sys', 'uapi.ts'), 'utf8').split('\n');
    const release = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
    if ((committed[1] ?? '').includes(`Linux ${release} `)) {
      // Line 2 names the kernel; everything else must be reproduced exactly.
      const fresh = new Set(generated.slice(2));
      expect(committed.slice(2).filter((l) => !fresh.has(l)), 'committed lines the kernel BTF no longer produces').to.deep.equal([]);
      return;
    }
    // Another kernel may know more or fewer enumerators and fields, but UAPI is append-only:
    // whatever both have must agree.
    const entries = (lines: string[]): Map<string, string> => {
      const m = new Map<string, string>();
      let section = '';
      for (const l of lines) {
        const head = /^export const (\w+)/.exec(l);
        if (head) section = head[1] as string;
        const kv = /^\s+\[?'?([\w.:]+)'?,?\s*'?([\w.]*)'?\]?:?\s*([\w']*)/.exec(l);
        if (kv && section !== '') m.set(`${section}/${kv[1]}`, l.trim());
      }
      return m;
    };
    const fresh = entries(generated);
    let compared = 0;
    for (const [key, line] of entries(committed)) {
      const other = fresh.get(key);
      if (other === undefined || key.endsWith('/SIZE')) continue;
      expect(line, key).to.equal(other);
      compared++;
    }
    expect(compared).to.be.greaterThan(100);
  });

  for (const [struct, layout] of [
    ['bpf_prog_info', ProgInfoLayout],
    ['bpf_map_info', MapInfoLayout],
    ['bpf_btf_info', BtfInfoLayout],
    ['bpf_link_info', LinkInfoLayout],
  ] as const) {
    it(`${struct} offsets agree with the C compiler on the installed UAPI headers`, function () {
      requireTool(this, CLANG);
      const fromC = offsetsFromHeaders(struct, layout as unknown as Record<string, number>);
      // The headers may be older than the kernel, but not so old they lack the basics.
      expect(fromC.size).to.be.greaterThan(4);
      for (const [field, off] of fromC) expect((layout as unknown as Record<string, number>)[field], `${struct}.${field}`).to.equal(off);
    });
  }

  it('type names match libbpf_bpf_*_str() for every value the installed libbpf knows', function () {
    requireTool(this, CLANG);
    if (!existsSync('/usr/lib/x86_64-linux-gnu/libbpf.so') && !existsSync('/usr/lib/libbpf.so')) this.skip();
    const r = runC(
      `#include <stdio.h>
#include <bpf/libbpf.h>
int main(void) {
  for (int i = 0; i < 128; i++) {
    const char *p = libbpf_bpf_prog_type_str(i), *m = libbpf_bpf_map_type_str(i);
    const char *a = libbpf_bpf_attach_type_str(i), *l = libbpf_bpf_link_type_str(i);
    printf("%d %s %s %s %s\\n", i, p ? p : "-", m ? m : "-", a ? a : "-", l ? l : "-");
  }
  return 0;
}
`,
      ['-lbpf'],
    );
    if (!r.ok) throw new Error(r.err);
    let compared = 0;
    for (const line of r.out.trim().split('\n')) {
      const [i, p, m, a, l] = line.split(' ');
      const v = Number(i);
      for (const [libbpf, ours] of [[p, ProgTypeName], [m, MapTypeName], [a, AttachTypeName], [l, LinkTypeName]] as const) {
        if (libbpf === '-' || libbpf === undefined) continue;
        expect(ours.get(v), `value ${v}: libbpf says ${libbpf}`).to.equal(libbpf);
        compared++;
      }
    }
    expect(compared).to.be.greaterThan(100);
  });
});
