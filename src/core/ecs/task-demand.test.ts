import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demandOf, newTask } from './task.ts';
import type { TaskDefinitionRecord } from './task-definition.ts';

const scope = { account: '123456789012', region: 'us-east-1' };
const td = {
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1', family: 'web', revision: 1, networkMode: 'bridge',
  containerDefinitions: [
    { name: 'app', image: 'busybox', cpu: 128, memory: 512, memoryReservation: 256, portMappings: [{ containerPort: 80, hostPort: 8080, protocol: 'tcp' }] },
    { name: 'side', image: 'busybox', cpu: 64, memory: 128 },
  ],
} as unknown as TaskDefinitionRecord;

const build = (overrides: Parameters<typeof newTask>[0]['overrides']) => newTask({
  scope, clusterName: 'c', id: 't1', containerIds: ['a', 'b'], taskDefinition: td, overrides, tags: [], launchType: 'EC2', enableExecuteCommand: false, attachments: [], nowSeconds: 1,
});

test("a new task reserves what its effective containers ask: the definition's, with a container override's cpu and memory reservation", () => {
  const plain = build({});
  assert.deepEqual([plain.cpu, plain.memory, plain.reservedPorts], ['192', '384', ['8080/tcp']]);
  assert.deepEqual(demandOf(td, {}), { cpu: 192, memory: 384, ports: ['8080/tcp'] });

  const overrides = { containerOverrides: [{ name: 'side', cpu: 256, memoryReservation: 64 }] };
  const over = build(overrides);
  assert.deepEqual([over.cpu, over.memory], ['384', '320'], 'app 128 + side 256 CPU; app 256 + side 64 MiB reserved');
  assert.deepEqual(over.containers.map((c) => [c.name, c.cpu, c.memoryReservation]), [['app', '128', '256'], ['side', '256', '64']]);
  assert.deepEqual(demandOf(td, overrides), { cpu: 384, memory: 320, ports: ['8080/tcp'] });
});
