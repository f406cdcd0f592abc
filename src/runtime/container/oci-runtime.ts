/**
 * Finding the OCI runtime: crun by preference, runc as fallback, `BERTH_RUNTIME=crun|runc`
 * to force one. On a cgroup v1/v2 hybrid host whose cgroup2 mount holds controllers, crun
 * refuses to run (runtime-notes §1), so `create` runs in a private mount namespace where
 * the cgroup2 mount is hidden; every other command runs crun directly.
 */

import { closeSync, constants as fsConstants, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable } from '../../lib/executables.ts';
import { launchChecked } from '../../lib/launcher.ts';
import { RuntimeCommandError, RuntimeUnavailableError } from './errors.ts';
import { HYBRID_CGROUP2_MOUNT, makeCreateNamespace } from './create-namespace.ts';
import { readOnlyBinary } from './read-only-binary.ts';

export type RuntimeName = 'crun' | 'runc';

export interface OciRuntime {
  readonly name: RuntimeName;
  /** The runtime binary: start, kill, exec, state, delete. */
  readonly binary: string;
  /**
   * What conmon runs `create` with, the runtime's own arguments after it: `[binary]`, or on
   * a hybrid host {@link hiddenCgroup2Command}.
   */
  readonly createCommand: readonly string[];
  /** The runtime's state directory (`--root`). */
  readonly root: string;
  readonly version: string;
  /**
   * With a create namespace (create-namespace.ts): the shared directory that container
   * root filesystems must be mounted under for `create` to see them.
   */
  readonly rootfsDir?: string;
  /** The long-lived create namespace's file, when `create` runs in it. */
  readonly createNamespace?: string;
  /** What did not go as wished, e.g. the read-only binary that could not be mounted. */
  readonly warnings?: readonly string[];
}

export interface RuntimeOptions {
  /** Berth's runtime directory (the wrapper and runtime state live here), e.g. /run/berth. */
  readonly runDir: string;
  /** Default: $BERTH_RUNTIME, else crun with runc as fallback. A named runtime gets no fallback. */
  readonly prefer?: RuntimeName | undefined;
  /**
   * Run the binary from a read-only bind mount in this directory (read-only-binary.ts:
   * no self-copy per command). Needs root; without it, or if the mount fails, the
   * installed binary is run and `warnings` says why.
   */
  readonly readOnlyBinaryDir?: string | undefined;
  /**
   * On a hybrid cgroup host, create crun's containers in one long-lived mount namespace
   * (create-namespace.ts) instead of a new one per create. Needs root; whoever mounts
   * root filesystems must then put them under `rootfsDir`. Falls back to the per-create
   * namespace, with a warning, when it cannot be made.
   */
  readonly createNamespace?: boolean | undefined;
}

/** No runtime command of ours (state, start, kill, delete) takes long; a hung one must not hang the agent. */
export const RUNTIME_COMMAND_TIMEOUT_MS = 30_000;
export const HYBRID_CONTROLLERS_FILE = '/sys/fs/cgroup/unified/cgroup.controllers';


/** True when cgroup2 is mounted beside v1 and holds controllers: crun's "hybrid mode not supported". */
export function crunNeedsWrapper(controllersFile = HYBRID_CONTROLLERS_FILE): boolean {
  try {
    return readFileSync(controllersFile, 'utf8').trim() !== '';
  } catch {
    return false;
  }
}

/**
 * crun on a hybrid host (runtime-notes §1): a private mount namespace for this one call,
 * the cgroup2 mount covered by an empty tmpfs in it, then crun, which then sees plain
 * cgroup v1 (it asks statfs what is mounted there). The container's mount namespace is
 * copied from it, so the container does not see cgroup2 either.
 *
 * Covered rather than unmounted: util-linux `umount` reads the whole mount table first,
 * and a busy host has one overlay and one network namespace mount per task (with ~1,200
 * mounts, umount took 3 ms of CPU per create, `mount -t tmpfs` 1.4 ms, both with their
 * program start). A tmpfs, not `unshare --mount-proc`: crun makes a cgroup directory
 * under that path even in v1 mode, and proc takes no mkdir. An argv rather than a script
 * file: no shell reads a script (each program start costs ~1 ms of CPU on a VM).
 */
export function hiddenCgroup2Command(crun: string, unshare: string): string[] {
  return [unshare, '--mount', '--propagation', 'private', '/bin/sh', '-c', `mount -t tmpfs -o size=64k berth-no-cgroup2 ${HYBRID_CGROUP2_MOUNT} 2>/dev/null; exec ${crun} "$@"`, 'crun'];
}


const found = new Map<string, Promise<OciRuntime>>();

/** Finds (once per runDir and preference) the runtime to use; throws {@link RuntimeUnavailableError}. */
export function findRuntime(opts: RuntimeOptions): Promise<OciRuntime> {
  const envPick = process.env.BERTH_RUNTIME;
  if (envPick !== undefined && envPick !== '' && envPick !== 'crun' && envPick !== 'runc') {
    return Promise.reject(new Error(`BERTH_RUNTIME=${envPick}: use crun or runc`));
  }
  const prefer = opts.prefer ?? (envPick === 'crun' || envPick === 'runc' ? envPick : undefined);
  const key = `${opts.runDir}\0${prefer ?? ''}\0${opts.readOnlyBinaryDir ?? ''}\0${opts.createNamespace === true}`;
  let p = found.get(key);
  if (p === undefined) {
    p = locate(opts.runDir, prefer, opts.readOnlyBinaryDir, opts.createNamespace === true);
    found.set(key, p);
    p.catch(() => found.delete(key));
  }
  return p;
}

async function locate(runDir: string, prefer: RuntimeName | undefined, readOnlyDir: string | undefined, createNamespace: boolean): Promise<OciRuntime> {
  const order: RuntimeName[] = prefer ? [prefer] : ['crun', 'runc'];
  const problems: string[] = [];
  for (const name of order) {
    const installed = findExecutable(name);
    if (installed === undefined) {
      problems.push(`${name} not found`);
      continue;
    }
    let version: string;
    try {
      version = (await run(installed, ['--version'])).stdout.split('\n')[0]?.trim() ?? '';
    } catch (e) {
      problems.push(`${installed} --version failed: ${(e as Error).message}`);
      continue;
    }
    const warnings: string[] = [];
    let binary = installed;
    if (readOnlyDir !== undefined) {
      binary = await readOnlyBinary(installed, readOnlyDir).catch((e: Error) => {
        warnings.push(`running ${installed} as installed, which copies itself at every command: no read-only mount of it in ${readOnlyDir} (${e.message})`);
        return installed;
      });
    }
    const root = join(runDir, name);
    mkdirSync(root, { recursive: true, mode: 0o700 });
    let createCommand = [binary];
    let rootfsDir: string | undefined;
    let nsFile: string | undefined;
    if (name === 'crun' && crunNeedsWrapper()) {
      const unshare = findExecutable('unshare');
      if (unshare === undefined) {
        problems.push('crun needs unshare (util-linux) on this hybrid cgroup host');
        continue;
      }
      createCommand = hiddenCgroup2Command(binary, unshare);
      if (createNamespace) {
        try {
          const ns = await makeCreateNamespace(runDir);
          createCommand = ns.command(binary);
          rootfsDir = ns.rootfsDir;
          nsFile = ns.file;
        } catch (e) {
          warnings.push(`a new mount namespace per container create (slower): the long-lived one could not be made (${(e as Error).message})`);
        }
      }
    }
    return { name, binary, createCommand, root, version, ...(rootfsDir && nsFile && { rootfsDir, createNamespace: nsFile }), ...(warnings.length > 0 && { warnings }) };
  }
  const pkg = order.length === 1 ? order[0]! : 'crun';
  throw new RuntimeUnavailableError(order.length === 1 ? `the OCI runtime ${pkg}` : 'an OCI runtime (crun or runc)', pkg, problems.join('; '));
}

/**
 * Starts a created container: releases its process, which waits in the runtime's init
 * until then. For crun this is what `crun start` itself does (src/libcrun/status.c, the
 * same from 1.8 to 1.2x): open `<root>/<id>/exec.fifo` for writing, unlink it, write one
 * byte. Done here, it spares a program start, ~3 ms of CPU and ~5 ms before the task runs.
 * The open does not block: with nobody reading (the process is gone, or it was started
 * already), it fails, and crun's own `start` is run to say why in its words. runc's
 * handshake runs the other way round (its init writes, `start` reads): runc gets `start`.
 */
export async function startCreated(rt: OciRuntime, id: string): Promise<void> {
  if (rt.name === 'crun') {
    const fifo = join(rt.root, id, 'exec.fifo');
    let fd: number | undefined;
    try {
      fd = openSync(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
    } catch {
      // ENOENT (not created, or started already) or ENXIO (no process waits): crun explains.
    }
    if (fd !== undefined) {
      try {
        unlinkSync(fifo); // what tells `crun state` that the container runs
        writeSync(fd, Buffer.of(0));
      } finally {
        closeSync(fd);
      }
      return;
    }
  }
  await runtimeCommand(rt, ['start', id]);
}

export interface CommandResult { readonly stdout: string; readonly stderr: string }

/** Runs `<runtime> --root ROOT args...`; throws {@link RuntimeCommandError} with the runtime's own message. */
export function runtimeCommand(rt: OciRuntime, args: readonly string[], timeoutMs = RUNTIME_COMMAND_TIMEOUT_MS): Promise<CommandResult> {
  return run(rt.binary, ['--root', rt.root, ...args], timeoutMs).catch((e: unknown) => {
    const err = e as { code?: number | string; stderr?: string; message: string };
    throw new RuntimeCommandError(`${rt.name} ${args[0] ?? ''}`, typeof err.code === 'number' ? err.code : null, err.stderr || err.message);
  });
}

/** Through the launcher (src/lib/launcher.ts): a shell forks the runtime, not Node. */
function run(file: string, args: readonly string[], timeoutMs = RUNTIME_COMMAND_TIMEOUT_MS): Promise<CommandResult> {
  return launchChecked(file, args, { timeoutMs });
}
