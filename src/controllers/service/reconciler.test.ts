import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './testing/harness.ts';
import { behaviours, instance, service, taskDefinitionArn, updateService } from './testing/builders.ts';

const V1 = taskDefinitionArn('web', 1);
const V2 = taskDefinitionArn('web', 2);
const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

/** A cluster of `n` instances over three zones, each with room for `perInstance` tasks of 256 CPU / 512 MiB. */
function cluster(n: number, perInstance = 5, rng?: () => number): Harness {
  const h = new Harness(rng);
  for (let i = 0; i < n; i++) h.addInstance(instance({ id: `i${i}`, zone: ZONES[i % 3], cpu: 256 * perInstance, memory: 512 * perInstance }));
  h.behaviours.set(V1, behaviours.good());
  h.behaviours.set(V2, behaviours.good());
  return h;
}

const primary = (h: Harness, name = 'web') => h.service(name).deployments.find((d) => d.status === 'PRIMARY')!;
const messages = (h: Harness, name = 'web') => h.service(name).events.map((e) => e.message);
const liveOf = (h: Harness, td?: string) => h.taskList().filter((t) => t.desiredStatus === 'RUNNING' && t.lastStatus !== 'STOPPED' && (!td || t.taskDefinitionArn === td));
const steady = (h: Harness, name = 'web') => h.service(name).steady === true;

/** A steady service of `count` on V1, its deployment COMPLETED. */
function steadyService(h: Harness, count: number, config: Parameters<typeof service>[0] = {}): void {
  h.putService(service({ desiredCount: count, ...config }));
  assert.ok(h.run({ until: () => steady(h), maxMs: 600_000 }), 'the service reaches a steady state');
}

test('a new service starts its tasks, says so, completes its deployment and reaches a steady state once', () => {
  const h = cluster(3);
  steadyService(h, 2);
  const p = primary(h);
  assert.equal(p.rolloutState, 'COMPLETED');
  assert.equal(p.rolloutStateReason, `ECS deployment ${p.id} completed.`);
  const ids = liveOf(h).map((t) => t.id);
  const said = messages(h);
  assert.equal(said[0], '(service web) has reached a steady state.');
  assert.equal(said[1], `(service web) (deployment ${p.id}) deployment completed.`);
  assert.equal(said.at(-1), `(service web) has started 2 tasks: ${ids.map((id) => `(task ${id})`).join(' ')}.`);
  // Nothing to do once steady: no write, no launch, and no second steady-state event.
  const again = h.pass();
  assert.deepEqual(again.actions, []);
  assert.equal(messages(h).filter((m) => m.endsWith('steady state.')).length, 1);
});

test('a stopped task is replaced and the service says steady again once it is back', () => {
  const h = cluster(3);
  steadyService(h, 3);
  const victim = liveOf(h)[0]!;
  const sim = h.tasks.get(victim.id)!;
  sim.summary = { ...sim.summary, lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stoppedAt: h.now / 1000, stopCode: 'EssentialContainerExited', modRevision: ++h.revision };
  h.pass();
  assert.equal(steady(h), false);
  assert.equal(liveOf(h).length, 3, 'a replacement is started at once');
  assert.ok(h.run({ until: () => steady(h), maxMs: 120_000 }));
  assert.equal(messages(h).filter((m) => m.endsWith('steady state.')).length, 2);
});

test('scale up and scale down: the excess goes from the zone with the most tasks, and the service reports the stops', () => {
  const h = cluster(3);
  steadyService(h, 3);
  h.putService({ ...h.service(), desiredCount: 6, steady: false });
  assert.ok(h.run({ until: () => steady(h) }));
  assert.equal(liveOf(h).length, 6);
  h.putService({ ...h.service(), desiredCount: 2, steady: false });
  h.pass();
  const stopping = h.taskList().filter((t) => t.desiredStatus === 'STOPPED' && t.lastStatus !== 'STOPPED');
  assert.equal(stopping.length, 4);
  assert.ok(stopping.every((t) => t.stopCode === 'ServiceSchedulerInitiated' && t.stoppedReason === `Scaling activity initiated by (deployment ${primary(h).id})`));
  const said = /^\(service web\) has stopped 4 running tasks: ((?:\(task t\d+\) ?){4})\.$/.exec(messages(h)[0]!);
  assert.ok(said, messages(h)[0]);
  assert.deepEqual(said[1]!.match(/t\d+/g)!.sort(), stopping.map((t) => t.id).sort());
  // Two left, in two different zones (balance is kept while scaling in).
  const zoneOf = (arn?: string) => h.instances.find((i) => i.record.containerInstanceArn === arn)!.record.attributes[0]!.value;
  const left = liveOf(h).map((t) => zoneOf(t.containerInstanceArn));
  assert.equal(new Set(left).size, 2);
  assert.ok(h.run({ until: () => steady(h) }));
  assert.deepEqual(h.violations, []);
});

for (const [min, max] of [[50, 200], [100, 150]] as const) {
  test(`rolling update of 10 under min ${min}% / max ${max}%: never under the floor, never over the ceiling, old deployment gone at the end`, () => {
    const h = cluster(6);
    steadyService(h, 10, { minimumHealthyPercent: min, maximumPercent: max });
    const old = primary(h).id;
    h.putService(updateService(h.service(), { taskDefinition: V2, deploymentId: 'ecs-svc/0000000000000000002', nowSeconds: h.now / 1000 }));
    const floor = Math.ceil((10 * min) / 100);
    const ceiling = Math.floor((10 * max) / 100);
    let lowest = Infinity;
    let highest = 0;
    const done = h.run({
      until: () => steady(h),
      observe: () => {
        const m = h.measure();
        lowest = Math.min(lowest, m.healthy);
        highest = Math.max(highest, m.total);
        assert.ok(m.healthy >= floor, `healthy ${m.healthy} under the floor ${floor} at t=${h.now}`);
        assert.ok(m.total <= ceiling, `total ${m.total} over the ceiling ${ceiling} at t=${h.now}`);
      },
    });
    assert.ok(done, 'the deployment completes');
    assert.deepEqual(h.violations, []);
    assert.equal(liveOf(h, V2).length, 10);
    assert.equal(liveOf(h, V1).length, 0);
    const s = h.service();
    assert.deepEqual(s.deployments.map((d) => [d.id, d.status, d.rolloutState]), [['ecs-svc/0000000000000000002', 'PRIMARY', 'COMPLETED']]);
    assert.ok(!s.deployments.some((d) => d.id === old));
    assert.ok(lowest >= floor && highest <= ceiling);
    // The limits were used: the rollout went as wide as they allow, and as low.
    assert.equal(highest, ceiling);
    if (min === 50) assert.equal(lowest, floor);
  });
}

test('services of one cluster are reconciled independently; an EXTERNAL service without a task set runs nothing', () => {
  const h = cluster(3);
  h.putService(service({ name: 'web', desiredCount: 2 }));
  h.putService(service({ name: 'api', desiredCount: 3, deploymentId: 'ecs-svc/0000000000000000009' }));
  h.putService({ ...service({ name: 'ext', desiredCount: 2 }), deploymentController: { type: 'EXTERNAL' } });
  assert.ok(h.run({ until: () => steady(h, 'web') && steady(h, 'api') }));
  const count = (name: string) => liveOf(h).filter((t) => t.group === `service:${name}`).length;
  assert.deepEqual([count('web'), count('api'), count('ext')], [2, 3, 0]);
  assert.ok(liveOf(h).filter((t) => t.group === 'service:api').every((t) => t.startedBy === 'ecs-svc/0000000000000000009'));
  assert.deepEqual(h.service('ext').events, []);
});

test('a pass reads each service\'s own tasks by group and never copies the cluster\'s whole task list', () => {
  const h = cluster(3);
  steadyService(h, 2);
  const victim = liveOf(h)[0]!;
  const sim = h.tasks.get(victim.id)!;
  sim.summary = { ...sim.summary, lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stoppedAt: h.now / 1000, stopCode: 'EssentialContainerExited', modRevision: ++h.revision };
  const s = h.snapshot();
  const groups: string[] = [];
  const guarded = Object.create(s, {
    tasks: { get: () => assert.fail('the service reconciler read snapshot.tasks (O(every task of the cluster))') },
    tasksWhere: { value: (f: Parameters<typeof s.tasksWhere>[0]) => { groups.push(f.group ?? '(no group)'); return s.tasksWhere(f); } },
  }) as typeof s;
  const result = h.reconciler.reconcile(guarded, h.now);
  assert.deepEqual(groups, ['service:web']);
  assert.ok(result.actions.some((a) => a.type === 'launch'), 'the stopped task is replaced from what the group read');
});

test('a service whose last pass was quiet is not read again until its record, its tasks, the instances or its wakeAt change', () => {
  const h = cluster(3);
  steadyService(h, 2);
  assert.deepEqual(h.pass().actions, [], 'steady: a quiet pass');
  const reads: string[] = [];
  const watched = () => {
    const s = h.snapshot();
    return Object.create(s, { tasksWhere: { value: (f: Parameters<typeof s.tasksWhere>[0]) => { reads.push(f.group ?? ''); return s.tasksWhere(f); } } }) as typeof s;
  };
  assert.deepEqual(h.reconciler.reconcile(watched(), h.now).actions, []);
  assert.deepEqual(reads, [], 'nothing changed: the quiet pass stands');
  // One of its tasks stops: the group changed, the service is passed and replaces it.
  const victim = liveOf(h)[0]!;
  const sim = h.tasks.get(victim.id)!;
  sim.summary = { ...sim.summary, lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stoppedAt: h.now / 1000, stopCode: 'EssentialContainerExited', modRevision: ++h.revision };
  const after = h.reconciler.reconcile(watched(), h.now);
  assert.deepEqual(reads, ['service:web']);
  assert.ok(after.actions.some((a) => a.type === 'launch'));
  // An instance changes: passed again.
  assert.ok(h.run({ until: () => steady(h), maxMs: 120_000 }));
  h.pass();
  reads.length = 0;
  h.setInstance('i2', { status: 'DRAINING' });
  h.reconciler.reconcile(watched(), h.now);
  assert.deepEqual(reads, ['service:web'], 'an instance changed');
});

test('a quiet pass that waits for a time is passed again once that time comes', () => {
  const h = cluster(3);
  h.putService(service({ desiredCount: 2 }));
  // Started and RUNNING, not yet counted healthy (no health check: 40 s): quiet, with a wakeAt.
  let r = h.pass();
  for (let i = 0; i < 20 && !liveOf(h).every((t) => t.lastStatus === 'RUNNING'); i++) { h.advance(100); r = h.pass(); }
  r = h.pass();
  assert.deepEqual(r.actions, []);
  assert.ok(r.wakeAt !== undefined, 'it asks to be woken when the tasks count as healthy');
  const reads: string[] = [];
  const s = h.snapshot();
  const watched = Object.create(s, { tasksWhere: { value: (f: Parameters<typeof s.tasksWhere>[0]) => { reads.push(f.group ?? ''); return s.tasksWhere(f); } } }) as typeof s;
  assert.equal(h.reconciler.reconcile(watched, r.wakeAt - 1).wakeAt, r.wakeAt, 'before it: the same wakeAt, nothing read');
  assert.deepEqual(reads, []);
  const woken = h.reconciler.reconcile(watched, r.wakeAt);
  assert.deepEqual(reads, ['service:web']);
  assert.ok(woken.actions.length > 0, 'at it: the deployment completes');
});
