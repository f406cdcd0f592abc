// Property tests of place(): random clusters and requests, checked against the rules a plan
// must keep and against a naive reference that rescans every instance for every task.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileQuery } from './query/evaluate.ts';
import { place } from './place.ts';
import { instance, request, type RequestBuilder } from './testing/builders.ts';
import { NOW, seeded } from './testing/harness.ts';
import type { PlacementInstance, PlacementRequest, PlacementStrategy } from './types.ts';

const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const EXPRESSIONS = [
  'attribute:ecs.availability-zone in [us-east-1a, us-east-1b]',
  'attribute:ecs.instance-type =~ t2.*',
  'not(attribute:ecs.availability-zone == us-east-1c) or attribute:stack exists',
];
const GROUP = 'family:app';

const instanceArb = fc.record({
  cpu: fc.integer({ min: 0, max: 8 }).map((n) => n * 256),
  memory: fc.integer({ min: 0, max: 8 }).map((n) => n * 512),
  eni: fc.integer({ min: 0, max: 3 }),
  status: fc.constantFrom('ACTIVE', 'ACTIVE', 'ACTIVE', 'DRAINING'),
  connected: fc.constantFrom(true, true, true, false),
  zone: fc.constantFrom(...ZONES),
  type: fc.constantFrom('t2.small', 'm5.large'),
  stack: fc.boolean(),
  port80: fc.boolean(),
  groupTasks: fc.integer({ min: 0, max: 2 }),
});

const clusterArb = fc.array(instanceArb, { minLength: 1, maxLength: 25 }).map((list) => list.map((r, k) => {
  const b = instance(`i${k}`).cpu(r.cpu).memory(r.memory).eni(r.eni).status(r.status as 'ACTIVE').az(r.zone).type(r.type);
  if (!r.connected) b.disconnected();
  if (r.stack) b.attr('stack', 'prod');
  if (r.port80) b.port('80/tcp');
  if (r.groupTasks > 0) b.tasks(GROUP, r.groupTasks);
  return b.build();
}));

const strategyArb = fc.constantFrom<PlacementStrategy>(
  { type: 'binpack', field: 'cpu' }, { type: 'binpack', field: 'memory' }, { type: 'spread', field: 'instanceId' },
  { type: 'spread', field: 'attribute:ecs.availability-zone' }, { type: 'spread', field: 'attribute:stack' },
);

const requestArb = fc.record({
  count: fc.integer({ min: 1, max: 30 }),
  cpu: fc.integer({ min: 0, max: 4 }).map((n) => n * 128),
  memory: fc.integer({ min: 0, max: 4 }).map((n) => n * 256),
  port: fc.boolean(),
  eni: fc.boolean(),
  distinct: fc.boolean(),
  memberOf: fc.option(fc.constantFrom(...EXPRESSIONS), { nil: undefined }),
  strategy: fc.array(strategyArb, { maxLength: 3 }),
  random: fc.boolean(),
}).map((r) => {
  const b = request().group(GROUP).count(r.count).cpu(r.cpu).memory(r.memory).strategies(r.strategy);
  if (r.port) b.port('80/tcp');
  if (r.eni) b.awsvpc();
  if (r.distinct) b.distinctInstance();
  if (r.memberOf) b.memberOf(r.memberOf);
  if (r.random) b.random();
  return b;
});

const run = (cluster: PlacementInstance[], b: RequestBuilder, seed = 7) => {
  const req = b.build();
  return { req, plan: place({ instances: cluster }, req, NOW, seeded(seed)) };
};

test('a plan never over-commits cpu, memory, ports or ENIs, and uses only ACTIVE instances with a connected agent', () => {
  fc.assert(fc.property(clusterArb, requestArb, (cluster, b) => {
    const { req, plan } = run(cluster, b);
    const byArn = new Map(cluster.map((i) => [i.arn, i]));
    const tally = new Map<string, number>();
    for (const arn of plan.placements) tally.set(arn, (tally.get(arn) ?? 0) + 1);
    for (const [arn, n] of tally) {
      const i = byArn.get(arn)!;
      assert.equal(i.status, 'ACTIVE');
      assert.ok(i.agentConnected);
      assert.ok(n * req.demand.cpu <= i.cpu && n * req.demand.memory <= i.memory, 'cpu and memory fit');
      if (req.demand.eni) assert.ok(n <= i.eni, 'ENIs fit');
      if (req.demand.ports.length > 0) assert.ok(n === 1 && !i.portsInUse.has('80/tcp'), 'a static port once, where free');
    }
    if (plan.placements.length < req.count) assert.ok(plan.failures.length > 0 || cluster.every((i) => i.status === 'INACTIVE'));
    else assert.deepEqual(plan.failures, []);
  }), { numRuns: 300 });
});

test('distinctInstance never doubles up, and memberOf always holds', () => {
  fc.assert(fc.property(clusterArb, requestArb, (cluster, b) => {
    const { req, plan } = run(cluster, b);
    const byArn = new Map(cluster.map((i) => [i.arn, i]));
    for (const c of req.constraints) {
      if (c.type === 'distinctInstance') {
        assert.equal(new Set(plan.placements).size, plan.placements.length);
        for (const arn of plan.placements) assert.equal(byArn.get(arn)!.groups.get(GROUP) ?? 0, 0);
      } else {
        const q = compileQuery(c.expression!);
        for (const arn of plan.placements) assert.ok(q.test(byArn.get(arn)!), c.expression);
      }
    }
  }), { numRuns: 300 });
});

test('the same seed gives the same plan', () => {
  fc.assert(fc.property(clusterArb, requestArb, fc.integer(), (cluster, b, seed) => {
    assert.deepEqual(run(cluster, b, seed).plan, run(cluster, b, seed).plan);
  }), { numRuns: 200 });
});

test('spread over zones stays balanced within 1 when capacity allows', () => {
  fc.assert(fc.property(fc.array(fc.constantFrom(...ZONES), { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 40 }), (zones, count) => {
    const cluster = zones.map((z, k) => instance(`i${k}`).az(z).build());
    const { plan } = run(cluster, request().count(count).spread('attribute:ecs.availability-zone').spread('instanceId'));
    assert.equal(plan.placements.length, count);
    const perZone = new Map<string, number>();
    for (const z of new Set(zones)) perZone.set(z, 0);
    for (const arn of plan.placements) { const z = cluster.find((i) => i.arn === arn)!.attributes.get('ecs.availability-zone')!; perZone.set(z, perZone.get(z)! + 1); }
    assert.ok(Math.max(...perZone.values()) - Math.min(...perZone.values()) <= 1, JSON.stringify([...perZone]));
  }), { numRuns: 200 });
});

test('binpack always takes the fitting instance with the least left', () => {
  fc.assert(fc.property(clusterArb, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 20 }), (cluster, units, count) => {
    const need = units * 256;
    const { plan } = run(cluster, request().count(count).memory(need).binpack('memory'));
    const left = new Map(cluster.map((i) => [i.arn, i.memory]));
    const eligible = cluster.filter((i) => i.status === 'ACTIVE' && i.agentConnected);
    for (const arn of plan.placements) {
      const fitting = eligible.filter((i) => left.get(i.arn)! >= need).map((i) => left.get(i.arn)!);
      assert.equal(left.get(arn), Math.min(...fitting));
      left.set(arn, left.get(arn)! - need);
    }
  }), { numRuns: 300 });
});

test('the incremental engine agrees with a naive rescan for every deterministic chain', () => {
  fc.assert(fc.property(clusterArb, requestArb, (cluster, b) => {
    const { req, plan } = run(cluster, b);
    if (req.strategy.length === 0 || req.strategy.some((s) => s.type === 'random')) return;
    assert.deepEqual(plan.placements, naive(cluster, req));
  }), { numRuns: 500 });
});

/** The reference: every task rescans and re-sorts every instance. */
function naive(cluster: readonly PlacementInstance[], req: PlacementRequest): string[] {
  const st = cluster.map((i) => ({ i, cpu: i.cpu, memory: i.memory, eni: i.eni, ports: new Set(i.portsInUse), group: i.groups.get(req.group) ?? 0 }));
  const member = req.constraints.filter((c) => c.type === 'memberOf').map((c) => compileQuery(c.expression!));
  const distinct = req.constraints.some((c) => c.type === 'distinctInstance');
  const attr = (s: (typeof st)[number], name: string) => (s.i.attributes.has(name) ? s.i.attributes.get(name) ?? '' : '\u0000absent');
  const out: string[] = [];
  for (let n = 0; n < req.count; n++) {
    const ok = st.filter((s) => s.i.status === 'ACTIVE' && s.i.agentConnected && s.cpu >= req.demand.cpu && s.memory >= req.demand.memory
      && (!req.demand.eni || s.eni >= 1) && req.demand.ports.every((p) => !s.ports.has(p)) && (!distinct || s.group === 0) && member.every((q) => q.test(s.i)));
    if (ok.length === 0) break;
    const key = (s: (typeof st)[number]) => [...req.strategy.map((g) => {
      if (g.type === 'binpack') return g.field === 'cpu' ? s.cpu : s.memory;
      if (g.field === 'instanceId' || g.field === 'host') return s.group;
      const name = g.field!.slice('attribute:'.length);
      return st.filter((o) => o.i.status !== 'INACTIVE' && attr(o, name) === attr(s, name)).reduce((a, o) => a + o.group, 0);
    }), st.indexOf(s)];
    ok.sort((x, y) => { const a = key(x), b = key(y); for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return a[k]! - b[k]!; return 0; });
    const s = ok[0]!;
    s.cpu -= req.demand.cpu; s.memory -= req.demand.memory; if (req.demand.eni) s.eni--; for (const p of req.demand.ports) s.ports.add(p); s.group++;
    out.push(s.i.arn);
  }
  return out;
}
