import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';

/** What a command run as the unprivileged user printed and returned. */
export interface UserRun {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * A throwaway system user without privileges (no home, no shell, no capabilities), for tests
 * that must see what a non-root user meets. `remove()` deletes it; tests call it in `after`.
 */
export class UnprivilegedUser {
  private constructor(
    readonly name: string,
    readonly uid: number,
  ) {}

  /** Creates the user with `useradd` (needs root and the `passwd` package). */
  static create(): UnprivilegedUser {
    const name = `bpfts-${randomBytes(4).toString('hex')}`;
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name], { stdio: 'pipe' });
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    return new UnprivilegedUser(name, uid);
  }

  /** True when `useradd` and `runuser` exist here. */
  static available(): boolean {
    return ['/usr/sbin/useradd', '/usr/sbin/runuser', '/sbin/runuser'].filter((p) => existsSync(p)).length >= 2;
  }

  /**
   * Runs `node ARGS` as this user, from `cwd`. `inheritFds` are passed on as fds 3, 4, ...
   * (e.g. a program loaded by root, to try attaching it without privileges).
   */
  node(args: readonly string[], cwd: string, options: { readonly timeoutMs?: number; readonly inheritFds?: readonly number[] } = {}): UserRun {
    const stdio = ['ignore', 'pipe', 'pipe', ...(options.inheritFds ?? [])] as Array<'ignore' | 'pipe' | number>;
    const r = spawnSync('runuser', ['-u', this.name, '--', process.execPath, ...args], { cwd, encoding: 'utf8', timeout: options.timeoutMs ?? 60_000, stdio });
    return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
  }

  /** Deletes the user. Its commands ran synchronously with a timeout, so none is left running. */
  remove(): void {
    execFileSync('userdel', [this.name], { stdio: 'pipe' });
  }
}
