/**
 * A command in a running container on a terminal (ECS Exec): `<runtime> exec` runs under
 * util-linux `script`, which opens a pseudo-terminal on the host and gives its slave side
 * to the runtime as stdio; the runtime passes those descriptors to the command, so the
 * command sees a tty (echo, line editing, a shell's prompt) without a console socket
 * (receiving a pty master over SCM_RIGHTS needs native code Node lacks). `script -e`
 * exits with the command's code.
 *
 * Not yet: a terminal size change. `script` keeps the size of its own stdin (a pipe here:
 * the pty's default); a resize needs the pty's master (TIOCSWINSZ), which `script` holds.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execArgv, type ExecOptions } from './exec.ts';
import type { OciRuntime } from './oci-runtime.ts';
import { readNumberFile } from './state-dir.ts';

export interface InteractiveExec {
  /** Keystrokes to the terminal. */
  write(data: Buffer): void;
  /** Ends the command (SIGKILL to it, then to the runtime process). */
  kill(): void;
  /** The command's exit code once it ends. */
  readonly done: Promise<number>;
}

/** Exit code when the command was killed or `script` died of a signal: 128 + SIGKILL, as a shell says. */
const KILLED_EXIT_CODE = 137;

/** Quotes one word for `sh -c` (script runs its -c command through the shell). */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function spawnInteractiveExec(rt: OciRuntime, id: string, args: readonly string[], opts: ExecOptions, onOutput: (data: Buffer) => void): InteractiveExec {
  if (args.length === 0) throw new Error('exec needs a command');
  const scratch = mkdtempSync(join(tmpdir(), 'berth-exec-'));
  const pidFile = join(scratch, 'pid');
  const line = [rt.binary, ...execArgv(rt, id, args, opts, pidFile)].map(shellQuote).join(' ');
  const child = spawn('script', ['-qfec', line, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SHELL: '/bin/sh' } });
  child.stdout.on('data', onOutput);
  child.stderr.on('data', onOutput);
  // A write after the command ended is not an error worth crashing for.
  child.stdin.on('error', () => {});
  const done = new Promise<number>((resolve) => {
    child.on('error', () => resolve(KILLED_EXIT_CODE));
    child.on('close', (code) => {
      rmSync(scratch, { recursive: true, force: true });
      resolve(code ?? KILLED_EXIT_CODE);
    });
  });
  return {
    write: (data) => { if (child.stdin.writable) child.stdin.write(data); },
    kill: () => {
      // The command first (its runtime process reaps it), as execInContainer's timeout does.
      const pid = readNumberFile(pidFile);
      try {
        if (pid !== undefined) process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
      child.kill('SIGKILL');
    },
    done,
  };
}
