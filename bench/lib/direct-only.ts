/**
 * `bin/bench scheduler --direct-only [--profile FILE] [--heap-profile FILE]`: committed
 * placements through the placer directly on a data dir seeded straight through the store
 * (bench/lib/direct-seed.ts), beside the pure loop on a snapshot of the same shape, in
 * seconds; with `--profile`, a CPU profile of the placer's runs (node:inspector) and its
 * summary (bench/lib/cpu-profile.ts); with `--heap-profile`, a sampling heap profile of the
 * same runs and the bytes allocated per committed task (bench/lib/heap-profile.ts).
 * The full run measures the same placer on the cluster Berth built.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { DEFAULT_ACCOUNT, DEFAULT_REGION } from '../../src/cli/defaults.ts';
import { formatSummary, summarize } from './cpu-profile.ts';
import { formatHeapSummary, SAMPLING, summarizeHeap } from './heap-profile.ts';
import { seedDirect } from './direct-seed.ts';
import type { FigureRow } from './figures-table.ts';
import { placerDirect } from './placer-direct.ts';
import { tempDir } from './processes.ts';
import { pureOnlyRows } from './pure-only.ts';
import { STRATEGIES } from './pure-placement.ts';
import type { SchedulerOptions } from './scheduler-options.ts';

const say = (line: string) => process.stderr.write(`scheduler: ${line}\n`);
const n = (x: number) => Math.round(x).toLocaleString('en-US');

export async function directOnlyRows(o: SchedulerOptions, cluster: string, family: string, target: number, pureTarget: number): Promise<FigureRow[]> {
  const scope = { account: DEFAULT_ACCOUNT, region: DEFAULT_REGION };
  const rows: FigureRow[] = [];
  for (const name of (['binpack', 'spread'] as const).filter((p) => o.only.includes(p))) {
    // A fresh data dir per strategy: each starts from the same cluster (a run may fill it).
    const dir = tempDir('berth-bench-direct-', '/var/tmp');
    const statePath = join(dir, 'state.db');
    const t0 = performance.now();
    const { taskDefinitionArn } = await seedDirect(statePath, { scope, cluster, family, instances: o.instances, tasks: o.tasks, cpu: o.cpu, memory: o.memory, taskCpu: o.taskCpu, taskMemory: o.taskMemory });
    say(`${name}: seeded ${n(o.instances)} instances and ${n(o.tasks)} tasks in ${((performance.now() - t0) / 1000).toFixed(1)} s; the placer directly for ${o.seconds} s`);
    const strategy = STRATEGIES[name];
    const label = `${name}(${strategy.map((s) => s.field).join(', ')})`;
    // One profiler at a time: the heap profile's sampling would weigh on the CPU profile.
    const heap = o.heapProfile !== undefined;
    const profiler = o.profile !== undefined || heap ? new Session() : undefined;
    let profile: unknown;
    // Only the measured launches are profiled, not the cluster state's load.
    const beforeRun = async () => {
      if (!profiler) return;
      profiler.connect();
      if (heap) {
        await profiler.post('HeapProfiler.enable');
        await profiler.post('HeapProfiler.startSampling', SAMPLING);
        return;
      }
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    };
    const afterRun = async () => {
      if (!profiler) return;
      profile = heap ? (await profiler.post('HeapProfiler.stopSampling')).profile : (await profiler.post('Profiler.stop')).profile;
      profiler.disconnect();
    };
    const r = await placerDirect({ statePath, scope, cluster, taskDefinitionArn, count: o.count, strategy, clients: o.clients, seconds: o.seconds, beforeRun, afterRun });
    if (profiler && heap) {
      const file = o.heapProfile!.replace(/(\.heapprofile)?$/, `-${name}.heapprofile`);
      writeFileSync(file, JSON.stringify(profile));
      // The session's reopen from the snapshot (10,000 instances) happens once per run: left out of the per-task figure.
      say(`${label}: heap profile in ${file}\n${formatHeapSummary(summarizeHeap(file, 40, ['#reopen']), 'placed' in r ? r.placed : undefined)}`);
    } else if (profiler) {
      const file = o.profile!.replace(/(\.cpuprofile)?$/, `-${name}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      say(`${label}: profile in ${file}\n${formatSummary(summarize(file, 40), 'placed' in r ? r.launches : undefined)}`);
    }
    if ('unavailable' in r) throw new Error(`the placer directly: ${r.unavailable}`);
    rows.push({
      figure: `placements committed, ${label}, the placer directly`, berth: `${n(r.perSecond)}/s`, baseline: '-', ratio: undefined, target: `≥ ${n(target)}/s`,
      pass: r.perSecond >= target, values: { direct: r },
      note: `${n(r.placed)} tasks in ${n(r.launches)} launches of ${o.count} from ${o.clients} concurrent callers over ${r.seconds.toFixed(1)} s, ${n(r.cpuMicrosPerTask)} µs of CPU per task (${n(r.mainCpuMicrosPerTask)} on the main thread), ${r.writeBytesPerTask !== undefined ? `${n(r.writeBytesPerTask)} bytes written per task, ` : ''}event loop busy ${Math.round(r.eventLoopBusy * 100)}% (${n(r.unplaced)} not placed${r.firstFailure ? `, first failure ${r.firstFailure}` : ''}); cluster state loaded in ${(r.loadMs / 1000).toFixed(1)} s; seeded through the store, no HTTP, no agent`,
    });
  }
  const pure = await pureOnlyRows({ ...o, seconds: Math.min(o.seconds, 5) }, `family:${family}`, pureTarget);
  return [...rows, ...pure.rows.filter((r) => o.only.some((p) => r.figure.includes(`${p}(`)))];
}
