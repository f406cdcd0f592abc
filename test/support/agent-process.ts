import { spawn, type ChildProcess } from 'node:child_process';
import { berthDaemonMain } from './berth.ts';
import { assertHostTest } from './host-only.ts';

export interface AgentRun {
  readonly child: ChildProcess;
  /** Its container instance, once it printed it. */
  readonly arn?: string;
  /** Its exit code, when it ended instead. */
  readonly code?: number;
  readonly out: string;
}

/**
 * `berth agent` as a separate process joining `endpoint`'s `cluster`: resolves once it
 * printed its instance, or with its exit and output (or after 60 s with what it said).
 */
export function startAgentProcess(o: { endpoint: string; cluster: string; dataDir: string; args?: readonly string[]; env?: NodeJS.ProcessEnv }): Promise<AgentRun> {
  assertHostTest('berth agent');
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', berthDaemonMain(), 'agent', '--join', o.endpoint, '--cluster', o.cluster, '--data-dir', o.dataDir, ...(o.args ?? [])],
    { stdio: ['ignore', 'pipe', 'pipe'], ...(o.env && { env: o.env }) });
  let out = '';
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ child, out }), 60_000);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const arn = /Agent running as (\S+)/.exec(out)?.[1];
      if (arn) { clearTimeout(timer); resolve({ child, arn, out }); }
    });
    child.once('exit', (code) => { clearTimeout(timer); resolve({ child, code: code ?? -1, out }); });
  });
}

/** SIGTERM, and wait until it has exited (at once if it already has). */
export async function stopAgentProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}
