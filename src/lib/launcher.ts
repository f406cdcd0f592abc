/**
 * Starting short-lived commands (ip, nft, mount, crun, conmon) without forking Node.
 *
 * `child_process.spawn` forks the calling process: the kernel copies its page tables,
 * so a spawn costs the agent 0.5 ms of CPU at 50 MiB RSS and 1.7–2 ms at 200 MiB, on
 * the event loop, and a task start spawns five or more (bench/README.md, task-start).
 * Instead, one small shell (dash, ~1.5 MiB) lives beside the process and forks the
 * commands for it: Node writes one line per command and reads one line back when it
 * ends, 0.1 ms of its CPU whatever its size.
 *
 * The wire, one line each way per command (N is the command's number):
 *   to the shell:   ( CMD <in.N >out.N 2>err.N & echo "S N $!"; wait $!; echo "E N $?" ) &
 *   from the shell: S N <pid>        (the command's pid: what a timeout kills)
 *                   E N <status>     (its exit status; 128+n when signal n killed it)
 * Input, output and errors go through files in a private directory, so any bytes pass
 * and no command can block another. Lines of concurrent commands do not interleave:
 * each is one write(2) of less than PIPE_BUF bytes.
 *
 * The shell runs in its own session (setsid): a Ctrl-C meant for Berth does not reach
 * the commands, and monitors it starts (conmon) outlive Berth as before. It exits when
 * its stdin closes (Berth exited); commands under way finish on their own.
 */

import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { accessSync, constants as fsConstants, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { findExecutable } from './executables.ts';

export interface LaunchOptions {
  /** Bytes for the command's stdin (default: /dev/null). */
  readonly input?: string | Buffer | undefined;
  readonly cwd?: string | undefined;
  /**
   * The command's whole environment (one program start more: `env -i`). Default: the
   * shell's, PATH alone (see {@link SHELL_ENV}), plus {@link extraEnv}.
   */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** Variables added to the shell's environment for this command (as `K=V cmd`: no extra program). */
  readonly extraEnv?: Readonly<Record<string, string>> | undefined;
  /** Kill the command (SIGKILL) if it runs longer; it then fails with {@link LaunchTimeoutError}. */
  readonly timeoutMs?: number | undefined;
  /** Append the command's stderr to this file instead of capturing it (a monitor that outlives us). */
  readonly stderrFile?: string | undefined;
  /**
   * Capture the first line the command writes to this fd instead of its stdout, which then
   * goes to /dev/null; resolve as soon as that line is written or the fd is closed. For
   * conmon, which reports the container's pid on its sync pipe (`_OCI_SYNCPIPE=3`) and
   * keeps running. `code` is then that of the reader, 0.
   */
  readonly resultFd?: 3 | undefined;
}

/**
 * The shell's environment, and so every command's: PATH alone (dash adds PWD). Nothing of Berth's own
 * environment leaks into the tools (a NOTIFY_SOCKET or LISTEN_FDS from a service manager
 * would be taken up by crun and conmon), and their messages are in the C locale.
 */
const SHELL_ENV = (): Record<string, string> => ({ PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' });

export interface LaunchResult {
  /** The exit status: the exit code, or 128+n when signal n ended the command. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class LaunchTimeoutError extends Error {
  override name = 'LaunchTimeoutError';
}

/** The launcher shell went away (killed) with this command unanswered. */
export class LauncherLostError extends Error {
  override name = 'LauncherLostError';
}

/** The shell: dash on Debian, small and quick to fork; any POSIX sh works. */
const SHELL = '/bin/sh';
/**
 * dash keeps each background job in its job table until a `wait` (~40 bytes a job:
 * +0.8 MiB over 20,000 commands). The launcher sends `wait` whenever nothing is under way;
 * under unbroken load that may never happen, so a shell is also retired after this many
 * commands and a fresh one started.
 */
export const COMMANDS_PER_SHELL = 5_000;

interface Pending {
  readonly resolve: (r: LaunchResult) => void;
  readonly reject: (e: Error) => void;
  readonly files: { readonly in?: string; readonly out: string; readonly err?: string };
  readonly timer: NodeJS.Timeout | undefined;
  readonly what: string;
  pid?: number;
  timedOut?: boolean;
}

type ShellProcess = ChildProcessByStdio<Writable, Readable, Readable>;

interface Shell {
  readonly child: ShellProcess;
  readonly pending: Map<number, Pending>;
  commands: number;
  /** Whatever the shell itself wrote to stderr (its own errors), for the error of a lost command. */
  complaints: string;
}

/** Launcher directories of this process, removed when it exits. */
const ownDirs = new Set<string>();
let exitHookSet = false;

export class Launcher {
  readonly #dir: string;
  readonly #commandsPerShell: number;
  #next = 0;
  #shells = 0;
  #current: Shell | undefined;
  readonly #paths = new Map<string, string>();

  /** `dir` is private to this launcher: made now, emptied first, removed at process exit. */
  constructor(dir: string, o: { commandsPerShell?: number } = {}) {
    this.#dir = dir;
    this.#commandsPerShell = o.commandsPerShell ?? COMMANDS_PER_SHELL;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    ownDirs.add(dir);
    if (!exitHookSet) {
      exitHookSet = true;
      process.once('exit', () => ownDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
    }
  }

  /** How many shells this launcher has started (one per {@link COMMANDS_PER_SHELL} commands, or after a crash). */
  get shellsStarted(): number {
    return this.#shells;
  }

  /** The pid of the shell that takes new commands, if one runs. */
  get shellPid(): number | undefined {
    return this.#current?.child.pid;
  }

  /**
   * Runs `file` with `args` and resolves with its exit status and output, whatever the
   * status (callers decide what a failure is). Rejects with an ENOENT error when `file`
   * is not found, {@link LaunchTimeoutError} or {@link LauncherLostError}.
   */
  run(file: string, args: readonly string[], o: LaunchOptions = {}): Promise<LaunchResult> {
    let path: string;
    try {
      path = this.#resolve(file);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    const n = ++this.#next;
    const base = join(this.#dir, String(n));
    const files = {
      ...(o.input !== undefined ? { in: `${base}.in` } : {}),
      out: `${base}.out`,
      ...(o.stderrFile === undefined ? { err: `${base}.err` } : {}),
    };
    let line: string;
    try {
      line = jobLine(n, path, args, o, files);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    if (files.in !== undefined) writeFileSync(files.in, o.input!);
    const shell = this.#shell();
    shell.commands++;
    return new Promise<LaunchResult>((resolve, reject) => {
      const timer = o.timeoutMs !== undefined && Number.isFinite(o.timeoutMs)
        ? setTimeout(() => this.#timeout(shell, n), o.timeoutMs) : undefined;
      shell.pending.set(n, { resolve, reject, files, timer, what: file });
      if (shell.pending.size === 1) refShell(shell, true);
      shell.child.stdin.write(line);
    });
  }

  /** Absolute path of an executable (cached), so a missing tool fails as spawn would: ENOENT. */
  #resolve(file: string): string {
    if (file.includes('/')) return file;
    let path = this.#paths.get(file);
    if (path === undefined) {
      path = findExecutable(file);
      if (path === undefined) throw Object.assign(new Error(`spawn ${file} ENOENT`), { code: 'ENOENT', path: file });
      this.#paths.set(file, path);
    }
    return path;
  }

  #shell(): Shell {
    const cur = this.#current;
    if (cur && cur.child.exitCode === null && cur.child.signalCode === null && cur.commands < this.#commandsPerShell) return cur;
    if (cur) cur.child.stdin.end(); // retired: it exits once read; its commands still answer
    const child = spawn(SHELL, [], { stdio: ['pipe', 'pipe', 'pipe'], detached: true, cwd: '/', env: SHELL_ENV() });
    const shell: Shell = { child, pending: new Map(), commands: 0, complaints: '' };
    this.#shells++;
    child.stdin.on('error', () => undefined); // a dead shell: its stdout end settles the commands
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => (shell.complaints = (shell.complaints + s).slice(-2000)));
    let buf = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => {
      buf += s;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        this.#answer(shell, buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    // All writers gone (the shell and every command it started): nothing more will answer.
    child.stdout.on('close', () => {
      if (this.#current === shell) this.#current = undefined;
      const why = shell.complaints.trim() || `the launcher shell exited (${child.signalCode ?? child.exitCode ?? 'killed'})`;
      for (const [n, p] of shell.pending) this.#settle(shell, n, p, new LauncherLostError(`${p.what}: ${why}`));
    });
    child.on('error', () => undefined); // spawn of /bin/sh failing shows as stdout closing
    this.#current = shell;
    refShell(shell, false);
    return shell;
  }

  #answer(shell: Shell, line: string): void {
    const [kind, num, value] = line.split(' ');
    const n = Number(num);
    const p = shell.pending.get(n);
    if (!p) return;
    if (kind === 'S') {
      p.pid = Number(value);
      if (p.timedOut) killQuietly(p.pid);
      return;
    }
    if (kind !== 'E') return;
    if (p.timedOut) return this.#settle(shell, n, p, new LaunchTimeoutError(`${p.what} did not finish in time and was killed`));
    const stdout = readAndRemove(p.files.out);
    const stderr = p.files.err !== undefined ? readAndRemove(p.files.err) : '';
    this.#settle(shell, n, p, undefined, { code: Number(value), stdout, stderr });
  }

  #timeout(shell: Shell, n: number): void {
    const p = shell.pending.get(n);
    if (!p) return;
    p.timedOut = true;
    if (p.pid !== undefined) killQuietly(p.pid);
  }

  #settle(shell: Shell, n: number, p: Pending, err: Error | undefined, result?: LaunchResult): void {
    shell.pending.delete(n);
    clearTimeout(p.timer);
    if (p.files.in !== undefined) removeQuietly(p.files.in);
    if (err) {
      removeQuietly(p.files.out);
      if (p.files.err !== undefined) removeQuietly(p.files.err);
      p.reject(err);
    } else {
      p.resolve(result!);
    }
    if (shell.pending.size === 0) {
      // dash reaps finished jobs, and frees their job-table entries, only when it next runs
      // something: with nothing under way, `wait` (a builtin) does both at once.
      if (shell.child.stdin.writable) shell.child.stdin.write('wait\n');
      refShell(shell, false);
    }
  }
}

/** Keeps the event loop alive while commands are under way, and only then. */
function refShell(shell: Shell, on: boolean): void {
  // The process handle and the three pipes (sockets underneath) each hold the loop.
  for (const h of [shell.child, shell.child.stdout, shell.child.stderr, shell.child.stdin] as unknown as { ref(): void; unref(): void }[]) {
    if (on) h.ref();
    else h.unref();
  }
}

/** The line that runs one command; see the module comment for the protocol. */
function jobLine(n: number, path: string, args: readonly string[], o: LaunchOptions, files: Pending['files']): string {
  let cmd = [path, ...args].map(shellQuote).join(' ');
  if (o.extraEnv !== undefined) {
    const bad = Object.keys(o.extraEnv).find((k) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(k));
    if (bad !== undefined) throw new Error(`extraEnv: ${JSON.stringify(bad)} is not a variable name the shell can assign (use env)`);
    cmd = `${Object.entries(o.extraEnv).map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ')} ${cmd}`;
  }
  if (o.env !== undefined) cmd = `env -i ${Object.entries(o.env).map(([k, v]) => shellQuote(`${k}=${v}`)).join(' ')} ${cmd}`;
  const stdin = files.in !== undefined ? shellQuote(files.in) : '/dev/null';
  const stderr = o.stderrFile !== undefined ? `2>>${shellQuote(o.stderrFile)}` : `2>${shellQuote(files.err!)}`;
  const job = o.resultFd === 3
    // `read`, a builtin, rather than head: one program start fewer per container.
    ? `{ ${cmd} 3>&1 >/dev/null ${stderr} <${stdin} | { IFS= read -r line; printf '%s\\n' "$line" >${shellQuote(files.out)}; }; }`
    : `${cmd} <${stdin} >${shellQuote(files.out)} ${stderr}`;
  // A directory that cannot be entered fails the command as a shell would, with status 2.
  const cd = o.cwd !== undefined ? `cd ${shellQuote(o.cwd)} ${stderr} || { echo "E ${n} 2"; exit; }; ` : '';
  return `( ${cd}${job} & echo "S ${n} $!"; wait $!; echo "E ${n} $?" ) &\n`;
}

/** One shell word, whatever the bytes: single quotes, with `'` written as `'\''`. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`;
}

function readAndRemove(path: string): string {
  try {
    const s = readFileSync(path, 'utf8');
    unlinkSync(path);
    return s;
  } catch {
    return '';
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // never written (the command did not start)
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

let shared: Launcher | undefined;

/**
 * Where the launcher's files go, best first: memory-backed directories (on a disk, every
 * command's create and unlink would go through the journal), then the temp dir.
 */
const LAUNCH_ROOTS = ['/dev/shm/berth-launch', '/run/berth-launch', join(tmpdir(), 'berth-launch')];

/**
 * This process's launcher; a directory left by a process that is gone is removed on the way.
 */
export function launcher(): Launcher {
  if (shared) return shared;
  const root = LAUNCH_ROOTS.find((dir) => {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      accessSync(dir, fsConstants.W_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (root === undefined) throw new Error(`no writable directory for the launcher's files (tried ${LAUNCH_ROOTS.join(', ')})`);
  removeStale(root);
  shared = new Launcher(join(root, String(process.pid)));
  return shared;
}

/** Runs a command through this process's launcher (see {@link Launcher.run}). */
export function launch(file: string, args: readonly string[], o?: LaunchOptions): Promise<LaunchResult> {
  return launcher().run(file, args, o);
}

function removeStale(root: string): void {
  for (const name of readdirSync(root)) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(root, name), { recursive: true, force: true });
    }
  }
}

/** A command that exited with a status other than 0 (what execFile's callers catch). */
export class CommandFailedError extends Error {
  override name = 'CommandFailedError';
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  constructor(file: string, r: LaunchResult) {
    super(`${file} exited ${r.code}: ${r.stderr.trim().split('\n')[0] ?? ''}`);
    this.code = r.code;
    this.stdout = r.stdout;
    this.stderr = r.stderr;
  }
}

/** {@link launch}, where any exit status but 0 rejects with {@link CommandFailedError}. */
export async function launchChecked(file: string, args: readonly string[], o?: LaunchOptions): Promise<LaunchResult> {
  const r = await launch(file, args, o);
  if (r.code !== 0) throw new CommandFailedError(file, r);
  return r;
}
