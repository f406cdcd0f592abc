import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './testing/harness.ts';
import { behaviours, instance, instanceArn, service, taskDefinitionArn, updateService } from './testing/builders.ts';
import type { Launch } from '../../scheduler/launch.ts';
import { daemonEligibility } from './daemon-eligible.ts';

const V1 = taskDefinitionArn('web', 1);
const V2 = taskDefinitionArn('web', 2);

function daemonCluster(n: number): Harness {
  const h = new Harness(() => 0.5);
  for (let i = 0; i < n; i++) h.addInstance(instance({ id: `i${i}` }));
  h.behaviours.set(V1, behaviours.good());
  h.behaviours.set(V2, behaviours.good());
  h.putService(service({ name: 'agent', schedulingStrategy: 'DAEMON' }));
  return h;
}

const liveOn = (h: Harness) => {
  const out = new Map<string, string[]>();
  for (const t of h.taskList()) {
    if (t.desiredStatus !== 'RUNNING' || t.lastStatus === 'STOPPED') continue;
    const id = t.containerInstanceArn!.slice(t.containerInstanceArn!.lastIndexOf('/') + 1);
    out.set(id, [...(out.get(id) ?? []), t.taskDefinitionArn]);
  }
  return Object.fromEntries([...out].sort());
};
const steady = (h: Harness) => h.service('agent').steady === true;

test('DAEMON: one task per ACTIVE instance, launched on exactly those instances', () => {
  const h = daemonCluster(3);
  const first = h.reconciler.reconcile(h.snapshot(), h.now);
  const launch = first.actions.find((a) => a.type === 'launch') as { launch: Launch } | undefined;
  assert.deepEqual(launch?.launch.targets, [instanceArn('i0'), instanceArn('i1'), instanceArn('i2')]);
  assert.equal(launch?.launch.group, 'service:agent');
  assert.ok(h.run({ until: () => steady(h) }));
  assert.deepEqual(liveOn(h), { i0: [V1], i1: [V1], i2: [V1] });
  assert.equal(h.service('agent').desiredCount, 3);
});

test('DAEMON follows an instance that joins and one that drains', () => {
  const h = daemonCluster(2);
  assert.ok(h.run({ until: () => steady(h) }));
  h.addInstance(instance({ id: 'i2' }));
  h.pass();
  assert.equal(h.service('agent').steady, false);
  assert.ok(h.run({ until: () => steady(h) }));
  assert.deepEqual(liveOn(h), { i0: [V1], i1: [V1], i2: [V1] });

  h.setInstance('i1', { status: 'DRAINING' });
  h.pass();
  const stopped = h.taskList().filter((t) => t.containerInstanceArn === instanceArn('i1') && t.desiredStatus === 'STOPPED');
  assert.equal(stopped.length, 1, 'the task on the draining instance is stopped at once (minimum 0%)');
  assert.ok(h.run({ until: () => steady(h) }));
  assert.deepEqual(liveOn(h), { i0: [V1], i2: [V1] });
  assert.equal(h.service('agent').desiredCount, 2);
  assert.deepEqual(h.violations, []);
});

test('DAEMON deployment replaces each instance\'s task in place: stop first, then start the new one there', () => {
  const h = daemonCluster(3);
  assert.ok(h.run({ until: () => steady(h) }));
  h.putService(updateService(h.service('agent'), { taskDefinition: V2, deploymentId: 'ecs-svc/0000000000000000002', nowSeconds: h.now / 1000 }));
  let most = 0;
  assert.ok(h.run({
    until: () => steady(h),
    observe: () => {
      for (const id of ['i0', 'i1', 'i2']) {
        const here = h.taskList().filter((t) => t.containerInstanceArn === instanceArn(id) && t.lastStatus !== 'STOPPED');
        most = Math.max(most, here.length);
      }
    },
  }));
  assert.equal(most, 1, 'never two tasks of the daemon on one instance');
  assert.deepEqual(liveOn(h), { i0: [V2], i1: [V2], i2: [V2] });
  assert.deepEqual(h.service('agent').deployments.map((d) => [d.status, d.rolloutState]), [['PRIMARY', 'COMPLETED']]);
});

test('DAEMON deployment under minimumHealthyPercent 50: at most half the instances are without a healthy task at a time', () => {
  const h = daemonCluster(4);
  h.putService({ ...h.service('agent'), deploymentConfiguration: { ...h.service('agent').deploymentConfiguration, minimumHealthyPercent: 50 } });
  assert.ok(h.run({ until: () => steady(h) }));
  h.putService(updateService(h.service('agent'), { taskDefinition: V2, deploymentId: 'ecs-svc/0000000000000000002', nowSeconds: h.now / 1000 }));
  let lowest = Infinity;
  assert.ok(h.run({ until: () => steady(h), observe: () => { lowest = Math.min(lowest, h.measure('agent').healthy); } }));
  assert.equal(lowest, 2, 'two instances at a time, never more');
  assert.deepEqual(liveOn(h), { i0: [V2], i1: [V2], i2: [V2], i3: [V2] });
  assert.deepEqual(h.violations, []);
});

test('DAEMON does not launch on an ACTIVE instance whose agent is away, and keeps the task it has there', () => {
  const h = daemonCluster(2);
  assert.ok(h.run({ until: () => steady(h) }));
  h.setInstance('i1', { agentConnected: false });
  h.addInstance({ ...instance({ id: 'i2' }), record: { ...instance({ id: 'i2' }).record, agentConnected: false } });
  h.run({ until: () => false, maxMs: 60_000 });
  assert.deepEqual(liveOn(h), { i0: [V1], i1: [V1] });
  assert.equal(h.applied.filter((a) => a.type === 'launch').length, 1, 'no launch toward the instances without an agent');
  h.setInstance('i2', { agentConnected: true });
  assert.ok(h.run({ until: () => steady(h) }));
  assert.deepEqual(liveOn(h), { i0: [V1], i1: [V1], i2: [V1] });
});

test('DAEMON with memberOf: only the instances the expression admits are counted and launched on; task:group is left to the placer', () => {
  const h = new Harness(() => 0.5);
  h.addInstance(instance({ id: 'i0', zone: 'us-east-1a' }));
  h.addInstance(instance({ id: 'i1', zone: 'us-east-1b' }));
  h.addInstance(instance({ id: 'i2', zone: 'us-east-1a' }));
  h.behaviours.set(V1, behaviours.good());
  h.putService({
    ...service({ name: 'agent', schedulingStrategy: 'DAEMON' }),
    placementConstraints: [
      { type: 'memberOf', expression: 'attribute:ecs.availability-zone == us-east-1a' },
      { type: 'memberOf', expression: 'not(task:group == service:other)' },
    ],
  });
  const first = h.reconciler.reconcile(h.snapshot(), h.now);
  const launch = first.actions.find((a) => a.type === 'launch') as { launch: Launch } | undefined;
  assert.deepEqual(launch?.launch.targets, [instanceArn('i0'), instanceArn('i2')]);
  assert.ok(h.run({ until: () => steady(h) }));
  assert.deepEqual(liveOn(h), { i0: [V1], i2: [V1] });
  assert.equal(h.service('agent').desiredCount, 2);
});

test('daemonEligibility reads ids, attributes and registeredAt; no memberOf admits every instance', () => {
  const inst = instance({ id: 'i7', zone: 'us-east-1c' });
  assert.equal(daemonEligibility([])(inst), true);
  assert.equal(daemonEligibility([{ type: 'distinctInstance' }])(inst), true);
  assert.equal(daemonEligibility([{ type: 'memberOf', expression: 'ec2InstanceId == i-i7' }])(inst), true);
  assert.equal(daemonEligibility([{ type: 'memberOf', expression: 'attribute:ecs.availability-zone in [us-east-1a, us-east-1b]' }])(inst), false);
  assert.equal(daemonEligibility([{ type: 'memberOf', expression: 'registeredAt < 2020-01-01' }])(inst), true);
});
