import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './testing/harness.ts';
import { behaviours, instance, instanceArn, service, taskDefinitionArn } from './testing/builders.ts';

const V1 = taskDefinitionArn('web', 1);

function cluster(n: number): Harness {
  const h = new Harness(() => 0.5);
  for (let i = 0; i < n; i++) h.addInstance(instance({ id: `i${i}`, zone: ['us-east-1a', 'us-east-1b', 'us-east-1c'][i % 3] }));
  h.behaviours.set(V1, behaviours.good());
  return h;
}
const live = (h: Harness) => h.taskList().filter((t) => t.desiredStatus === 'RUNNING' && t.lastStatus !== 'STOPPED');
const on = (h: Harness, id: string) => live(h).filter((t) => t.containerInstanceArn === instanceArn(id));
const steady = (h: Harness) => h.service().steady === true;

test('draining an instance: its tasks are replaced elsewhere first (maximumPercent allows), then stopped', () => {
  const h = cluster(3);
  h.putService(service({ desiredCount: 3 }));
  assert.ok(h.run({ until: () => steady(h) }));
  const before = on(h, 'i0');
  assert.equal(before.length, 1);
  h.setInstance('i0', { status: 'DRAINING' });
  h.pass();
  // min 100%: the task keeps running until its replacement is healthy.
  assert.equal(h.tasks.get(before[0]!.id)!.summary.desiredStatus, 'RUNNING');
  assert.equal(live(h).length, 4, 'a replacement is started before the drained task stops');
  assert.ok(h.run({ until: () => steady(h) }));
  assert.equal(on(h, 'i0').length, 0);
  assert.equal(live(h).length, 3);
  assert.equal(h.tasks.get(before[0]!.id)!.summary.stoppedReason, `Scaling activity initiated by (deployment ${h.service().deployments[0]!.id})`);
  assert.deepEqual(h.violations, []);
});

test('standalone tasks on a draining instance are left alone', () => {
  const h = cluster(2);
  h.putService(service({ desiredCount: 1 }));
  assert.ok(h.run({ until: () => steady(h) }));
  const sim = h.tasks.get(live(h)[0]!.id)!;
  // The same task but started by RunTask: another group, no deployment.
  sim.summary = { ...sim.summary, group: 'family:web', startedBy: 'me' };
  h.setInstance(sim.summary.containerInstanceArn!.slice(-2), { status: 'DRAINING' });
  h.run({ until: () => steady(h) });
  assert.equal(h.tasks.get(sim.summary.id)!.summary.desiredStatus, 'RUNNING');
});

test('a lost instance: its tasks arrive STOPPED and are replaced; when it returns, the duplicates are stopped', () => {
  const h = cluster(3);
  h.putService(service({ desiredCount: 3 }));
  assert.ok(h.run({ until: () => steady(h) }));
  const lostTask = on(h, 'i1')[0]!;
  h.loseInstance('i1');
  h.pass();
  assert.equal(live(h).length, 3, 'replaced at once');
  assert.ok(h.run({ until: () => steady(h) }));
  // The instance comes back still running its old task, which the store shows RUNNING again.
  h.setInstance('i1', { agentConnected: true });
  const sim = h.tasks.get(lostTask.id)!;
  sim.summary = { ...sim.summary, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', modRevision: ++h.revision };
  h.pass();
  assert.equal(live(h).length, 3, 'the service never runs more than its desired count once it sees the duplicate');
  assert.ok(h.run({ until: () => steady(h) }));
  assert.equal(live(h).length, 3);
});

test('tasks on an instance that left the cluster are replaced', () => {
  const h = cluster(3);
  h.putService(service({ desiredCount: 3 }));
  assert.ok(h.run({ until: () => steady(h) }));
  const gone = on(h, 'i2')[0]!;
  h.setInstance('i2', { status: 'INACTIVE' });
  h.pass();
  assert.equal(h.tasks.get(gone.id)!.summary.desiredStatus, 'STOPPED');
  assert.ok(h.run({ until: () => steady(h) }));
  assert.equal(live(h).length, 3);
});

test('DeleteService: a DRAINING service stops every task, then becomes INACTIVE', () => {
  const h = cluster(2);
  h.putService(service({ desiredCount: 2 }));
  assert.ok(h.run({ until: () => steady(h) }));
  h.putService({ ...h.service(), status: 'DRAINING', desiredCount: 0 });
  assert.ok(h.run({ until: () => h.service().status === 'INACTIVE' }));
  assert.equal(live(h).length, 0);
  assert.ok(h.service().events.some((e) => e.message.startsWith('(service web) has stopped 2 running tasks: ')));
  assert.deepEqual(h.pass().actions, [], 'an INACTIVE service is left alone');
});

test('no instance at all: ECS\'s text, said once, and the service retries under the throttle without calling it a failure to start', () => {
  const h = new Harness(() => 0.5);
  h.behaviours.set(V1, behaviours.good());
  h.putService(service({ desiredCount: 1 }));
  h.run({ until: () => false, maxMs: 600_000, stepMs: 1000 });
  const said = h.service().events.map((e) => e.message);
  const noInstances = '(service web) was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.';
  assert.equal(said.filter((m) => m === noInstances).length, 1, 'a repeated placement failure is said once');
  // ECS's throttle message is about tasks that fail to start (PENDING to STOPPED), not placement.
  assert.equal(said.filter((m) => m.endsWith('is unable to consistently start tasks successfully. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.')).length, 0);
  const launches = h.applied.filter((a) => a.type === 'launch').length;
  assert.ok(launches < 15, `throttled: ${launches} launch attempts in 10 minutes, not 600`);
  assert.ok(h.service().throttle!.nextLaunchAt > h.now / 1000);
  // An instance joins: the service starts once the throttle lets it, and says steady.
  h.addInstance(instance({ id: 'late' }));
  assert.ok(h.run({ until: () => steady(h), maxMs: 1_800_000 }));
});

test('a task RunTask started in the service\'s group is not the service\'s: neither counted nor stopped', () => {
  const h = cluster(2);
  h.putService(service({ desiredCount: 1 }));
  assert.ok(h.run({ until: () => steady(h) }));
  const sim = h.tasks.get(live(h)[0]!.id)!;
  sim.summary = { ...sim.summary, startedBy: 'my-script' };
  assert.ok(h.run({ until: () => steady(h) }));
  assert.equal(h.tasks.get(sim.summary.id)!.summary.desiredStatus, 'RUNNING');
  assert.equal(live(h).length, 2, 'the service started its own task beside it');
});
