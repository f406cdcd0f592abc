/**
 * The floor under a task start: the OCI runtime alone, on the same machine, with the spec
 * Berth itself wrote for a task's container (same namespaces, cgroup memory limit,
 * seccomp profile, capabilities, masked paths, /etc files), on a plain copy of the same
 * image's rootfs. Only the command (`true`), the cgroup path, the network namespace (one
 * the benchmark made, so that creating it is not timed, as Berth's is not either) and the
 * rootfs path differ. crun's create and run go through the command Berth gives conmon
 * (`createCommand`: unshare, sh -c 'mount tmpfs over cgroup2; exec crun' on this hybrid-cgroup
 * host), so both sides pay for hiding cgroup2.
 *
 *   run           `<runtime> run --bundle B id`: create, start, the process exits, delete
 *   create+start  `<runtime> create` then `<runtime> start` (what "running" means for a
 *                 task); the delete after it is not timed
 */

import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hierarchies } from '../../src/runtime/container/cgroups.ts';
import { run } from './processes.ts';

/** The cgroup parent of the baseline's containers: beside Berth's `/berth`, never inside it. */
export const RAW_CGROUP_PARENT = '/berth-bench-raw';

export interface RawRuntime {
  readonly name: 'crun' | 'runc';
  /** What runs `create` and `run`, the runtime's arguments after it (crun: Berth's createCommand). */
  readonly createCommand: readonly string[];
  /** start, delete. */
  readonly binary: string;
  /** `--root`: the benchmark's own state directory for this runtime. */
  readonly root: string;
}

interface OciSpecLike {
  root: { path: string; readonly?: boolean };
  process: { args: string[]; terminal?: boolean };
  mounts?: { source?: string; destination: string }[];
  linux: { cgroupsPath?: string; namespaces?: { type: string; path?: string }[] };
}

/**
 * Builds the baseline bundle in `dir` from a Berth container's state dir (its config.json
 * and etc/ files) and its mounted rootfs (the spec's root.path), copied once. Returns the bundle path and the
 * command it runs.
 */
export function prepareRawBundle(o: { fromStateDir: string; dir: string; netnsPath: string; cgroupLeaf: string }): { bundle: string; command: string[] } {
  const bundle = join(o.dir, 'bundle');
  const rootfs = join(o.dir, 'rootfs');
  mkdirSync(bundle, { recursive: true });
  const spec = JSON.parse(readFileSync(join(o.fromStateDir, 'config.json'), 'utf8')) as OciSpecLike;
  // Wherever the agent mounted it (the task directory, or /run/berth/rootfs on a hybrid host).
  cpSync(spec.root.path, rootfs, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  const etc = join(o.fromStateDir, 'etc');
  if (existsSync(etc)) {
    mkdirSync(join(bundle, 'etc'), { recursive: true });
    for (const f of readdirSync(etc)) copyFileSync(join(etc, f), join(bundle, 'etc', f));
  }
  for (const m of spec.mounts ?? []) {
    if (m.source?.startsWith(`${o.fromStateDir}/`)) m.source = join(bundle, m.source.slice(o.fromStateDir.length + 1));
  }
  const command = hasFile(rootfs, 'bin/true') ? ['/bin/true'] : ['sleep', '0'];
  spec.root.path = rootfs;
  spec.process.args = command;
  spec.process.terminal = false;
  spec.linux.cgroupsPath = `${RAW_CGROUP_PARENT}/${o.cgroupLeaf}`;
  for (const ns of spec.linux.namespaces ?? []) if (ns.type === 'network') ns.path = o.netnsPath;
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  return { bundle, command };
}

function hasFile(rootfs: string, rel: string): boolean {
  try {
    lstatSync(join(rootfs, rel));
    return true;
  } catch {
    return false;
  }
}

/** Runs a command with stdio on /dev/null; resolves with the milliseconds from spawn to exit. */
function timed(command: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const ms = performance.now() - t0;
      if (code === 0) resolve(ms);
      else reject(new Error(`${command} ${args.join(' ')} exited ${code ?? signal}`));
    });
  });
}

/** `<runtime> run`: the whole life of a container whose process exits at once. */
export function rawRun(rt: RawRuntime, bundle: string, id: string): Promise<number> {
  return timed(rt.createCommand[0]!, [...rt.createCommand.slice(1), '--root', rt.root, 'run', '--bundle', bundle, id]);
}

/** `<runtime> create` + `<runtime> start`, timed together; then an untimed `delete -f`. */
export async function rawCreateStart(rt: RawRuntime, bundle: string, id: string): Promise<number> {
  try {
    const create = await timed(rt.createCommand[0]!, [...rt.createCommand.slice(1), '--root', rt.root, 'create', '--bundle', bundle, id]);
    const start = await timed(rt.binary, ['--root', rt.root, 'start', id]);
    return create + start;
  } finally {
    await run(rt.binary, ['--root', rt.root, 'delete', '-f', id]).catch(() => undefined);
  }
}

/** Deletes whatever containers are left in the benchmark's runtime roots and its cgroup parent. */
export async function cleanupRaw(runtimes: readonly RawRuntime[]): Promise<void> {
  for (const rt of runtimes) {
    if (!existsSync(rt.root)) continue;
    for (const id of readdirSync(rt.root)) {
      if (lstatSync(join(rt.root, id)).isDirectory()) await run(rt.binary, ['--root', rt.root, 'delete', '-f', id]).catch(() => undefined);
    }
  }
  for (const h of hierarchies()) {
    const parent = join(h, RAW_CGROUP_PARENT);
    if (!existsSync(parent)) continue;
    for (const leaf of readdirSync(parent, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      try { rmdirSync(join(parent, leaf.name)); } catch { /* in use */ }
    }
    try { rmdirSync(parent); } catch { /* in use */ }
  }
}

/**
 * `<runtime> run` back to back with `concurrency` in flight for `seconds`: containers
 * per second that the runtime alone gets through on this machine (each one created,
 * started, exited and deleted), the ceiling for task starts per second.
 */
export async function rawRunRate(rt: RawRuntime, bundles: readonly string[], seconds: number): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  const t0 = performance.now();
  let done = 0;
  let n = 0;
  await Promise.all(bundles.map(async (bundle, lane) => {
    while (performance.now() < deadline) {
      await rawRun(rt, bundle, `bbraw-${rt.name}-p${lane}-${n++}`);
      done++;
    }
  }));
  return done / ((performance.now() - t0) / 1000);
}

/** Another bundle on the same rootfs and /etc files with its own cgroup, for containers that run at the same time. */
export function cloneBundle(bundle: string, dir: string, cgroupLeaf: string): string {
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as OciSpecLike;
  spec.linux.cgroupsPath = `${RAW_CGROUP_PARENT}/${cgroupLeaf}`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
  return dir;
}
