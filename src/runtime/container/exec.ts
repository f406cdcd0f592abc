/**
 * Running a command in a running container (`<runtime> exec`): health checks and
 * `berth exec`. The process gets the container's namespaces, cgroup, capabilities,
 * seccomp filter and environment; `env`, `user` and `cwd` adjust them.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OciRuntime } from './oci-runtime.ts';
import { readNumberFile } from './state-dir.ts';

/** Output kept per stream; more is dropped (ECS keeps far less of a health check's output). */
export const EXEC_OUTPUT_LIMIT_BYTES = 1024 * 1024;
/** Without a timeout of its own, an exec may run this long (a `berth exec` of a shell command). */
export const DEFAULT_EXEC_TIMEOUT_MS = 10 * 60 * 1000;
/** After killing a timed-out command, how long its runtime process gets to reap it and exit. */
const EXEC_KILL_GRACE_MS = 5_000;
/** Exit code reported for a command killed at its timeout: 128 + SIGKILL, as a shell reports it. */
export const EXEC_TIMEOUT_EXIT_CODE = 137;

export interface ExecOptions {
  /** `NAME=value` entries, added to (and overriding) the container's environment. */
  readonly env?: readonly string[];
  /** The container's own environment (its config.json `process.env`). */
  readonly baseEnv?: readonly string[];
  /** Set no_new_privs on the process, as the container's own process has it (neither runtime copies it to exec'd processes). */
  readonly noNewPrivileges?: boolean;
  /** `uid[:gid]`, numeric; default the container's user. */
  readonly user?: string;
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** The runtime's `exec` arguments (after the binary) for `args` in container `id`. */
export function execArgv(rt: OciRuntime, id: string, args: readonly string[], opts: ExecOptions, pidFile: string): string[] {
  const argv = ['--root', rt.root, 'exec', '--pid-file', pidFile];
  // crun's --env replaces the environment where runc's adds to it: pass the whole merged list.
  for (const e of mergeEnv(opts.baseEnv ?? [], opts.env ?? [])) argv.push('--env', e);
  if (opts.user !== undefined) argv.push('--user', opts.user);
  if (opts.cwd !== undefined) argv.push('--cwd', opts.cwd);
  if (opts.noNewPrivileges) argv.push('--no-new-privs');
  argv.push(id, ...args);
  return argv;
}

export async function execInContainer(rt: OciRuntime, id: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  if (args.length === 0) throw new Error('exec needs a command');
  if (opts.user !== undefined && !/^[0-9]+(:[0-9]+)?$/.test(opts.user)) throw new Error(`exec user ${JSON.stringify(opts.user)} must be uid or uid:gid`);
  const scratch = mkdtempSync(join(tmpdir(), 'berth-exec-'));
  const pidFile = join(scratch, 'pid');
  const argv = execArgv(rt, id, args, opts, pidFile);
  try {
    return await new Promise<ExecResult>((resolve, reject) => {
      const child = spawn(rt.binary, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
      const out = collector();
      const err = collector();
      child.stdout.on('data', out.add);
      child.stderr.on('data', err.add);
      let timedOut = false;
      let backstop: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => {
        timedOut = true;
        // Kill the command, not `<runtime> exec`: the runtime is the command's parent and
        // reaps it. Killed first, the runtime would orphan the command to a host reaper,
        // and the container's init could not finish exiting until that reaper got to it
        // (measured: 1.4 s of a stuck `zap_pid_ns_processes` on a later stop).
        const pid = readNumberFile(pidFile);
        try {
          if (pid !== undefined) process.kill(pid, 'SIGKILL');
          else child.kill('SIGKILL'); // not started yet: nothing to orphan
        } catch {
          // already gone
        }
        backstop = setTimeout(() => child.kill('SIGKILL'), EXEC_KILL_GRACE_MS);
      }, opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS);
      child.on('error', (e) => {
        clearTimeout(timer);
        clearTimeout(backstop);
        reject(e);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        clearTimeout(backstop);
        const exitCode = timedOut ? EXEC_TIMEOUT_EXIT_CODE : code ?? 128 + (signal === null ? 0 : 9);
        resolve({ exitCode, stdout: out.text(), stderr: err.text(), timedOut });
      });
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** `base` with `extra` applied by name, order kept. */
export function mergeEnv(base: readonly string[], extra: readonly string[]): string[] {
  const vars = new Map<string, string>();
  for (const e of [...base, ...extra]) {
    const i = e.indexOf('=');
    vars.set(i < 0 ? e : e.slice(0, i), e);
  }
  return [...vars.values()];
}

function collector(): { add: (b: Buffer) => void; text: () => string } {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    add: (b: Buffer) => {
      if (size >= EXEC_OUTPUT_LIMIT_BYTES) return;
      const part = b.subarray(0, EXEC_OUTPUT_LIMIT_BYTES - size);
      chunks.push(part);
      size += part.length;
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}
