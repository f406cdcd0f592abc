/**
 * The gVisor backend: every container of a task in one runsc sandbox (README.md).
 *
 *   open()            pause bundle ── runsc run --detach (the sandbox: its kernel, the
 *                     task's netns taken over, the task cgroup's memory and CPU shares),
 *                     the ephemeral disk made meanwhile
 *   createContainer() the container module's bundle, made a member ── runsc create
 *   start()           runsc start (its stdout and stderr: the log file, which the
 *                     sandbox itself writes from then on) ── the task's CPU quota
 *   wait()            runsc wait (repeatable while the sandbox lives); a dead sandbox means
 *                     every container ended with 137, OOM if the task cgroup says so
 *   destroy()         runsc delete the sandbox ── ephemeral disk unmounted and removed
 *
 * The sandbox is not the agent's child: it outlives a kill -9 of the agent, and
 * {@link GvisorBackend.reattach} finds it and its containers again from `<task>/sandbox/`.
 */

import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { launch } from '../../lib/launcher.ts';
import type { CreateOptions, ExitStatus } from '../container/container.ts';
import { DEFAULT_STOP_TIMEOUT_SECONDS } from '../container/container.ts';
import { writeBundle } from '../container/bundle.ts';
import { CGROUP_ROOT, oomKillCount, removeCgroups } from '../container/cgroups.ts';
import { cgroupLayout, taskCgroupPlan } from '../container/task-cgroup.ts';
import type { ExecOptions, ExecResult } from '../container/exec.ts';
import { spawnOnPipes, spawnOnTerminal, type InteractiveExec, type OnOutput } from '../container/interactive-exec.ts';
import { EXEC_OUTPUT_LIMIT_BYTES, EXEC_TIMEOUT_EXIT_CODE, DEFAULT_EXEC_TIMEOUT_MS } from '../container/exec.ts';
import type { OciSpec } from '../container/oci-spec.ts';
import { normalizeSignal, signalNumber, signalOfExitCode, SIGNAL_EXIT_BASE } from '../container/signals.ts';
import { KILL_WAIT_MS, signalledExit, stopSequence } from '../container/stop-sequence.ts';
import { writeJsonAtomic } from '../container/state-dir.ts';
import { mountEphemeral, removeEphemeral } from './ephemeral.ts';
import { killCgroupProcesses, removeRunscState } from './leftovers.ts';
import { processAlive } from '../container/exit-watch.ts';
import { memberSpec, pauseSpec, PAUSE_BINARY, runscFlags, sandboxCpuUnits, sandboxId, taskCpuQuota } from './gvisor-spec.ts';
import { runsc, runscNetworked, runscStartTo, runscStatus, runscWait, type Runsc } from './runsc.ts';
import type { FoundContainer, SandboxBackend, SandboxTask, TaskContainer, TaskSandbox } from './types.ts';

/** A container's record in its state directory (what reattach needs). */
interface MemberRecord {
  readonly id: string;
  readonly sandbox: string;
  readonly stopSignal: string;
  readonly cgroupsPath: string;
  readonly taskCgroup: string;
  readonly logPath: string;
  /** The task's ephemeral disk: the file store of its root filesystem's writes. */
  readonly ephemeralDir: string;
}
const MEMBER_FILE = 'member.json';

/** Where a task's sandbox files are. */
function sandboxPaths(task: Pick<SandboxTask, 'dir'>) {
  const dir = join(task.dir, 'sandbox');
  return { dir, pause: join(dir, 'pause'), image: join(dir, 'ephemeral.img'), ephemeral: join(dir, 'ephemeral'), record: join(dir, 'sandbox.json') };
}

export interface GvisorOptions {
  readonly runsc: Runsc;
  /** Berth's runtime directory: the shared pause root filesystem lives in `<runDir>/sandbox/pause-rootfs`. */
  readonly runDir: string;
  /** The static init copied into the pause root filesystem (catatonit). */
  readonly pauseBinary: string;
  /** Told how long each step of a start took (bench/fargate-start.ts prints the breakdown). */
  readonly onStep?: StepTimer | undefined;
}

/** A start step's name and its duration, ms. */
export type StepTimer = (step: string, ms: number) => void;

/** Runs `f`, telling `timer` (if any) how long it took under `step`. */
async function timed<T>(timer: StepTimer | undefined, step: string, f: () => Promise<T>): Promise<T> {
  if (!timer) return f();
  const t0 = performance.now();
  try {
    return await f();
  } finally {
    timer(step, performance.now() - t0);
  }
}

export class GvisorBackend implements SandboxBackend {
  readonly isolation = 'gvisor' as const;
  readonly #o: GvisorOptions;

  constructor(o: GvisorOptions) {
    this.#o = o;
  }

  /** The pause root filesystem, made once per host: a directory with catatonit in it. */
  pauseRootfs(): string {
    const dir = join(this.#o.runDir, 'sandbox', 'pause-rootfs');
    if (!existsSync(join(dir, PAUSE_BINARY))) {
      for (const d of ['', 'proc', 'dev', 'sys']) mkdirSync(join(dir, d), { recursive: true });
      copyFileSync(this.#o.pauseBinary, join(dir, PAUSE_BINARY));
    }
    return dir;
  }

  async open(task: SandboxTask): Promise<TaskSandbox> {
    const p = sandboxPaths(task);
    mkdirSync(p.pause, { recursive: true });
    writeJsonAtomic(p.record, task);
    const sandbox = new GvisorSandbox(this.#o.runsc, task);
    try {
      writeJsonAtomic(join(p.pause, 'config.json'), pauseSpec(task, this.pauseRootfs()));
      // The disk is made while the sandbox boots: only a member's start puts files on it
      // (its root filesystem's file store), and the pause container's root is read-only.
      // The mount point exists first, as the flags name it.
      mkdirSync(p.ephemeral, { recursive: true });
      const flags = runscFlags(this.#o.runsc, p.ephemeral);
      const steps = await Promise.allSettled([
        timed(this.#o.onStep, 'ephemeral disk', () => mountEphemeral(p.image, p.ephemeral, task.ephemeralStorageGiB)),
        // One runsc for create and start (start is where runsc takes the task's interfaces
        // over: it needs the network check's workaround as create does).
        timed(this.#o.onStep, 'pause run', () => runscNetworked(this.#o.runsc, flags, ['run', '--detach', '--bundle', p.pause, sandboxId(task.taskId)], join(p.dir, 'sandbox.log'))),
      ]);
      // Both settled before any cleanup: destroy() must not unmount a disk still being made.
      for (const s of steps) if (s.status === 'rejected') throw s.reason;
      return sandbox;
    } catch (e) {
      await sandbox.destroy().catch(() => undefined);
      throw e;
    }
  }

  async reattach(task: SandboxTask, names: readonly string[]): Promise<{ sandbox: TaskSandbox; found: Map<string, FoundContainer> } | undefined> {
    const p = sandboxPaths(task);
    if (!existsSync(p.record)) return undefined;
    const sandbox = new GvisorSandbox(this.#o.runsc, task);
    const alive = await sandboxAlive(this.#o.runsc, sandboxId(task.taskId));
    // The previous agent may have died between a container's start and the quota.
    if (alive) sandbox.enforceCpuQuota();
    const found = new Map<string, FoundContainer>();
    for (const name of names) {
      const stateDir = join(task.dir, 'containers', name);
      let record: MemberRecord;
      try {
        record = JSON.parse(readFileSync(join(stateDir, MEMBER_FILE), 'utf8')) as MemberRecord;
      } catch {
        continue;
      }
      const c = new GvisorContainer(this.#o.runsc, stateDir, record, () => sandbox.enforceCpuQuota());
      if (!alive) {
        found.set(name, { state: 'exited', container: c, exit: c.sandboxEnded() });
        continue;
      }
      const status = (await runscStatus(this.#o.runsc, record.id))?.status;
      if (status === 'created') found.set(name, { state: 'created', container: c });
      else if (status === 'running') found.set(name, { state: 'running', container: c });
      else if (status === 'stopped') {
        const exit = await c.wait(KILL_WAIT_MS);
        found.set(name, exit ? { state: 'exited', container: c, exit } : { state: 'lost', container: c, reason: 'runsc knows the container but gave no exit status' });
      } else found.set(name, { state: 'lost', container: c, reason: 'the sandbox no longer knows the container' });
    }
    return { sandbox, found };
  }
}

/** After a failed `runsc wait` on a live sandbox, the first pause before asking again; doubled up to the most. */
const WAIT_RETRY_FIRST_MS = 100;
const WAIT_RETRY_MAX_MS = 5_000;

/** Resolves true after `ms`, false at once when `signal` aborts. */
function pauseUnlessAborted(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The sandbox process is there (runsc's own state says running for a dead one: its file proxies live on). */
async function sandboxAlive(rs: Runsc, sandbox: string): Promise<boolean> {
  const s = await runscStatus(rs, sandbox);
  return s?.status === 'running' && processAlive(s.pid);
}

class GvisorSandbox implements TaskSandbox {
  readonly isolation = 'gvisor' as const;
  readonly #rs: Runsc;
  readonly #task: SandboxTask;
  #cpuQuotaSet = false;

  constructor(rs: Runsc, task: SandboxTask) {
    this.#rs = rs;
    this.#task = task;
  }

  /**
   * The task's CPU quota on the sandbox's cgroup, once its first container runs (the boot
   * before it is the platform's: gvisor-spec.ts taskCpuQuota), bounded by its containers' CPU
   * limits when every one has one (sandboxCpuUnits). Written once per sandbox
   * object; again (the same values) by an agent that reattached.
   */
  enforceCpuQuota(): void {
    if (this.#cpuQuotaSet) return;
    const cpu = taskCpuQuota(sandboxCpuUnits(this.#task));
    if (cpu) {
      // runsc made the cgroup at create: only the quota's files are written (no subtree_control).
      for (const w of taskCgroupPlan(this.#task.cgroupPath, { cpu }, cgroupLayout()).writes) {
        if (!w.file.endsWith('cgroup.subtree_control')) writeFileSync(join(CGROUP_ROOT, w.file), w.value);
      }
    }
    this.#cpuQuotaSet = true;
  }

  async createContainer(o: CreateOptions): Promise<TaskContainer> {
    mkdirSync(dirname(o.logPath), { recursive: true });
    const built = writeBundle(o.stateDir, o);
    const configPath = join(o.stateDir, 'config.json');
    const spec = JSON.parse(readFileSync(configPath, 'utf8')) as OciSpec;
    writeJsonAtomic(configPath, memberSpec(spec, this.#task.taskId, this.#task.netnsPath));
    const record: MemberRecord = {
      id: o.id, sandbox: sandboxId(this.#task.taskId), stopSignal: built.stopSignal,
      cgroupsPath: o.cgroupsPath, taskCgroup: this.#task.cgroupPath, logPath: o.logPath, ephemeralDir: sandboxPaths(this.#task).ephemeral,
    };
    writeJsonAtomic(join(o.stateDir, MEMBER_FILE), record);
    const c = new GvisorContainer(this.#rs, o.stateDir, record, () => this.enforceCpuQuota());
    try {
      await runscNetworked(this.#rs, runscFlags(this.#rs, sandboxPaths(this.#task).ephemeral), ['create', '--bundle', o.stateDir, o.id], o.logPath);
    } catch (e) {
      await c.delete().catch(() => undefined);
      throw e;
    }
    return c;
  }

  async destroy(): Promise<void> {
    const p = sandboxPaths(this.#task);
    const id = sandboxId(this.#task.taskId);
    if (!(await sandboxAlive(this.#rs, id))) {
      // Died (OOM): runsc cannot tear down what its sandbox no longer answers for.
      await killCgroupProcesses(this.#task.cgroupPath);
    }
    const r = await launch(this.#rs.binary, ['--root', this.#rs.root, 'delete', '--force', id], { timeoutMs: KILL_WAIT_MS * 3 });
    if (r.code !== 0 && !/does not exist|not exist|no such/i.test(r.stderr)) {
      await killCgroupProcesses(this.#task.cgroupPath);
      removeRunscState(this.#rs.root, id);
    }
    await removeEphemeral(p.image, p.ephemeral);
    await rm(p.dir, { recursive: true, force: true });
  }
}

class GvisorContainer implements TaskContainer {
  readonly #rs: Runsc;
  readonly #stateDir: string;
  readonly #record: MemberRecord;
  /** Called once it runs: the sandbox's CPU quota follows its first container's start. */
  readonly #started: () => void;
  #exit: ExitStatus | undefined;
  #lastSignal: string | undefined;

  constructor(rs: Runsc, stateDir: string, record: MemberRecord, started: () => void) {
    this.#rs = rs;
    this.#stateDir = stateDir;
    this.#record = record;
    this.#started = started;
  }

  get id(): string {
    return this.#record.id;
  }

  async start(): Promise<void> {
    await runscStartTo(this.#rs, runscFlags(this.#rs, this.#record.ephemeralDir), this.id, this.#record.logPath);
    this.#started();
  }

  exitStatus(): ExitStatus | undefined {
    return this.#exit;
  }

  /** What every container of a sandbox that died got: SIGKILL (the OOM killer, or someone). */
  sandboxEnded(): ExitStatus {
    this.#exit ??= {
      exitCode: SIGNAL_EXIT_BASE + 9, signal: 'SIGKILL',
      oomKilled: (oomKillCount(this.#record.taskCgroup) ?? 0) > 0,
    };
    return this.#exit;
  }

  async wait(timeoutMs = Infinity, signal?: AbortSignal): Promise<ExitStatus | undefined> {
    if (this.#exit) return this.#exit;
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = Number.isFinite(timeoutMs) ? setTimeout(() => stop.abort(), timeoutMs) : undefined;
    try {
      for (let pause = WAIT_RETRY_FIRST_MS; ; pause = Math.min(pause * 2, WAIT_RETRY_MAX_MS)) {
        const r = await runscWait(this.#rs, this.id, stop.signal);
        if (r === undefined) return this.#exit;
        if ('exitStatus' in r) {
          const code = r.exitStatus;
          // A 137 while the task's cgroup counts an OOM kill: the host's OOM killer, as ECS reports it.
          const oomKilled = code === SIGNAL_EXIT_BASE + 9 && (oomKillCount(this.#record.taskCgroup) ?? 0) > 0;
          this.#exit ??= { exitCode: code, oomKilled, ...(signalOfExitCode(code) ? { signal: signalOfExitCode(code) } : {}) };
          return this.#exit;
        }
        // runsc cannot reach the sandbox: it is gone, and this container with it.
        if (!(await sandboxAlive(this.#rs, this.#record.sandbox))) return this.sandboxEnded();
        // Or it is on its way out: the OOM killer's victim (the Sentry, holding the task's
        // memory) drops runsc's connection at once but takes a while to exit. Giving up here
        // left the task RUNNING for good with its sandbox dead; ask again until one answers.
        if (!(await pauseUnlessAborted(pause, stop.signal))) return this.#exit;
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async kill(signal: string): Promise<void> {
    const name = normalizeSignal(signal);
    this.#lastSignal = name;
    try {
      await runsc(this.#rs, ['kill', this.id, String(signalNumber(name))]);
    } catch (e) {
      const s = await runscStatus(this.#rs, this.id);
      if (s === undefined || s.status === 'stopped') return;
      throw e;
    }
  }

  stop(timeoutSeconds = DEFAULT_STOP_TIMEOUT_SECONDS): Promise<ExitStatus> {
    return stopSequence(this, this.#record.stopSignal, timeoutSeconds);
  }

  async exec(args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    if (args.length === 0) throw new Error('exec needs a command');
    const argv = ['--root', this.#rs.root, 'exec'];
    for (const e of opts.env ?? []) argv.push('--env', e);
    if (opts.user !== undefined) argv.push('--user', opts.user);
    if (opts.cwd !== undefined) argv.push('--cwd', opts.cwd);
    argv.push(this.id, ...args);
    try {
      const r = await launch(this.#rs.binary, argv, { timeoutMs: opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS });
      return { exitCode: r.code, stdout: r.stdout.slice(0, EXEC_OUTPUT_LIMIT_BYTES), stderr: r.stderr.slice(0, EXEC_OUTPUT_LIMIT_BYTES), timedOut: false };
    } catch (e) {
      if ((e as Error).name === 'LaunchTimeoutError') return { exitCode: EXEC_TIMEOUT_EXIT_CODE, stdout: '', stderr: '', timedOut: true };
      throw e;
    }
  }

  /** ECS Exec: `runsc exec` on a terminal (the sandbox's sentry serves the host pty it is given). */
  interactive(args: readonly string[], onOutput: OnOutput, options: { tty?: boolean } = {}): InteractiveExec {
    if (args.length === 0) throw new Error('exec needs a command');
    const argv = [this.#rs.binary, '--root', this.#rs.root, 'exec', this.id, ...args];
    return options.tty === false ? spawnOnPipes(argv, onOutput) : spawnOnTerminal(argv, onOutput);
  }

  async delete(): Promise<ExitStatus | undefined> {
    let status = this.#exit;
    const state = await runscStatus(this.#rs, this.id);
    if (!status && state?.status === 'running') {
      await this.kill('SIGKILL').catch(() => undefined);
      status = await this.wait(KILL_WAIT_MS);
    }
    if (state !== undefined) {
      const r = await launch(this.#rs.binary, ['--root', this.#rs.root, 'delete', '--force', this.id], { timeoutMs: KILL_WAIT_MS });
      // With its sandbox dead there is nothing left to delete but runsc's files (the sandbox's destroy removes them).
      if (r.code !== 0 && !/does not exist|not exist|no such/i.test(r.stderr) && (await sandboxAlive(this.#rs, this.#record.sandbox))) {
        throw new Error(`runsc delete ${this.id}: ${r.stderr.trim()}`);
      }
    }
    // The container's own leaf; the task's cgroup stays until the sandbox goes.
    removeCgroups(this.#record.cgroupsPath, this.#record.taskCgroup);
    await rm(this.#stateDir, { recursive: true, force: true });
    return status ?? (this.#lastSignal ? signalledExit(this.#lastSignal, false) : undefined);
  }
}
