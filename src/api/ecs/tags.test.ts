import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { taskOp, SCOPE } from '../../cluster/testing.ts';
import { ApiError } from '../../core/errors.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import type { RequestContext } from '../aws/service.ts';
import { tagOperations } from './tags.ts';
import { rootPrincipal } from '../../identity/principal.ts';

const ctx: RequestContext = { region: SCOPE.region, accountId: SCOPE.account, requestId: 'r', now: 1_700_000_000_000, accessKeyId: undefined, principal: rootPrincipal(SCOPE.account), host: 'localhost' };
const TASK = `arn:aws:ecs:${SCOPE.region}:${SCOPE.account}:task/c1/t1`;

async function setup(t: { after(fn: () => unknown): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-tags-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openSqliteStore(join(dir, 'state.db'));
  t.after(() => store.close());
  await store.txn({ ops: [taskOp('c1', 't1')] });
  return tagOperations({ store });
}

test('tasks are tagged, listed and untagged by their ARN, as ECS TagResource supports', async (t) => {
  const ops = await setup(t);
  await ops.TagResource({ resourceArn: TASK, tags: [{ key: 'team', value: 'a' }, { key: 'env', value: 'prod' }] }, ctx);
  assert.deepEqual((await ops.ListTagsForResource({ resourceArn: TASK }, ctx)).tags, [{ key: 'team', value: 'a' }, { key: 'env', value: 'prod' }]);
  await ops.UntagResource({ resourceArn: TASK, tagKeys: ['team'] }, ctx);
  assert.deepEqual((await ops.ListTagsForResource({ resourceArn: TASK }, ctx)).tags, [{ key: 'env', value: 'prod' }]);
});

test('a task ARN without its cluster, or of no task, is refused and changes nothing', async (t) => {
  const ops = await setup(t);
  await assert.rejects(ops.TagResource({ resourceArn: `arn:aws:ecs:${SCOPE.region}:${SCOPE.account}:task/t1`, tags: [{ key: 'k', value: 'v' }] }, ctx),
    (e) => e instanceof ApiError && e.code === 'InvalidParameterException' && /names the cluster/.test(e.message));
  await assert.rejects(ops.ListTagsForResource({ resourceArn: `arn:aws:ecs:${SCOPE.region}:${SCOPE.account}:task/c1/ghost` }, ctx),
    (e) => e instanceof ApiError && e.code === 'ResourceNotFoundException');
  assert.deepEqual((await ops.ListTagsForResource({ resourceArn: TASK }, ctx)).tags, []);
});
