import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import { newTaskOps } from '../../core/workload/task-store.ts';
import type { TaskRecord } from '../../core/ecs/task.ts';
import { POD_ECS_CLUSTER } from '../../core/kube/pod/hosting.ts';
import { podUid, taskIdOfUid } from '../../core/kube/pod/to-spec.ts';
import type { KindInfo } from './kinds.ts';
import type { StorageBackend } from './storage-backend.ts';
import { chooseContainer, resolvePodFromStore } from './pod-target.ts';
import { notFound, type StatusError } from './status.ts';

test('the container is the only one, or the one named; else the API server\'s 400', () => {
  assert.equal(chooseContainer('box', [{ name: 'main' }], undefined), 'main');
  assert.equal(chooseContainer('duo', [{ name: 'a' }, { name: 'b' }], 'b'), 'b');
  const ambiguous = chooseContainer('duo', [{ name: 'a' }, { name: 'b' }], undefined) as StatusError;
  assert.equal(ambiguous.code, 400);
  assert.equal(ambiguous.message, 'a container name must be specified for pod duo, choose one of: [a b]');
  assert.equal((chooseContainer('box', [{ name: 'main' }], 'nope') as StatusError).message, 'container nope is not valid for pod box');
});

test('Berth\'s resolver: the pod from its backend, its task by the uid in the pods\' ECS cluster', async () => {
  const store = await openSqliteStore(':memory:');
  const id = '0123456789abcdef0123456789abcdef';
  const scope = { account: '000000000000', region: 'us-east-1' };
  const taskArn = `arn:aws:ecs:us-east-1:000000000000:task/${POD_ECS_CLUSTER}/${id}`;
  await store.txn({ ops: newTaskOps({ scope, cluster: POD_ECS_CLUSTER, id }, {
    taskArn, containerInstanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/default/i1', lastStatus: 'RUNNING',
    containers: [{ name: 'web', runtimeId: `${id}-web`, lastStatus: 'RUNNING' }, { name: 'side', lastStatus: 'PENDING' }],
  } as unknown as TaskRecord) });
  const pods = new Map([['box', { metadata: { name: 'box', namespace: 'default', uid: podUid(id) }, spec: { containers: [{ name: 'web' }, { name: 'side' }] }, status: { phase: 'Running' } }],
    ['orphan', { metadata: { name: 'orphan', namespace: 'default', uid: podUid('f'.repeat(32)) }, spec: { containers: [] } }]]);
  const backend = { get: async (_k: KindInfo, _ns: string | undefined, name: string) => pods.get(name) ?? (() => { throw notFound({ group: '', plural: 'pods' }, name); })() } as unknown as StorageBackend;
  const resolve = resolvePodFromStore({ store, pods: backend, podKind: {} as KindInfo, scope });
  assert.equal(taskIdOfUid(podUid(id)), id);
  assert.deepEqual(await resolve('default', 'box'), {
    taskArn, taskId: id, containerInstanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/default/i1',
    containers: [{ name: 'web', runtimeId: `${id}-web` }, { name: 'side' }], phase: 'Running',
  });
  const missing = await resolve('default', 'ghost') as StatusError;
  assert.equal(missing.code, 404);
  assert.equal(missing.message, 'pods "ghost" not found');
  assert.equal((await resolve('default', 'orphan') as StatusError).code, 404);
  await store.close();
});
