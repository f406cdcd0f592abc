/**
 * The one stop sequence of a container, whatever runs it (conmon and crun, or a runsc
 * sandbox): ECS StopTask's stop signal, a wait of `stopTimeout`, then SIGKILL and a
 * short wait for the kernel to finish it. Both `Container.stop` and the gVisor backend's
 * containers call {@link stopSequence}; what differs between them (how a signal is sent,
 * how an exit is seen) is the {@link Stoppable} they hand it.
 */

import type { ExitStatus } from './exit-status.ts';
import { signalNumber, signalOfExitCode, SIGNAL_EXIT_BASE } from './signals.ts';

/** After SIGKILL the kernel tears the container down in milliseconds; this only bounds a wedged one (D state, NFS). */
export const KILL_WAIT_MS = 10_000;

/** What the stop sequence needs of a container. */
export interface Stoppable {
  readonly id: string;
  /** How it ended, or undefined while it runs. */
  exitStatus(): ExitStatus | undefined;
  /** Sends the signal (a name `normalizeSignal` accepts) and remembers it; one that already ended is not an error. */
  kill(signal: string): Promise<void>;
  /** The exit status once it ends; undefined after `timeoutMs`. */
  wait(timeoutMs: number): Promise<ExitStatus | undefined>;
}

/**
 * `signal` (the image's StopSignal, else SIGTERM), then SIGKILL if the container is still
 * running after `timeoutSeconds`. A container that already ended gets no signal. Rejects
 * when it outlives SIGKILL by {@link KILL_WAIT_MS}.
 */
export async function stopSequence(c: Stoppable, signal: string, timeoutSeconds: number, killWaitMs = KILL_WAIT_MS): Promise<ExitStatus> {
  const done = c.exitStatus();
  if (done) return done;
  await c.kill(signal);
  const graceful = await c.wait(timeoutSeconds * 1000);
  if (graceful) return graceful;
  await c.kill('SIGKILL');
  const killed = await c.wait(killWaitMs);
  if (!killed) throw new Error(`container ${c.id} did not exit within ${killWaitMs} ms of SIGKILL`);
  return killed;
}

/**
 * The exit status of a container that ended unwatched after Berth signalled it: what the
 * signal would have made of it (128+n, the signal's name), as both kinds report it.
 */
export function signalledExit(lastSignal: string, oomKilled: boolean): ExitStatus {
  const exitCode = SIGNAL_EXIT_BASE + signalNumber(lastSignal);
  return { exitCode, oomKilled, ...(signalOfExitCode(exitCode) ? { signal: signalOfExitCode(exitCode) } : {}) };
}
