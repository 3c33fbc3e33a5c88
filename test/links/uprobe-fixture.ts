import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';

/** test/links/fixtures/uprobe-target.c compiled into a temporary directory. */
export interface UprobeTarget {
  readonly path: string;
  /** Runs it to completion with `n` iterations. */
  run(n: number): void;
  /** Starts it waiting on stdin; `go()` lets it run `n` iterations and resolves at exit. */
  startWaiting(n: number): { readonly child: ChildProcess; readonly pid: number; go(): Promise<void> };
  remove(): void;
}

export function buildUprobeTarget(): UprobeTarget {
  const dir = mkdtempSync(join(tmpdir(), 'bpfts-uprobe-'));
  const path = join(dir, 'uprobe-target');
  execFileSync('gcc', ['-O2', '-g', '-o', path, join(REPO_ROOT, 'test', 'links', 'fixtures', 'uprobe-target.c')]);
  return {
    path,
    run(n) {
      execFileSync(path, [String(n)]);
    },
    startWaiting(n) {
      const child = spawn(path, [String(n), 'wait'], { stdio: ['pipe', 'ignore', 'ignore'] });
      const exited = new Promise<void>((resolve, reject) => {
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`uprobe-target exited with ${code}`))));
      });
      return {
        child,
        pid: child.pid as number,
        go() {
          child.stdin?.end('go\n');
          return exited;
        },
      };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
