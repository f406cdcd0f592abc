/**
 * One container under conmon: create → start → (exec, stats) → stop or exit → delete.
 * The facts the agent turns into ECS terms come from {@link Container.exitStatus}:
 * exit code, whether the OOM killer struck, and the signal behind a 128+n status.
 */

import { existsSync, readFileSync, watch } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { writeBundle, type BundleInput } from './bundle.ts';
import { CGROUP_ROOT, cgroupStats, oomKillCount, removeCgroups, type CgroupStats } from './cgroups.ts';
import { joinCgroup2 } from './cgroup2.ts';
import { clearCoveredCgroup } from './create-namespace.ts';
import { createUnderConmon } from './conmon.ts';
import { attach as attachToConmon, type Attached } from './attach.ts';
import { ContainerConfigError, RuntimeCommandError } from './errors.ts';
import { execInContainer, type ExecOptions, type ExecResult } from './exec.ts';
import { spawnInteractiveExec, type InteractiveExec, type OnOutput } from './interactive-exec.ts';
import { processAlive, processArgv, waitForProcessExit } from './exit-watch.ts';
import { runtimeCommand, startCreated, type OciRuntime } from './oci-runtime.ts';
import type { OciSpec } from './oci-spec.ts';
import { readRootfsFile } from './rootfs-read.ts';
import { resolveUser } from './user.ts';
import { normalizeSignal, signalNumber, signalOfExitCode } from './signals.ts';
import type { ExitStatus } from './exit-status.ts';
import { KILL_WAIT_MS, signalledExit, stopSequence } from './stop-sequence.ts';
import { RECORD_VERSION, readNumberFile, statePaths, writeJsonAtomic, type ContainerRecord } from './state-dir.ts';

/** ECS `stopTimeout` when the definition sets none: 30 s (ECS container definition reference). */
export const DEFAULT_STOP_TIMEOUT_SECONDS = 30;
/** ECS's maximum `stopTimeout`: 120 s (Fargate; the container definition reference's limit). */
export const MAX_STOP_TIMEOUT_SECONDS = 120;
export { KILL_WAIT_MS } from './stop-sequence.ts';
export type { ExitStatus } from './exit-status.ts';
/** conmon exits right after writing the exit file; this bounds the wait before it is killed. */
export const CONMON_EXIT_WAIT_MS = 5_000;

/** The stop timeout for an ECS `stopTimeout` value (seconds): default 30, at most 120. */
export function stopTimeoutSeconds(stopTimeout: number | undefined): number {
  if (stopTimeout === undefined || !Number.isFinite(stopTimeout) || stopTimeout < 0) return DEFAULT_STOP_TIMEOUT_SECONDS;
  return Math.min(stopTimeout, MAX_STOP_TIMEOUT_SECONDS);
}

/** Exit code reported when the container ended unwatched and Berth had not signalled it. */
export const LOST_EXIT_CODE = 255;
/**
 * While waiting, how often to check that conmon is still there to write the exit file, and
 * to look for the file itself should an inotify event be lost. A dead conmon is rare (someone
 * killed it): a second to notice is enough, and 100 running containers then cost the agent
 * ~100 small /proc reads a second, not the 400 inotify re-arms and timers of a 250 ms poll.
 */
const MONITOR_CHECK_MS = 1_000;

export interface CreateOptions extends BundleInput {
  /** Per-container state directory (created; must not exist yet with another container's files). */
  readonly stateDir: string;
  readonly runtime: OciRuntime;
  /** The cgroup all of Berth's containers live under, e.g. `/berth`; `cgroupsPath` must be inside it. */
  readonly cgroupParent: string;
  readonly logPath: string;
  readonly logSizeMax?: number | undefined;
}

export class Container {
  readonly stateDir: string;
  readonly record: ContainerRecord;
  /** The container's init process, as the host sees it. */
  readonly pid: number;
  /** Definition settings that were adjusted or ignored (ulimits clamped, ...). */
  readonly warnings: readonly string[];
  #exit: ExitStatus | undefined;
  /** The last signal {@link kill} sent: what an unwatched exit is put down to. */
  #lastSignal: string | undefined;

  constructor(stateDir: string, record: ContainerRecord, pid: number, warnings: readonly string[] = []) {
    this.stateDir = stateDir;
    this.record = record;
    this.pid = pid;
    this.warnings = warnings;
  }

  get id(): string {
    return this.record.id;
  }

  /**
   * Writes the bundle and has conmon create the container (not start it). On failure
   * nothing is left behind: runtime state, cgroups and the state directory are removed.
   */
  static async create(o: CreateOptions): Promise<Container> {
    const parent = posix.normalize(o.cgroupParent);
    if (!parent.startsWith('/') || !o.cgroupsPath.startsWith(`${parent}/`)) {
      throw new ContainerConfigError(`cgroupsPath ${o.cgroupsPath} must be an absolute path under ${o.cgroupParent}`);
    }
    if (existsSync(statePaths(o.stateDir, o.id).record)) {
      throw new ContainerConfigError(`state directory ${o.stateDir} already holds a container: delete it first, or use another directory`);
    }
    const built = writeBundle(o.stateDir, o);
    const record: ContainerRecord = {
      version: RECORD_VERSION, id: o.id, runtime: o.runtime, cgroupsPath: o.cgroupsPath, cgroupParent: parent,
      logPath: o.logPath, rootfsPath: o.rootfsPath, stopSignal: built.stopSignal, createdAt: Date.now(),
      ...(o.definition.interactive === true && { stdin: true }),
      ...(o.definition.pseudoTerminal === true && { terminal: true }),
    };
    writeJsonAtomic(statePaths(o.stateDir, o.id).record, record);
    try {
      const pid = await createUnderConmon({ id: o.id, stateDir: o.stateDir, runtime: o.runtime, logPath: o.logPath, logSizeMax: o.logSizeMax, stdin: o.definition.interactive, stdinOnce: o.definition.stdinOnce, terminal: o.definition.pseudoTerminal });
      joinCgroup2(pid, o.cgroupsPath);
      return new Container(o.stateDir, record, pid, built.warnings);
    } catch (e) {
      await new Container(o.stateDir, record, 0).delete().catch(() => {});
      throw e;
    }
  }

  /** Runs the container's process (`start` needs no cgroup2 workaround: the plain binary, or no program at all). */
  async start(): Promise<void> {
    await startCreated(this.record.runtime, this.id);
  }

  /**
   * How the container ended, or undefined while it runs. The OOM check reads the cgroup,
   * so the first call after the exit must come before {@link delete} (delete makes it).
   */
  exitStatus(): ExitStatus | undefined {
    if (this.#exit) return this.#exit;
    const paths = statePaths(this.stateDir, this.id);
    const code = readNumberFile(paths.exitFile);
    if (code === undefined) return undefined;
    // conmon's oom file, or the kernel's own count (conmon may miss an OOM kill that races the exit).
    const oomKilled = existsSync(paths.oomFile) || (oomKillCount(this.record.cgroupsPath) ?? 0) > 0;
    this.#exit = { exitCode: code, oomKilled, ...(signalOfExitCode(code) ? { signal: signalOfExitCode(code) } : {}) };
    return this.#exit;
  }

  /**
   * The exit status once the container ends; undefined if it still runs after `timeoutMs`
   * or when `signal` aborts the wait (an agent shutting down leaves its containers running).
   */
  wait(timeoutMs = Infinity, signal?: AbortSignal): Promise<ExitStatus | undefined> {
    const settled = () => this.exitStatus() ?? this.#unwatchedExit();
    const now = settled();
    if (now || timeoutMs <= 0 || signal?.aborted) return Promise.resolve(now);
    const exitFile = statePaths(this.stateDir, this.id).exitFile;
    return new Promise((resolve) => {
      // One inotify watch for the whole wait: conmon renames the exit file into place.
      let watcher: ReturnType<typeof watch> | undefined;
      const finish = (status: ExitStatus | undefined) => {
        clearTimeout(timer);
        clearInterval(monitor);
        watcher?.close();
        signal?.removeEventListener('abort', abandon);
        resolve(status);
      };
      const abandon = () => finish(undefined);
      signal?.addEventListener('abort', abandon, { once: true });
      const timer = Number.isFinite(timeoutMs) ? setTimeout(() => finish(settled()), timeoutMs) : undefined;
      const monitor = setInterval(() => {
        const s = settled();
        if (s) finish(s);
      }, MONITOR_CHECK_MS);
      try {
        watcher = watch(dirname(exitFile), (_event, name) => {
          if (name !== null && name !== basename(exitFile)) return;
          const s = this.exitStatus();
          if (s) finish(s);
        });
        watcher.on('error', () => {});
      } catch {
        // The directory is gone or not watchable: the monitor's checks still find the end.
      }
      const s = settled(); // it may have ended before the watch was set up
      if (s) finish(s);
    });
  }

  /** A status for a container that ended after its conmon died (no exit file will ever come). */
  #unwatchedExit(): ExitStatus | undefined {
    if (this.conmonPid() !== undefined || processAlive(this.pid)) return undefined;
    const written = this.exitStatus(); // conmon may have written it just before exiting
    if (written) return written;
    const oomKilled = (oomKillCount(this.record.cgroupsPath) ?? 0) > 0;
    const exit = this.#lastSignal ? signalledExit(this.#lastSignal, oomKilled) : { exitCode: LOST_EXIT_CODE, oomKilled };
    this.#exit = { ...exit, monitorLost: true };
    return this.#exit;
  }

  /** Sends a signal to the container's init. A container that already ended is not an error. */
  async kill(signal: string): Promise<void> {
    const name = normalizeSignal(signal);
    this.#lastSignal = name;
    try {
      await runtimeCommand(this.record.runtime, ['kill', this.id, String(signalNumber(name))]);
    } catch (e) {
      if (this.exitStatus() !== undefined || !processAlive(this.pid)) return;
      throw e;
    }
  }

  /**
   * ECS StopTask: the stop signal (the image's StopSignal, else SIGTERM), then SIGKILL
   * if the container is still running after `timeoutSeconds`.
   */
  stop(timeoutSeconds = DEFAULT_STOP_TIMEOUT_SECONDS, signal = this.record.stopSignal): Promise<ExitStatus> {
    return stopSequence(this, signal, timeoutSeconds);
  }

  /** Runs a command in the running container; `user` may be a name from the image's /etc/passwd. */
  exec(args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const spec = JSON.parse(readFileSync(statePaths(this.stateDir, this.id).config, 'utf8')) as OciSpec;
    let user = opts.user;
    if (user !== undefined && !/^[0-9]+(:[0-9]+)?$/.test(user)) {
      const root = this.record.rootfsPath;
      const u = resolveUser(user, { passwd: readRootfsFile(root, '/etc/passwd'), group: readRootfsFile(root, '/etc/group') });
      user = `${u.uid}:${u.gid}`;
    }
    return execInContainer(this.record.runtime, this.id, args, { baseEnv: spec.process.env, noNewPrivileges: spec.process.noNewPrivileges, ...opts, ...(user !== undefined ? { user } : {}) });
  }

  /** Runs a command in the running container on a terminal (ECS Exec) or on pipes (`tty: false`), as the container's user and environment. */
  interactive(args: readonly string[], onOutput: OnOutput, options: { tty?: boolean } = {}): InteractiveExec {
    const spec = JSON.parse(readFileSync(statePaths(this.stateDir, this.id).config, 'utf8')) as OciSpec;
    return spawnInteractiveExec(this.record.runtime, this.id, args, { baseEnv: spec.process.env, noNewPrivileges: spec.process.noNewPrivileges }, onOutput, options.tty !== false);
  }

  /**
   * Attaches to the container's own process: its stdin (when it was started with stdin open)
   * and its output from now on; on a terminal, the pty itself, and its size (attach.ts).
   */
  attach(onOutput: OnOutput): Attached {
    if (this.record.stdin !== true && this.record.terminal !== true) throw new ContainerConfigError(`container ${this.id} was started with its stdin closed and without a terminal (no interactive / stdin: true, no pseudoTerminal / tty: true): there is nothing to attach to`);
    return attachToConmon(this.stateDir, onOutput, { terminal: this.record.terminal === true });
  }

  stats(): CgroupStats {
    return cgroupStats(this.record.cgroupsPath);
  }

  /**
   * Removes every trace: kills the container if it still runs, reads its exit status
   * (OOM included), deletes it from the runtime, waits for conmon, removes the cgroups
   * Berth's path implies and the state directory. Returns the exit status when known.
   */
  async delete(): Promise<ExitStatus | undefined> {
    let status = this.exitStatus();
    if (status === undefined && this.pid > 0 && processAlive(this.pid)) {
      await this.kill('SIGKILL').catch(() => {});
      status = await this.wait(KILL_WAIT_MS);
    }
    try {
      await runtimeCommand(this.record.runtime, ['delete', '--force', this.id]);
    } catch (e) {
      if (!(e instanceof RuntimeCommandError) || !/does not exist|not exist|No such file/i.test(e.stderr)) throw e;
    }
    await this.#reapConmon();
    const { cgroupsPath, cgroupParent, runtime } = this.record;
    removeCgroups(cgroupsPath, cgroupParent);
    if (runtime.createNamespace !== undefined) {
      // The task's level goes too once its v1 cgroup is gone, i.e. with the last container.
      const parent = posix.dirname(cgroupsPath);
      const whole = parent !== cgroupParent && !existsSync(join(CGROUP_ROOT, 'memory', parent));
      await clearCoveredCgroup(runtime.createNamespace, whole ? parent : cgroupsPath).catch(() => undefined);
    }
    await rm(this.stateDir, { recursive: true, force: true });
    return status;
  }

  /** The pid of this container's conmon if it is still alive (checked by argv, against pid reuse). */
  conmonPid(): number | undefined {
    const pid = readNumberFile(statePaths(this.stateDir, this.id).conmonPid);
    if (pid === undefined || !processAlive(pid)) return undefined;
    const argv = processArgv(pid) ?? [];
    return argv.some((a) => a.endsWith('conmon')) && argv.includes(this.id) ? pid : undefined;
  }

  async #reapConmon(): Promise<void> {
    const pid = this.conmonPid();
    if (pid === undefined || (await waitForProcessExit(pid, CONMON_EXIT_WAIT_MS))) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return;
    }
    await waitForProcessExit(pid, KILL_WAIT_MS);
  }
}
