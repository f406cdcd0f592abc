import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newTask } from '../core/ecs/task.ts';
import { effectiveContainers } from '../core/ecs/task.ts';
import { specOf } from '../core/ecs/task-model.ts';
import type { TaskDefinitionRecord } from '../core/ecs/task-definition.ts';
import { fromStored } from './assignment-file.ts';

test('a task.json of an agent before the workload model is read as the spec the control plane sends now', () => {
  const td = {
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:3', family: 'web', revision: 3, networkMode: 'bridge', cpu: '256', memory: '512',
    containerDefinitions: [{ name: 'web', image: 'busybox', cpu: 0, environment: [{ name: 'A', value: '1' }], portMappings: [{ containerPort: 80, protocol: 'tcp' }], mountPoints: [{ sourceVolume: 'v', containerPath: '/v' }] }],
    volumes: [{ name: 'v' }],
  } as unknown as TaskDefinitionRecord;
  const overrides = { containerOverrides: [{ name: 'web', environment: [{ name: 'A', value: '2' }] }] };
  const task = newTask({
    scope: { account: '123456789012', region: 'us-east-1' }, clusterName: 'c', id: 'a'.repeat(32), containerIds: ['b'.repeat(32)], taskDefinition: td, overrides,
    containerInstanceArn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/c/i', tags: [], launchType: 'EC2', enableExecuteCommand: false, attachments: [], nowSeconds: 5,
  });
  const legacy = {
    task, containers: effectiveContainers(td, task.overrides), logDriverMode: 'blocking' as const,
    taskDefinition: { family: 'web', revision: 3, networkMode: 'bridge' as const, volumes: td.volumes, cpu: '256', memory: '512' },
  };
  const a = fromStored(legacy);
  assert.deepEqual(a, { logDriverMode: 'blocking', spec: specOf(task, td), lastStatus: 'PENDING' });
  assert.deepEqual(a.spec.containers[0]!.env, [{ name: 'A', value: '2' }], 'overrides applied once');
  assert.equal(fromStored(a), a, 'a current one is read as it is');
});
