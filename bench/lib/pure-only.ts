/**
 * `bin/bench scheduler --pure-only`: the pure placement loop alone, on a snapshot of
 * --instances instances carrying --tasks tasks (the shape the full run seeds), without
 * Berth, the simulated agent or the store: the quick figure for whoever works on the engine.
 * The full run measures the same loop on the snapshot of the cluster it built.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_ACCOUNT, DEFAULT_REGION } from '../../src/cli/defaults.ts';
import type { FigureRow } from './figures-table.ts';
import { buildSnapshot, loadEngine, pureLoop, sessionLoop, STRATEGIES } from './pure-placement.ts';
import type { SchedulerOptions } from './scheduler-options.ts';

const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

export async function pureOnlyRows(o: SchedulerOptions, group: string, target: number): Promise<{ engine: string; rows: FigureRow[] }> {
  const engine = await loadEngine();
  const instances = Array.from({ length: o.instances }, (_, i) => ({
    containerInstanceArn: `arn:aws:ecs:${DEFAULT_REGION}:${DEFAULT_ACCOUNT}:container-instance/bench/${randomBytes(16).toString('hex')}`,
    zone: ZONES[i % ZONES.length]!, cpu: o.cpu, memory: o.memory,
    tasks: Math.floor(o.tasks / o.instances) + (i < o.tasks % o.instances ? 1 : 0),
  }));
  const snapshot = buildSnapshot(instances, { cpu: o.taskCpu, memory: o.taskMemory }, group, Date.now() / 1000);
  const demand = { cpu: o.taskCpu, memory: o.taskMemory, ports: [], requiredAttributes: [], eni: false };
  const rows: FigureRow[] = [];
  for (const name of ['binpack', 'spread'] as const) {
    const strategy = STRATEGIES[name];
    const r = pureLoop(engine, snapshot, demand, strategy, group, o.count, Number.MAX_SAFE_INTEGER, o.seconds);
    const figure = `pure placement loop, ${name}(${strategy.map((s) => s.field).join(', ')})`;
    // place() per request, opening the whole cluster each time: the baseline of the session row, not the loop the target is for.
    rows.push({
      figure: `${figure}, place() per request`, berth: `${Math.round(r.perSecond).toLocaleString('en-US')}/s`, baseline: '-', ratio: undefined,
      target: '-', pass: undefined, values: { pure: r },
      note: `${engine.name}: ${r.placed.toLocaleString('en-US')} placed in ${r.requests.toLocaleString('en-US')} requests of ${o.count} over ${r.seconds.toFixed(1)} s on ${o.instances.toLocaleString('en-US')} instances holding ${o.tasks.toLocaleString('en-US')} tasks`,
    });
    // The same requests on one placement session (what the placer keeps per cluster), with place() above as its baseline.
    const s = sessionLoop(snapshot, demand, strategy, group, o.count, Number.MAX_SAFE_INTEGER, o.seconds);
    rows.push({
      figure: `${figure}, one session`, berth: `${Math.round(s.perSecond).toLocaleString('en-US')}/s`, baseline: `place() ${Math.round(r.perSecond).toLocaleString('en-US')}/s`, ratio: s.perSecond / r.perSecond,
      target: `≥ ${target.toLocaleString('en-US')}/s`, pass: s.perSecond >= target, values: { session: s, pure: r },
      note: `openSession: ${s.placed.toLocaleString('en-US')} placed in ${s.requests.toLocaleString('en-US')} requests of ${o.count} over ${s.seconds.toFixed(1)} s`,
    });
  }
  return { engine: engine.name, rows };
}
