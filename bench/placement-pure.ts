/**
 * The pure placement loop, measured: place() and a placement session (openSession) on a
 * snapshot of 10,000 instances that already run 100,000 tasks, binpack, spread and random,
 * next to a baseline measured in the same run — a plain loop that only puts each task on
 * the first instance with room (a cursor over the same instances: the least work any placer
 * can do). Prints placements/s and the ratio to the baseline and to the target.
 *
 *   bin/bench placement-pure [--instances N] [--tasks N] [--place N] [--rounds N] [--requests N]
 *
 * Issue 14's target: the pure loop ≥ 100,000 placements/s at 10,000 instances. Three shapes:
 * one request of --place tasks with place() (a service scaling out: setup paid once),
 * requests of 10 with place() (RunTask's largest count: a pass over the snapshot every 10
 * tasks), and --requests requests of 10 on one session, each seeing what the previous ones
 * took (what the placer does): the session's first request builds the shape, the rest reuse it.
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { place, DEFAULT_SERVICE_STRATEGY } from '../src/scheduler/place.ts';
import { openSession } from '../src/scheduler/session-fast.ts';
import { seeded } from '../src/scheduler/testing/harness.ts';
import type { PlacementInstance, PlacementRequest, PlacementStrategy } from '../src/scheduler/types.ts';

const { values: opt } = parseArgs({
  options: {
    instances: { type: 'string', default: '10000' },
    tasks: { type: 'string', default: '100000' },
    place: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '3' },
    requests: { type: 'string', default: '5000' },
    help: { type: 'boolean', default: false },
  },
});
if (opt.help) {
  console.log('usage: bin/bench placement-pure [--instances 10000] [--tasks 100000] [--place 100000] [--rounds 3] [--requests 5000]');
  process.exit(0);
}
const INSTANCES = Number(opt.instances), TASKS = Number(opt.tasks), PLACE = Number(opt.place), ROUNDS = Number(opt.rounds), REQUESTS = Number(opt.requests);
/** The target for the pure loop. */
const TARGET = 100_000;
const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const TYPES = ['m5.xlarge', 'm5.2xlarge', 'c5.2xlarge'];
const DEMAND = { cpu: 64, memory: 128, ports: [], requiredAttributes: [], eni: false };

/** 10,000 instances of three sizes in three zones, each running its share of 100,000 tasks of 50 services. */
function snapshot(): PlacementInstance[] {
  const out: PlacementInstance[] = [];
  const perInstance = Math.floor(TASKS / INSTANCES);
  for (let k = 0; k < INSTANCES; k++) {
    const size = 1 + (k % 3);
    const groups = new Map<string, number>();
    for (let t = 0; t < perInstance; t++) { const g = `service:svc-${(k + t) % 50}`; groups.set(g, (groups.get(g) ?? 0) + 1); }
    out.push({
      arn: `arn:aws:ecs:us-east-1:000000000000:container-instance/bench/${k.toString(16).padStart(32, '0')}`,
      id: k.toString(16).padStart(32, '0'), status: 'ACTIVE', agentConnected: true, registeredAt: 1_700_000_000 + k,
      attributes: new Map([['ecs.availability-zone', ZONES[k % 3]!], ['ecs.instance-type', TYPES[k % 3]!], ['ecs.os-type', 'linux']]),
      cpu: size * 4096 - perInstance * 128, memory: size * 16384 - perInstance * 256, eni: 3,
      portsInUse: new Set(['22/tcp', '2375/tcp', '2376/tcp', '51678/tcp', '51679/tcp']), groups, taskCount: perInstance,
    });
  }
  return out;
}

/** The baseline: each task on the first instance with cpu and memory left, a cursor never moving back. */
function firstWithRoom(instances: readonly PlacementInstance[], count: number): number {
  const cpu = instances.map((i) => i.cpu), memory = instances.map((i) => i.memory);
  let at = 0, placed = 0;
  for (let n = 0; n < count; n++) {
    while (at < instances.length && (cpu[at]! < DEMAND.cpu || memory[at]! < DEMAND.memory)) at++;
    if (at === instances.length) break;
    cpu[at] = cpu[at]! - DEMAND.cpu; memory[at] = memory[at]! - DEMAND.memory; placed++;
  }
  return placed;
}

function rate(run: () => number): number {
  let best = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    const placed = run();
    const s = (performance.now() - t0) / 1000;
    best = Math.max(best, placed / s);
  }
  return best;
}

const instances = snapshot();
const snap = { instances };
const request = (count: number, strategy: readonly PlacementStrategy[]): PlacementRequest =>
  ({ count, demand: DEMAND, group: 'service:svc-7', constraints: [], strategy });

const shapes: { name: string; strategy: readonly PlacementStrategy[] }[] = [
  { name: 'binpack(memory)', strategy: [{ type: 'binpack', field: 'memory' }] },
  { name: 'spread(zone),spread(instanceId)', strategy: DEFAULT_SERVICE_STRATEGY },
  { name: 'spread(instanceId)', strategy: [{ type: 'spread', field: 'instanceId' }] },
  { name: 'random', strategy: [{ type: 'random' }] },
];

/** --requests requests of 10 on one session opened on the snapshot (the opening is timed too). */
function sessionRate(strategy: readonly PlacementStrategy[]): number {
  const req = request(10, strategy);
  const rng = seeded(14);
  return rate(() => {
    const session = openSession(snap);
    let p = 0;
    for (let r = 0; r < REQUESTS; r++) p += session.place(req, 0, rng).placements.length;
    if (p !== REQUESTS * 10) throw new Error(`session: placed ${p} of ${REQUESTS * 10}`);
    return p;
  });
}

// Warm up the JIT on every path before measuring.
for (const s of shapes) {
  place(snap, request(2000, s.strategy), 0, seeded(1));
  const session = openSession(snap);
  for (let r = 0; r < 200; r++) session.place(request(10, s.strategy), 0, seeded(r));
}
firstWithRoom(instances, 2000);

const baselineOne = rate(() => firstWithRoom(instances, PLACE));
const baselineTen = rate(() => { let p = 0; for (let r = 0; r < 100; r++) p += firstWithRoom(instances, 10); return p; });
// A session's requests share one working copy: the baseline's cursor runs over one copy too.
const baselineSession = rate(() => firstWithRoom(instances, REQUESTS * 10));

console.log(`placement-pure: ${INSTANCES} instances, ${TASKS} running tasks, best of ${ROUNDS} rounds, node ${process.version}`);
const rows: string[][] = [['shape', 'request', 'engine', 'placed /s', 'first-with-room /s', 'ratio', 'of target', `target ≥ ${TARGET}/s`]];
const row = (name: string, req: string, engine: string, r: number, baseline: number) =>
  rows.push([name, req, engine, fmt(r), fmt(baseline), (r / baseline).toFixed(3), (r / TARGET).toFixed(2), r >= TARGET ? 'PASS' : 'FAIL']);
for (const s of shapes) {
  const one = rate(() => {
    const plan = place(snap, request(PLACE, s.strategy), 0, seeded(1));
    if (plan.placements.length !== PLACE) throw new Error(`${s.name}: placed ${plan.placements.length} of ${PLACE}`);
    return plan.placements.length;
  });
  row(s.name, `1 × ${PLACE}`, 'place()', one, baselineOne);
  const ten = rate(() => { let p = 0; for (let r = 0; r < 100; r++) p += place(snap, request(10, s.strategy), 0, seeded(r)).placements.length; return p; });
  row(s.name, '100 × 10', 'place()', ten, baselineTen);
  row(s.name, `${REQUESTS} × 10`, 'session', sessionRate(s.strategy), baselineSession);
}
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
