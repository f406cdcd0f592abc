/**
 * Running runsc: plain for most commands; where runsc sets up the task's network (create
 * and start of a sandbox, create of its containers) under {@link hiddenNetSysctlCommand}.
 */

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { launch, type LaunchResult } from '../../lib/launcher.ts';
import { hiddenNetSysctlCommand, type RunscSettings } from './gvisor-spec.ts';

/** A runsc command other than wait: create, start, kill, state, delete take well under a second; this bounds a wedged one. */
export const RUNSC_COMMAND_TIMEOUT_MS = 30_000;

export class RunscError extends Error {
  override name = 'RunscError';
  readonly code: number;
  readonly stderr: string;
  constructor(what: string, r: LaunchResult) {
    const text = (r.stderr.trim() || r.stdout.trim()).split('\n').filter(Boolean).pop() ?? '';
    super(`runsc ${what} exited ${r.code}: ${text}`);
    this.code = r.code;
    this.stderr = r.stderr;
  }
}

export interface Runsc extends RunscSettings {
  readonly unshare: string;
}

/** `runsc --root R <args>`; rejects with {@link RunscError} on a status other than 0. */
export async function runsc(rs: Runsc, args: readonly string[], timeoutMs = RUNSC_COMMAND_TIMEOUT_MS): Promise<LaunchResult> {
  const r = await launch(rs.binary, ['--root', rs.root, ...args], { timeoutMs });
  if (r.code !== 0) throw new RunscError(args[0] ?? '', r);
  return r;
}

/** runsc with the network check's workaround, its stdout and stderr appended to `output`. */
export async function runscNetworked(rs: Runsc, flags: readonly string[], args: readonly string[], output = '/dev/null'): Promise<void> {
  const [file, ...rest] = hiddenNetSysctlCommand(rs.unshare, rs.binary);
  await runscTo(output, [file!, ...rest, ...flags, ...args], args[0] ?? '');
}

/**
 * `runsc start` of a sandbox's member, its stdout and stderr appended to `log`: runsc hands
 * the container the stdio of the start command, so they become the container's own,
 * written by the sandbox. The member's file proxy starts here too, with this command's
 * flags (`flags`: the overlay's file store among them; without them its writes would go
 * to a file store beside its root filesystem, unbounded).
 */
export async function runscStartTo(rs: Runsc, flags: readonly string[], id: string, log: string): Promise<void> {
  await runscTo(log, [rs.binary, ...flags, 'start', id], 'start');
}

async function runscTo(output: string, argv: readonly string[], what: string): Promise<void> {
  const r = await launch('/bin/sh', ['-c', 'out=$1; shift; exec "$@" >>"$out" 2>&1', 'sh', output, ...argv], { timeoutMs: RUNSC_COMMAND_TIMEOUT_MS });
  if (r.code !== 0) throw new RunscError(what, { ...r, stderr: r.stderr || tailOf(output) });
}

function tailOf(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(-2000);
  } catch {
    return '';
  }
}

/**
 * `runsc wait <id>`: the container's exit status once it ends ({"exitStatus": N}, 128+n
 * for signal n), read again after an agent restart as long as the sandbox lives (runsc
 * keeps it until delete). A child process of the agent's own (not the launcher's), so
 * that an aborted wait kills it: one per running container.
 */
export function runscWait(rs: Runsc, id: string, signal?: AbortSignal): Promise<{ exitStatus: number } | { error: string } | undefined> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(undefined);
    const child = spawn(rs.binary, ['--root', rs.root, 'wait', id], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const abort = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', abort, { once: true });
    child.on('error', (e) => resolve({ error: e.message }));
    child.on('close', (code) => {
      signal?.removeEventListener('abort', abort);
      if (signal?.aborted) return resolve(undefined);
      try {
        const parsed = JSON.parse(out) as { exitStatus?: number };
        if (code === 0 && typeof parsed.exitStatus === 'number') return resolve({ exitStatus: parsed.exitStatus });
      } catch { /* not JSON: an error */ }
      resolve({ error: (err.trim() || out.trim() || `exit ${code}`).split('\n').pop()! });
    });
  });
}

/** `runsc state <id>`'s status (created, running, stopped), or undefined when runsc knows no such container. */
export async function runscStatus(rs: Runsc, id: string): Promise<{ status: string; pid: number } | undefined> {
  const r = await launch(rs.binary, ['--root', rs.root, 'state', id], { timeoutMs: RUNSC_COMMAND_TIMEOUT_MS });
  if (r.code !== 0) return undefined;
  try {
    const s = JSON.parse(r.stdout) as { status?: string; pid?: number };
    return s.status ? { status: s.status, pid: s.pid ?? -1 } : undefined;
  } catch {
    return undefined;
  }
}
