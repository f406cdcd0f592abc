/**
 * Committed placements through the placer directly (issue 14's src/scheduler/placer.ts),
 * in the benchmark's process on Berth's own data dir while Berth is stopped: the cluster
 * state loaded from the store, `place()` deciding, every batch committed to the store with
 * its compare-and-set, and no HTTP, SigV4 or JSON answers. Between the pure loop (no store)
 * and RunTask over HTTP (everything), it says where the committed rate goes.
 *
 * The placer and the cluster state are loaded only when this build has them; otherwise
 * the part answers one line naming what is missing.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterState } from '../../src/cluster/types.ts';
import type { Scope } from '../../src/core/ecs/scope.ts';
import type { Launch, Placer } from '../../src/scheduler/launch.ts';
import type { PlacementStrategy } from '../../src/scheduler/types.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import { ParsedValues } from '../../src/store/parsed-values.ts';
import type { PlaceFn } from './pure-placement.ts';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const MODULES = { placer: `${SRC}/scheduler/placer.ts`, state: `${SRC}/cluster/cluster-state.ts`, place: `${SRC}/scheduler/place.ts` };

interface Modules {
  createPlacer(deps: { store: Store; state: ClusterState; parsedValues?: ParsedValues; ids: { taskId(): string; uuid(): string }; rng: () => number }): Placer;
  createClusterState(store: Store, options?: { parsedValues?: ParsedValues }): ClusterState;
  place: PlaceFn;
}

export interface DirectOptions {
  readonly statePath: string;
  readonly scope: Scope;
  readonly cluster: string;
  readonly taskDefinitionArn: string;
  readonly count: number;
  readonly strategy: readonly PlacementStrategy[];
  readonly clients: number;
  readonly seconds: number;
  /** Called once the cluster state has loaded, just before the measured launches (to start a profiler). */
  readonly beforeRun?: () => Promise<void>;
  /** Called as soon as the measured launches are done. */
  readonly afterRun?: () => Promise<void>;
}

export interface DirectResult {
  readonly placed: number;
  readonly launches: number;
  readonly unplaced: number;
  readonly firstFailure?: string;
  readonly seconds: number;
  readonly perSecond: number;
  /** How long the cluster state took to load from the store. */
  readonly loadMs: number;
  /**
   * This process's CPU time (user + system, every thread) per placed task over the run: on
   * a machine shared with other work, a steadier figure than the rate.
   */
  readonly cpuMicrosPerTask: number;
  /** The main thread's CPU time alone per placed task (the store writes on a thread of its own): what bounds the rate. */
  readonly mainCpuMicrosPerTask: number;
  /**
   * Bytes this process handed to write(2)/pwrite(2) per placed task (/proc/self/io `wchar`:
   * the WAL frames, the checkpoints' page copies): what a placement costs the disk, which
   * the machine's load does not move. Undefined off Linux.
   */
  readonly writeBytesPerTask?: number;
  /** Share of the run the event loop was busy (performance.eventLoopUtilization): what is left of the main thread. */
  readonly eventLoopBusy: number;
}

/** This process's write(2) counters (Linux), or undefined. */
function writeCounters(): { bytes: number; calls: number } | undefined {
  try {
    const io = readFileSync('/proc/self/io', 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1]);
    return { bytes: field('wchar'), calls: field('syscw') };
  } catch {
    return undefined;
  }
}

/** The modules, or the line saying which this build lacks. */
async function load(): Promise<Modules | string> {
  const missing = Object.values(MODULES).filter((p) => !existsSync(p));
  if (missing.length) return `not available in this build (${missing.map((p) => p.slice(SRC.length - 3)).join(', ')} missing)`;
  const [placer, state, place] = await Promise.all([import(MODULES.placer), import(MODULES.state), import(MODULES.place)]) as [Partial<Modules>, Partial<Modules>, Partial<Modules>];
  if (typeof placer.createPlacer !== 'function' || typeof state.createClusterState !== 'function' || typeof place.place !== 'function') {
    return 'not available in this build (expected createPlacer in src/scheduler/placer.ts, createClusterState in src/cluster/cluster-state.ts, place in src/scheduler/place.ts)';
  }
  return { createPlacer: placer.createPlacer, createClusterState: state.createClusterState, place: place.place };
}

/** The ids the server gives the placer: the pooled ones (src/scheduler/placer-ids.ts) where this build has them. */
async function placerIds(): Promise<{ taskId(): string; uuid(): string }> {
  const path = `${SRC}/scheduler/placer-ids.ts`;
  if (existsSync(path)) return ((await import(path)) as { placerIds(): { taskId(): string; uuid(): string } }).placerIds();
  return { taskId: () => randomBytes(16).toString('hex'), uuid: randomUUID };
}

/** Launches of `count` from `clients` concurrent callers for `seconds`, committed to the store at `statePath` (Berth must be stopped). */
export async function placerDirect(o: DirectOptions): Promise<DirectResult | { unavailable: string }> {
  const m = await load();
  if (typeof m === 'string') return { unavailable: m };
  const store = await openSqliteStore(o.statePath);
  const t0 = performance.now();
  // As the server wires them: the placer's task records reach the state as objects.
  const parsedValues = new ParsedValues();
  const state = m.createClusterState(store, { parsedValues });
  try {
    await state.ready();
    const loadMs = performance.now() - t0;
    const placer = m.createPlacer({ store, state, parsedValues, ids: await placerIds(), rng: Math.random });
    let placed = 0;
    let launches = 0;
    let unplaced = 0;
    let firstFailure: string | undefined;
    await o.beforeRun?.();
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    const main0 = process.threadCpuUsage();
    const io0 = writeCounters();
    const elu0 = performance.eventLoopUtilization();
    const deadline = start + o.seconds * 1000;
    // A launch that places fewer than asked means the cluster is full: the run ends there, and
    // the rate is over the time until then (failing fast on a full cluster is not placing).
    let end = deadline;
    await Promise.all(Array.from({ length: o.clients }, async () => {
      while (performance.now() < Math.min(deadline, end)) {
        const launch: Launch = {
          scope: o.scope, cluster: o.cluster, taskDefinitionArn: o.taskDefinitionArn, count: o.count, placementStrategy: o.strategy,
          startedBy: 'berth-bench-direct', launchType: 'EC2', now: Date.now() / 1000,
        };
        const r = await placer.launch(launch);
        launches++;
        placed += r.tasks.length;
        unplaced += o.count - r.tasks.length;
        if (r.failures[0]) firstFailure ??= `${r.failures[0].reason} (${r.failures[0].arn})`;
        if (r.tasks.length < o.count) end = Math.min(end, performance.now());
      }
    }));
    const seconds = (Math.min(end, performance.now()) - start) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const main = process.threadCpuUsage(main0);
    const io1 = writeCounters();
    const eventLoopBusy = performance.eventLoopUtilization(elu0).utilization;
    await o.afterRun?.();
    const cpuMicrosPerTask = placed ? (cpu.user + cpu.system) / placed : 0;
    const mainCpuMicrosPerTask = placed ? (main.user + main.system) / placed : 0;
    const writeBytesPerTask = io0 && io1 && placed ? (io1.bytes - io0.bytes) / placed : undefined;
    return { placed, launches, unplaced, ...(firstFailure && { firstFailure }), seconds, perSecond: placed / seconds, loadMs, cpuMicrosPerTask, mainCpuMicrosPerTask, ...(writeBytesPerTask !== undefined && { writeBytesPerTask }), eventLoopBusy };
  } finally {
    state.close();
    await store.close();
  }
}
