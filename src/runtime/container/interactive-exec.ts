/**
 * A command in a running container on a terminal (ECS Exec): `<runtime> exec` runs under
 * util-linux `script`, which opens a pseudo-terminal on the host and gives its slave side
 * to the runtime as stdio; the runtime passes those descriptors to the command, so the
 * command sees a tty (echo, line editing, a shell's prompt) without a console socket
 * (receiving a pty master over SCM_RIGHTS needs native code Node lacks). `script -e`
 * exits with the command's code.
 *
 * A terminal size change is set on the pty's slave side (`stty -F /dev/pts/N`, TIOCSWINSZ),
 * found as the runtime process's stdin: the kernel signals the command SIGWINCH as it would
 * for the master side, which `script` holds.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execArgv, type ExecOptions } from './exec.ts';
import type { OciRuntime } from './oci-runtime.ts';
import { readNumberFile } from './state-dir.ts';

export interface InteractiveExec {
  /** Keystrokes to the terminal, or bytes to the command's stdin. */
  write(data: Buffer): void;
  /** The input's end of file: the command's stdin is closed (without a terminal; on one, a no-op). */
  endInput(): void;
  /** The client's terminal size. */
  resize(cols: number, rows: number): void;
  /** Ends the command (SIGKILL to it, then to the runtime process). */
  kill(): void;
  /** The command's exit code once it ends. */
  readonly done: Promise<number>;
}

/** Which of the command's outputs bytes came from: on a terminal, always stdout (the two are one). */
export type OutputStream = 'stdout' | 'stderr';
export type OnOutput = (data: Buffer, stream: OutputStream) => void;

/** Exit code when the command was killed or `script` died of a signal: 128 + SIGKILL, as a shell says. */
const KILLED_EXIT_CODE = 137;

/** A size sent before the runtime process exists is tried again this often, this many times. */
const RESIZE_RETRY_MS = 50;
const RESIZE_TRIES = 40;

/** The pty `script` gave its child (the runtime process): that child's stdin, a /dev/pts/N. */
export function ptyOf(scriptPid: number): string | undefined {
  try {
    for (const tid of readdirSync(`/proc/${scriptPid}/task`)) {
      for (const pid of readFileSync(`/proc/${scriptPid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
        const target = readlinkSync(`/proc/${pid}/fd/0`);
        if (/^\/dev\/pts\/\d+$/.test(target)) return target;
      }
    }
  } catch {
    // gone, or not yet there
  }
  return undefined;
}

/** Quotes one word for `sh -c` (script runs its -c command through the shell). */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function spawnInteractiveExec(rt: OciRuntime, id: string, args: readonly string[], opts: ExecOptions, onOutput: OnOutput, tty = true): InteractiveExec {
  if (args.length === 0) throw new Error('exec needs a command');
  const scratch = mkdtempSync(join(tmpdir(), 'berth-exec-'));
  const pidFile = join(scratch, 'pid');
  const argv = [rt.binary, ...execArgv(rt, id, args, opts, pidFile)];
  return tty ? spawnOnTerminal(argv, onOutput, { pidFile, scratch }) : spawnOnPipes(argv, onOutput, { pidFile, scratch });
}

/**
 * Runs `argv` (a runtime's exec) with plain pipes: stdout and stderr apart, stdin closable
 * (`kubectl exec` without -t). The runtime hands its own stdio to the command.
 */
export function spawnOnPipes(argv: readonly string[], onOutput: OnOutput, o: { pidFile?: string; scratch?: string } = {}): InteractiveExec {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdout.on('data', (d: Buffer) => onOutput(d, 'stdout'));
  child.stderr.on('data', (d: Buffer) => onOutput(d, 'stderr'));
  child.stdin.on('error', () => {});
  const done = exitOf(child, o.scratch);
  return {
    write: (data) => { if (child.stdin.writable) child.stdin.write(data); },
    endInput: () => child.stdin.end(),
    resize: () => {},
    kill: () => killCommand(child, o.pidFile),
    done,
  };
}

/** The exit code once `child` ends (KILLED_EXIT_CODE for a signal), `scratch` removed. */
function exitOf(child: ReturnType<typeof spawn>, scratch: string | undefined): Promise<number> {
  return new Promise<number>((resolve) => {
    child.on('error', () => resolve(KILLED_EXIT_CODE));
    child.on('close', (code) => {
      if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
      resolve(code ?? KILLED_EXIT_CODE);
    });
  });
}

/** The command first (its runtime process reaps it), as execInContainer's timeout does; then the process we started. */
function killCommand(child: ReturnType<typeof spawn>, pidFile: string | undefined): void {
  const pid = pidFile !== undefined ? readNumberFile(pidFile) : undefined;
  try {
    if (pid !== undefined) process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
  child.kill('SIGKILL');
}

/**
 * Runs `argv` (a runtime's exec: crun, runc or runsc) on a pseudo-terminal under `script`.
 * `pidFile`: where the runtime writes the command's pid, so a kill reaches the command first;
 * `scratch`: a directory removed at the end.
 */
export function spawnOnTerminal(argv: readonly string[], onOutput: OnOutput, o: { pidFile?: string; scratch?: string } = {}): InteractiveExec {
  const { pidFile, scratch } = o;
  const line = argv.map(shellQuote).join(' ');
  const child = spawn('script', ['-qfec', line, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SHELL: '/bin/sh' } });
  child.stdout.on('data', (d: Buffer) => onOutput(d, 'stdout'));
  child.stderr.on('data', (d: Buffer) => onOutput(d, 'stdout'));
  // A write after the command ended is not an error worth crashing for.
  child.stdin.on('error', () => {});
  const done = exitOf(child, scratch);
  let ended = false;
  void done.then(() => { ended = true; });
  // The runtime process starts a moment after `script`: a size that comes first waits for it.
  let pendingSize: { cols: number; rows: number } | undefined;
  let retry: NodeJS.Timeout | undefined;
  const applySize = (tries: number) => {
    if (ended || !pendingSize) return;
    const tty = child.pid !== undefined ? ptyOf(child.pid) : undefined;
    if (!tty) {
      if (tries > 0) { retry = setTimeout(() => applySize(tries - 1), RESIZE_RETRY_MS); retry.unref(); }
      return;
    }
    const { cols, rows } = pendingSize;
    pendingSize = undefined;
    execFile('stty', ['-F', tty, 'cols', String(cols), 'rows', String(rows)], () => {});
  };
  return {
    write: (data) => { if (child.stdin.writable) child.stdin.write(data); },
    // A terminal's input has no end of file of its own (a user types ^D).
    endInput: () => {},
    resize: (cols, rows) => {
      pendingSize = { cols, rows };
      clearTimeout(retry);
      applySize(RESIZE_TRIES);
    },
    kill: () => killCommand(child, pidFile),
    done,
  };
}
