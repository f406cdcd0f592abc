/**
 * The agent's end of ECS Exec: interactive commands the control plane opened (execOpen),
 * each on a terminal in a task's container, their keystrokes in (execInput) and their
 * output and end out (execOutput, execExit). One entry per open command, removed at its
 * end or cancel. An execOpen with `attach` is `kubectl attach -i`: no command, the
 * container's own process through conmon's attach socket (runtime/container/attach.ts),
 * relayed the same way.
 */
import type { AgentMessage, ServerMessage } from './protocol.ts';
import type { TaskContainer } from '../runtime/sandbox/index.ts';
import type { InteractiveExec, OnOutput } from '../runtime/container/interactive-exec.ts';
import type { Attached } from '../runtime/container/attach.ts';

/** Interactive commands open at once on one agent: each holds a pty and two processes. */
export const MAX_INTERACTIVE_EXECS = 64;

/**
 * Why an attach cannot be served: the container's sandbox (gVisor, for Fargate) runs it
 * without conmon, so nothing holds its stdin or a terminal for it (`stdin` and `tty` are
 * not honoured there: it runs on its log).
 */
const NO_ATTACH = (container: string) => `${container} runs in a gVisor sandbox (Fargate), where Berth cannot attach: the container runs without stdin and without a terminal there; use kubectl exec -it for a shell, or kubectl logs -f for its output`;

type Answer = (msg: Extract<AgentMessage, { type: 'execOutput' | 'execExit' }>) => void;

export class InteractiveExecs {
  /** Each open command, with the session (`owner`) that opened it: it ends with that session's connection. */
  readonly #open = new Map<string, { proc: InteractiveExec; owner: unknown }>();

  /**
   * Handles one exec message from `owner` (the agent session it came on); `containerOf`
   * finds a running task's container on this host.
   */
  handle(owner: unknown, req: Extract<ServerMessage, { type: 'execOpen' | 'execInput' | 'execResize' | 'cancel' }>, containerOf: (taskArn: string, name: string) => TaskContainer | undefined, answer: Answer): void {
    if (req.type === 'execInput') {
      const proc = this.#open.get(req.id)?.proc;
      if (req.data.length > 0) proc?.write(Buffer.from(req.data, 'base64'));
      if (req.eof) proc?.endInput();
      return;
    }
    if (req.type === 'execResize') return this.#open.get(req.id)?.proc.resize(req.cols, req.rows);
    if (req.type === 'cancel') { this.#open.get(req.id)?.proc.kill(); return; }
    const container = containerOf(req.taskArn, req.container);
    if (!container) return answer({ type: 'execExit', id: req.id, error: `${req.container} of ${req.taskArn} is not running on this host` });
    if (req.attach && !container.attach) return answer({ type: 'execExit', id: req.id, error: NO_ATTACH(req.container) });
    if (!req.attach && !container.interactive) return answer({ type: 'execExit', id: req.id, error: `${req.container} runs in a sandbox that has no interactive exec yet` });
    if (this.#open.size >= MAX_INTERACTIVE_EXECS) return answer({ type: 'execExit', id: req.id, error: `this host already has ${MAX_INTERACTIVE_EXECS} exec sessions open: close one and try again` });
    const onOutput: OnOutput = (data, stream) => answer({ type: 'execOutput', id: req.id, data: data.toString('base64'), ...(stream === 'stderr' && { stream }) });
    let proc: InteractiveExec;
    try {
      proc = req.attach ? attachedAsExec(container.attach!(onOutput)) : container.interactive!(req.command, onOutput, { tty: req.tty !== false });
    } catch (e) {
      return answer({ type: 'execExit', id: req.id, error: (e as Error).message });
    }
    this.#open.set(req.id, { proc, owner });
    proc.done.then((exitCode) => {
      this.#open.delete(req.id);
      answer({ type: 'execExit', id: req.id, exitCode });
    }, (e: Error) => {
      this.#open.delete(req.id);
      answer({ type: 'execExit', id: req.id, error: e.message });
    });
  }

  /** Kills the commands `owner` opened: its connection ended, and nobody can type into them or read them any more. */
  closeOwner(owner: unknown): void {
    for (const o of this.#open.values()) if (o.owner === owner) o.proc.kill();
  }

  closeAll(): void {
    for (const o of this.#open.values()) o.proc.kill();
  }

  get size(): number {
    return this.#open.size;
  }
}

/**
 * An attach as the open commands are kept: killing it detaches (the container's process is
 * not the attach's to end), and its end is 0, as the kubelet ends an attach with Success
 * however the process exits (its code is the pod's status).
 */
function attachedAsExec(a: Attached): InteractiveExec {
  return { write: (d) => a.write(d), endInput: () => a.endInput(), resize: (cols, rows) => a.resize(cols, rows), kill: () => a.close(), done: a.done.then(() => 0) };
}
