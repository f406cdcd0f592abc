// Property tests of the fast session: random clusters and random sequences of place, set
// and delete; after every step the fast session has answered exactly what the reference
// session (the specification as code) answered, rng draws included, and holds the same copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { openSession } from './session-fast.ts';
import { referenceSession, type PlacementSession } from './session.ts';
import { instance, request, type RequestBuilder } from './testing/builders.ts';
import { NOW, seeded } from './testing/harness.ts';
import type { PlacementInstance, PlacementStrategy } from './types.ts';

const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const GROUPS = ['family:app', 'service:web'];
const EXPRESSIONS = [
  'attribute:ecs.availability-zone in [us-east-1a, us-east-1b]',
  'attribute:ecs.instance-type =~ t2.*',
  'not(attribute:ecs.availability-zone == us-east-1c) or attribute:stack exists',
  // These read the tasks: a placement (of any shape) changes which instances hold them.
  'task:group == service:web',
  'not(task:group == family:app)',
  'runningTasksCount < 3',
];

const instanceArb = fc.record({
  cpu: fc.integer({ min: 0, max: 8 }).map((n) => n * 256),
  memory: fc.integer({ min: 0, max: 8 }).map((n) => n * 512),
  eni: fc.integer({ min: 0, max: 3 }),
  status: fc.constantFrom('ACTIVE', 'ACTIVE', 'ACTIVE', 'DRAINING', 'INACTIVE'),
  connected: fc.constantFrom(true, true, true, false),
  zone: fc.option(fc.constantFrom(...ZONES), { nil: undefined, freq: 8 }),
  type: fc.constantFrom('t2.small', 'm5.large'),
  stack: fc.boolean(),
  port80: fc.boolean(),
  provider: fc.option(fc.constantFrom('cp-a', 'cp-b'), { nil: undefined, freq: 3 }),
  app: fc.integer({ min: 0, max: 2 }),
  web: fc.integer({ min: 0, max: 2 }),
});
type Of<A> = A extends fc.Arbitrary<infer T> ? T : never;
type InstanceSpec = Of<typeof instanceArb>;

function build(id: string, r: InstanceSpec): PlacementInstance {
  const b = instance(id).cpu(r.cpu).memory(r.memory).eni(r.eni).status(r.status as 'ACTIVE').type(r.type);
  if (r.zone !== undefined) b.az(r.zone);
  if (!r.connected) b.disconnected();
  if (r.stack) b.attr('stack', 'prod');
  if (r.port80) b.port('80/tcp');
  if (r.provider !== undefined) b.provider(r.provider);
  if (r.app > 0) b.tasks('family:app', r.app);
  if (r.web > 0) b.tasks('service:web', r.web);
  return b.build();
}

const strategyArb = fc.constantFrom<PlacementStrategy>(
  { type: 'binpack', field: 'cpu' }, { type: 'binpack', field: 'memory' }, { type: 'spread', field: 'instanceId' },
  { type: 'spread', field: 'attribute:ecs.availability-zone' }, { type: 'spread', field: 'attribute:stack' }, { type: 'random' },
);

const requestArb = fc.record({
  group: fc.constantFrom(...GROUPS),
  cpu: fc.integer({ min: 0, max: 4 }).map((n) => n * 128),
  memory: fc.integer({ min: 0, max: 4 }).map((n) => n * 256),
  port: fc.boolean(),
  eni: fc.boolean(),
  distinct: fc.boolean(),
  memberOf: fc.option(fc.constantFrom(...EXPRESSIONS), { nil: undefined }),
  strategy: fc.array(strategyArb, { maxLength: 3 }),
  provider: fc.option(fc.constantFrom('cp-a', 'cp-b'), { nil: undefined, freq: 4 }),
}).map((r): RequestBuilder => {
  const b = request().group(r.group).cpu(r.cpu).memory(r.memory).strategies(r.strategy);
  if (r.port) b.port('80/tcp');
  if (r.eni) b.awsvpc();
  if (r.distinct) b.distinctInstance();
  if (r.memberOf) b.memberOf(r.memberOf);
  if (r.provider) b.provider(r.provider);
  return b;
});

// A step: place one of the pool's requests (so shapes come back), set an instance (a newer view, or a new one), delete one, or StartTask.
const stepArb = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('place' as const), which: fc.nat(), count: fc.integer({ min: 0, max: 12 }), seed: fc.integer() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('set' as const), which: fc.nat(), fresh: fc.boolean(), spec: instanceArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), which: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('targets' as const), which: fc.nat(), refs: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }) }) },
);

const scenarioArb = fc.record({
  cluster: fc.array(instanceArb, { minLength: 0, maxLength: 20 }),
  pool: fc.array(requestArb, { minLength: 1, maxLength: 4 }),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 30 }),
});

/** Runs the same steps on both sessions, comparing every answer and the copy after each step. */
function replay(s: Of<typeof scenarioArb>): void {
  const opening = { instances: s.cluster.map((r, k) => build(`i${k}`, r)) };
  const fast = openSession(opening);
  const ref = referenceSession(opening);
  const requests = s.pool.map((b) => b.build());
  let fresh = 0;
  const arns = () => ref.snapshot().instances.map((i) => i.arn);
  const both = (f: (x: PlacementSession) => unknown) => assert.deepEqual(f(fast), f(ref));
  for (const step of s.steps) {
    if (step.op === 'place') {
      const r = { ...requests[step.which % requests.length]!, count: step.count };
      both((x) => x.place(r, NOW, seeded(step.seed)));
    } else if (step.op === 'set') {
      const known = arns();
      const id = step.fresh || known.length === 0 ? `n${fresh++}` : known[step.which % known.length]!.split('/').pop()!;
      const inst = build(id, step.spec);
      both((x) => x.set(inst));
    } else if (step.op === 'delete') {
      const known = arns();
      const arn = known.length === 0 ? 'arn:nothing' : known[step.which % known.length]!;
      both((x) => x.delete(arn));
    } else {
      const known = ref.snapshot().instances;
      const refs = step.refs.map((n) => (n % 5 === 4 || known.length === 0 ? 'unknown' : n % 2 ? known[n % known.length]!.arn : known[n % known.length]!.id));
      const r = { ...requests[step.which % requests.length]!, targets: refs, count: refs.length };
      both((x) => x.place(r, NOW, seeded(1)));
    }
    assert.deepEqual(fast.snapshot(), ref.snapshot());
  }
}

test('the fast session answers every place, set and delete exactly as the reference session', () => {
  fc.assert(fc.property(scenarioArb, (s) => replay(s)), { numRuns: 400 });
});

test('random chains draw from the rng exactly as place() does, request after request', () => {
  const randomPool = fc.array(requestArb.map((b) => b.random()), { minLength: 1, maxLength: 3 });
  fc.assert(fc.property(scenarioArb, randomPool, (s, pool) => replay({ ...s, pool })), { numRuns: 300 });
});

test('a newer view of an instance moves it in the trees of spread chains, random ones included', () => {
  // Few instances, spread over attributes, mostly views of known instances: zones change
  // under cached shapes, and tied zones make the rng's draws depend on the order of values.
  const spreadPool = fc.array(fc.record({
    group: fc.constantFrom(...GROUPS),
    chain: fc.constantFrom<PlacementStrategy[]>(
      [{ type: 'spread', field: 'attribute:ecs.availability-zone' }, { type: 'random' }],
      [{ type: 'spread', field: 'attribute:stack' }, { type: 'spread', field: 'attribute:ecs.availability-zone' }, { type: 'random' }],
      [{ type: 'spread', field: 'attribute:ecs.availability-zone' }, { type: 'binpack', field: 'memory' }, { type: 'random' }],
      [{ type: 'spread', field: 'attribute:ecs.availability-zone' }, { type: 'spread', field: 'instanceId' }],
    ),
  }).map((r) => request().group(r.group).memory(512).strategies(r.chain)), { minLength: 1, maxLength: 3 });
  const views = fc.array(fc.oneof(
    { weight: 3, arbitrary: fc.record({ op: fc.constant('place' as const), which: fc.nat(), count: fc.integer({ min: 1, max: 4 }), seed: fc.integer() }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('set' as const), which: fc.nat(), fresh: fc.constant(false), spec: instanceArb }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), which: fc.nat() }) },
  ), { minLength: 1, maxLength: 40 });
  fc.assert(fc.property(fc.array(instanceArb, { minLength: 1, maxLength: 6 }), spreadPool, views, (cluster, pool, steps) => replay({ cluster, pool, steps })), { numRuns: 1500 });
});
