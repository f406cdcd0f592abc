import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keys } from '../core/ecs/keys.ts';
import { parseKey, summarize } from './summary.ts';
import { SCOPE, taskRecord } from './testing.ts';

const key = (id: string) => keys.task(SCOPE, 'c', id);

test('a task holding no host ports is summarized with the one shared empty list and no dynamic ports', () => {
  const a = summarize(key('a'), 3, taskRecord('c', 'a', { instance: 'i1' }));
  const b = summarize(key('b'), 4, taskRecord('c', 'b', { instance: 'i1' }));
  assert.deepEqual(a.ports, []);
  assert.equal(a.ports, b.ports);
  assert.ok(Object.isFrozen(a.ports), 'the shared list cannot be changed through one summary');
  assert.equal('dynamicPorts' in a, false);
});

test('static reservations come first, then bound ports; a bound port no mapping reserved is dynamic', () => {
  const t = taskRecord('c', 'a', { instance: 'i1', ports: ['80/tcp', '80/tcp'] });
  const container = (hostPorts: number[]) => ({
    containerArn: 'x', taskArn: t.taskArn, name: 'web', image: 'busybox', lastStatus: 'RUNNING' as const, healthStatus: 'UNKNOWN' as const, cpu: '0', networkInterfaces: [],
    networkBindings: hostPorts.map((hostPort) => ({ bindIP: '0.0.0.0', containerPort: 8080, hostPort, protocol: 'tcp' as const })),
  });
  const s = summarize(key('a'), 5, { ...t, containers: [container([80, 32768]), container([32769])] });
  assert.deepEqual(s.ports, ['80/tcp', '32768/tcp', '32769/tcp']);
  assert.deepEqual(s.dynamicPorts, ['32768/tcp', '32769/tcp']);
});

test('optional fields are present exactly when the record has them', () => {
  const bare = summarize(key('a'), 7, taskRecord('c', 'a'));
  for (const f of ['containerInstanceArn', 'availabilityZone', 'startedBy', 'capacityProviderName', 'startedAt', 'stoppingAt', 'stoppedAt', 'stopCode', 'stoppedReason', 'protectedUntil']) {
    assert.equal(f in bare, false, f);
  }
  const full = summarize(key('b'), 8, {
    ...taskRecord('c', 'b', { instance: 'i1', startedBy: 'ecs-svc/1' }),
    availabilityZone: 'us-east-1a', capacityProviderName: 'cp', startedAt: 1, stoppingAt: 2, stoppedAt: 3, stopCode: 'UserInitiated', stoppedReason: 'why', protectedUntil: 4,
  });
  assert.deepEqual(
    { ...full, ports: [...full.ports] },
    {
      key: key('b'), modRevision: 8, id: 'b', taskArn: full.taskArn, taskDefinitionArn: full.taskDefinitionArn, family: 'web',
      containerInstanceArn: full.containerInstanceArn, availabilityZone: 'us-east-1a', lastStatus: 'PENDING', desiredStatus: 'RUNNING',
      group: 'family:web', startedBy: 'ecs-svc/1', launchType: 'EC2', capacityProviderName: 'cp', cpu: 256, memory: 512, ports: [],
      eni: false, healthStatus: 'UNKNOWN', healthChecked: false, createdAt: 1_700_000_000, startedAt: 1, stoppingAt: 2, stoppedAt: 3,
      stopCode: 'UserInitiated', stoppedReason: 'why', protectedUntil: 4,
    },
  );
  assert.match(full.containerInstanceArn!, /container-instance\/c\/i1$/);
});

test('parseKey reads the indexed kinds of the ECS key layout and nothing else', () => {
  assert.deepEqual(parseKey('/ecs/123/us-east-1/clusters/web'), { scope: { account: '123', region: 'us-east-1' }, cluster: 'web', kind: 'clusters', name: 'web' });
  for (const kind of ['instances', 'tasks', 'services', 'task-status'] as const) {
    assert.deepEqual(parseKey(`/ecs/123/us-east-1/${kind}/web/abc`), { scope: { account: '123', region: 'us-east-1' }, cluster: 'web', kind, name: 'abc' });
  }
  assert.deepEqual(parseKey(key('a'))?.name, 'a');
  for (const k of [
    '/ecs/123/us-east-1/clusters/web/x', '/ecs/123/us-east-1/tasks/web', '/ecs/123/us-east-1/tasks/web/', '/ecs/123/us-east-1/tasks/web/a/b',
    '/ecs/123/us-east-1/task-definitions/web/1', '/ecs//us-east-1/tasks/web/a', '/ecs/123//tasks/web/a', '/ecs/123/us-east-1/tasks//a',
    '/ecs/123/us-east-1/clusters/', '/ecs/123', '/other/123/us-east-1/tasks/web/a', 'ecs/123/us-east-1/tasks/web/a', '',
  ]) assert.equal(parseKey(k), undefined, k);
});
