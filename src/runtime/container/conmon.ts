/**
 * Creating a container under conmon (runtime-notes §2). conmon double-forks, so the
 * monitor outlives the agent (reparented to PID 1); it runs `<runtime> create`, copies
 * the container's stdout/stderr into a k8s-file log, and writes the exit status to
 * `exits/<id>` when the container ends. It never runs `start`: the agent does, after
 * conmon reported the container's pid on the sync pipe (starting earlier races `create`).
 */

import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { launch, LaunchTimeoutError } from '../../lib/launcher.ts';
import { ContainerStartError, RuntimeUnavailableError } from './errors.ts';
import { findExecutable } from '../../lib/executables.ts';
import type { OciRuntime } from './oci-runtime.ts';
import { statePaths } from './state-dir.ts';

/** conmon's sync pipe fd in its environment (`_OCI_SYNCPIPE`); fd 3 is the first after stdio. */
const SYNC_FD = 3 as const;
/**
 * How long `create` may take before conmon reports the pid. A create is ~20–35 ms here
 * (runtime-notes §1); this only catches a hung runtime.
 */
export const CREATE_TIMEOUT_MS = 30_000;
/** Log size at which conmon truncates the log (it keeps no rotated copy): kubelet's default containerLogMaxSize, 10 MiB. */
export const DEFAULT_LOG_SIZE_MAX = 10 * 1024 * 1024;

export interface ConmonOptions {
  readonly id: string;
  /** The bundle (holding config.json) and conmon's persist dir. */
  readonly stateDir: string;
  readonly runtime: OciRuntime;
  /** The k8s-file log: `<RFC3339Nano> stdout|stderr F|P <text>` lines. */
  readonly logPath: string;
  readonly logSizeMax?: number | undefined;
  /**
   * Open the container's stdin (`-i`): a pipe conmon holds, fed from its attach socket
   * (attach.ts). Without it stdin is /dev/null, as for every other container.
   */
  readonly stdin?: boolean | undefined;
  /** With `stdin`: an attach client that ends its input closes stdin (Kubernetes stdinOnce); otherwise conmon leaves it open (`--leave-stdin-open`). */
  readonly stdinOnce?: boolean | undefined;
  /**
   * The container on a terminal (`-t`; its config.json must say `process.terminal: true`):
   * conmon makes a console socket, passes it to `<runtime> create --console-socket`, and
   * receives the pty's master side over it (SCM_RIGHTS). The container's stdin, stdout and
   * stderr are then the pty's one stream: conmon logs it as stdout, copies it to attached
   * clients as stdout, writes their input into it, and resizes it from the `ctl` FIFO.
   */
  readonly terminal?: boolean | undefined;
}

let conmonPath: string | undefined;

export function conmonBinary(): string {
  const path = (conmonPath ??= findExecutable('conmon'));
  if (path === undefined) throw new RuntimeUnavailableError('conmon (the container monitor)', 'conmon');
  return path;
}

export function conmonArgs(o: ConmonOptions): string[] {
  const p = statePaths(o.stateDir, o.id);
  return [
    '--api-version', '1',
    '-c', o.id, '-u', o.id, '-n', o.id,
    '-r', o.runtime.createCommand[0]!,
    ...[...o.runtime.createCommand.slice(1), '--root', o.runtime.root].flatMap((a) => ['--runtime-arg', a]),
    '-b', o.stateDir,
    '-p', p.pidfile,
    '-P', p.conmonPid,
    '--exit-dir', p.exitDir,
    '--persist-dir', o.stateDir,
    '--socket-dir-path', p.socketDir,
    '-l', `k8s-file:${o.logPath}`,
    '--log-size-max', String(o.logSizeMax ?? DEFAULT_LOG_SIZE_MAX),
    ...(o.terminal ? ['-t'] : []),
    ...(o.stdin ? ['-i', ...(o.stdinOnce ? [] : ['--leave-stdin-open'])] : []),
  ];
}

/**
 * Starts conmon, which creates (not starts) the container. Resolves with the container's
 * pid once conmon reports it; rejects with the runtime's own message when create failed.
 */
export async function createUnderConmon(o: ConmonOptions): Promise<number> {
  const p = statePaths(o.stateDir, o.id);
  mkdirSync(p.exitDir, { recursive: true });
  mkdirSync(p.socketDir, { recursive: true });
  mkdirSync(dirname(o.logPath), { recursive: true });
  // stderr to a file, not a pipe: conmon outlives us, and a pipe without a reader would kill
  // it with SIGPIPE. The launcher's shell runs in its own session, so conmon does too.
  let line: string;
  try {
    const r = await launch(conmonBinary(), conmonArgs(o), {
      cwd: '/',
      extraEnv: { _OCI_SYNCPIPE: String(SYNC_FD) },
      stderrFile: p.conmonErr,
      resultFd: SYNC_FD,
      timeoutMs: CREATE_TIMEOUT_MS,
    });
    line = r.stdout.trim();
  } catch (e) {
    if (e instanceof LaunchTimeoutError) throw new ContainerStartError(`conmon reported nothing within ${CREATE_TIMEOUT_MS} ms`);
    throw e;
  }
  const conmonErr = () => readFileSync(p.conmonErr, 'utf8').trim();
  if (line === '') throw new ContainerStartError(`conmon exited without reporting the container: ${conmonErr() || 'no message'}`);
  let msg: { data?: number; message?: string };
  try {
    msg = JSON.parse(line) as typeof msg;
  } catch {
    throw new ContainerStartError(`conmon sent an unreadable sync message ${JSON.stringify(line)}`);
  }
  if (typeof msg.data !== 'number' || msg.data <= 0) {
    throw new ContainerStartError(cleanMessage(msg.message ?? conmonErr()) || 'create failed without a message');
  }
  return msg.data;
}

/** conmon prefixes the runtime's stderr with its own words; the runtime's part is what a user can act on. */
function cleanMessage(m: string): string {
  return m.replace(/\s+/g, ' ').trim();
}
