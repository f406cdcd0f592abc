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
  readonly #open = new Map<string, InteractiveExec>();

  /** Handles one exec message; `containerOf` finds a running task's container on this host. */
  handle(req: Extract<ServerMessage, { type: 'execOpen' | 'execInput' | 'execResize' | 'cancel' }>, containerOf: (taskArn: string, name: string) => TaskContainer | undefined, answer: Answer): void {
    if (req.type === 'execInput') return this.#open.get(req.id)?.write(Buffer.from(req.data, 'base64'));
    if (req.type === 'execResize') return this.#open.get(req.id)?.resize(req.cols, req.rows);
    if (req.type === 'cancel') { this.#open.get(req.id)?.kill(); return; }
    const container = containerOf(req.taskArn, req.container);
    if (!container) return answer({ type: 'execExit', id: req.id, error: `${req.container} of ${req.taskArn} is not running on this host` });
    if (!container.interactive) return answer({ type: 'execExit', id: req.id, error: `${req.container} runs in a sandbox that has no interactive exec yet` });
    if (this.#open.size >= MAX_INTERACTIVE_EXECS) return answer({ type: 'execExit', id: req.id, error: `this host already has ${MAX_INTERACTIVE_EXECS} exec sessions open: close one and try again` });
    let proc: InteractiveExec;
    try {
      proc = container.interactive(req.command, (data) => answer({ type: 'execOutput', id: req.id, data: data.toString('base64') }));
    } catch (e) {
      return answer({ type: 'execExit', id: req.id, error: (e as Error).message });
    }
    this.#open.set(req.id, proc);
    void proc.done.then((exitCode) => {
      this.#open.delete(req.id);
      answer({ type: 'execExit', id: req.id, exitCode });
    });
  }

  closeAll(): void {
    for (const p of this.#open.values()) p.kill();
  }
}
