import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskRecord } from '../../core/ecs/task.ts';
import type { ServiceRecord } from '../../core/ecs/service.ts';
import type { Action } from '../types.ts';
import { stopTask } from './actions.ts';
import { createServiceReconciler } from './reconciler.ts';
import { Harness } from './testing/harness.ts';
import { behaviours, instance, service, taskDefinitionArn } from './testing/builders.ts';

test('the launch carries the service\'s placement, network, tags and deployment, and its outcome becomes events', () => {
  const h = new Harness(() => 0.5);
  h.addInstance(instance({ id: 'i0' }));
  h.behaviours.set(taskDefinitionArn('web', 1), behaviours.good());
  const record: ServiceRecord = {
    ...service({ desiredCount: 3 }),
    placementConstraints: [{ type: 'distinctInstance' }],
    placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
    networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
    tags: [{ key: 'team', value: 'blue' }],
    propagateTags: 'SERVICE',
    enableECSManagedTags: true,
    enableExecuteCommand: true,
  };
  h.putService(record);
  let n = 0;
  const reconciler = createServiceReconciler({ newId: () => `e${++n}`, newDeploymentId: () => 'ecs-svc/9' });
  const { actions } = reconciler.reconcile(h.snapshot(), h.now);
  const launch = actions.find((a): a is Extract<Action, { type: 'launch' }> => a.type === 'launch')!;
  assert.deepEqual(launch.launch, {
    scope: { account: '000000000000', region: 'us-east-1' },
    cluster: 'default',
    taskDefinitionArn: taskDefinitionArn('web', 1),
    startedBy: record.deployments[0]!.id,
    group: 'service:web',
    placementConstraints: [{ type: 'distinctInstance' }],
    placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
    tags: [{ key: 'team', value: 'blue' }],
    propagateTags: 'SERVICE',
    enableECSManagedTags: true,
    enableExecuteCommand: true,
    networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
    launchType: 'EC2',
    now: h.now / 1000,
    count: 3,
  });
  const ci = 'arn:aws:ecs:us-east-1:000000000000:container-instance/default/abc';
  const started = [{ taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/default/aaa' } as TaskRecord];
  const [update] = launch.then!({ tasks: started, failures: [{ arn: ci, reason: 'RESOURCE:PORTS' }] }, h.now + 1000);
  assert.equal(update?.type, 'update');
  const after = (update as Extract<Action, { type: 'update' }>).change(structuredClone(record), h.now + 1000) as ServiceRecord;
  assert.deepEqual(after.events.map((e) => e.message), [
    '(service web) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance abc) is already using a port required by your task. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.',
    '(service web) has started 1 tasks: (task aaa).',
  ]);
  assert.deepEqual(after.events.map((e) => e.id), ['e2', 'e1']);
  assert.equal(after.throttle, undefined, 'a launch that placed something is no failure');
  const [failedUpdate] = launch.then!({ error: 'Internal error.' }, h.now + 2000);
  const failed = (failedUpdate as Extract<Action, { type: 'update' }>).change(structuredClone(record), h.now + 2000) as ServiceRecord;
  assert.equal(failed.events[0]!.message, '(service web) was unable to place a task. Reason: Internal error.');
  assert.equal(failed.throttle?.consecutiveFailures, 1);
  assert.equal((failedUpdate as Extract<Action, { type: 'update' }>).change(undefined, h.now), undefined, 'a deleted service is left deleted');
});

test('stopping a task only stops one still desired RUNNING, with ECS\'s stop code', () => {
  const h = new Harness(() => 0.5);
  h.addInstance(instance({ id: 'i0' }));
  h.behaviours.set(taskDefinitionArn('web', 1), behaviours.good());
  h.putService(service({ desiredCount: 1 }));
  h.run({ until: () => h.service().steady === true });
  const t = h.taskList()[0]!;
  const a = stopTask(t, 'Scaling activity initiated by (deployment ecs-svc/1)') as Extract<Action, { type: 'update' }>;
  assert.equal(a.key, t.key);
  assert.deepEqual(a.change({ taskArn: 'x', desiredStatus: 'RUNNING', version: 4 }, 0), { taskArn: 'x', desiredStatus: 'STOPPED', stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/1)', stopCode: 'ServiceSchedulerInitiated', version: 5 });
  assert.equal(a.change({ taskArn: 'x', desiredStatus: 'STOPPED', stoppedReason: 'user' }, 0), undefined);
  assert.equal(a.change(undefined, 0), undefined);
});
