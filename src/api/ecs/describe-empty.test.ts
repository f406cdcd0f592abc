import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterOp, SCOPE } from '../../cluster/testing.ts';
import { createClusterState } from '../../cluster/cluster-state.ts';
import { ApiError } from '../../core/errors.ts';
import { createPlacer } from '../../scheduler/placer.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import type { RequestContext } from '../aws/service.ts';
import { containerInstanceOperations } from './container-instances.ts';
import { taskOperations } from './tasks.ts';
import { rootPrincipal } from '../../identity/principal.ts';

const ctx: RequestContext = { region: SCOPE.region, accountId: SCOPE.account, requestId: 'r', now: 1_700_000_000_000, accessKeyId: undefined, principal: rootPrincipal(SCOPE.account), host: 'localhost' };

async function setup(t: { after(fn: () => unknown): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-describe-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openSqliteStore(join(dir, 'state.db'));
  t.after(() => store.close());
  const state = createClusterState(store);
  t.after(() => state.close());
  await state.ready();
  await store.txn({ ops: [clusterOp('c1')] });
  const placer = createPlacer({ store, state, rng: () => 0.5, ids: { taskId: () => 't', uuid: () => 'u' } });
  return { ...taskOperations({ store, state, placer }), ...containerInstanceOperations({ store, state, placer }) };
}

const refused = (message: RegExp) => (e: unknown) => e instanceof ApiError && e.code === 'InvalidParameterException' && message.test(e.message);

test('DescribeTasks of no task is refused with ECS\'s sentence, before the cluster is looked up', async (t) => {
  const ops = await setup(t);
  await assert.rejects(ops.DescribeTasks({ cluster: 'c1', tasks: [] }, ctx), refused(/^Tasks cannot be empty\./));
  await assert.rejects(ops.DescribeTasks({ cluster: 'ghost', tasks: [] }, ctx), refused(/^Tasks cannot be empty\./));
});

test('DescribeContainerInstances of no instance is refused the same way', async (t) => {
  const ops = await setup(t);
  await assert.rejects(ops.DescribeContainerInstances({ cluster: 'c1', containerInstances: [] }, ctx), refused(/^Container Instances cannot be empty\./));
  assert.deepEqual(await ops.DescribeContainerInstances({ cluster: 'c1', containerInstances: ['0123456789abcdef0123456789abcdef'] }, ctx),
    { containerInstances: [], failures: [{ arn: '0123456789abcdef0123456789abcdef', reason: 'MISSING' }] }, 'one unknown instance is a failure, not an error');
});
