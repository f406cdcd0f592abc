/**
 * The agent's end of ECS Exec: interactive commands the control plane opened (execOpen),
 * each on a terminal in a task's container, their keystrokes in (execInput) and their
 * output and end out (execOutput, execExit). One entry per open command, removed at its
 * end or cancel.
 */
import type { AgentMessage, ServerMessage } from './protocol.ts';
import type { TaskContainer } from '../runtime/sandbox/index.ts';
import type { InteractiveExec } from '../runtime/container/interactive-exec.ts';

/** Interactive commands open at once on one agent: each holds a pty and two processes. */
export const MAX_INTERACTIVE_EXECS = 64;

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
    if (!container.interactive) return answer({ type: 'execExit', id: req.id, error: `${req.container} runs in a sandbox that has no interactive exec yet` });
    if (this.#open.size >= MAX_INTERACTIVE_EXECS) return answer({ type: 'execExit', id: req.id, error: `this host already has ${MAX_INTERACTIVE_EXECS} exec sessions open: close one and try again` });
    let proc: InteractiveExec;
    try {
      proc = container.interactive(req.command, (data, stream) => answer({ type: 'execOutput', id: req.id, data: data.toString('base64'), ...(stream === 'stderr' && { stream }) }), { tty: req.tty !== false });
    } catch (e) {
      return answer({ type: 'execExit', id: req.id, error: (e as Error).message });
    }
    this.#open.set(req.id, { proc, owner });
    void proc.done.then((exitCode) => {
      this.#open.delete(req.id);
      answer({ type: 'execExit', id: req.id, exitCode });
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
