import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keys } from '../../core/ecs/keys.ts';
import { taskDefinitionView, type TaskDefinitionRecord } from '../../core/ecs/task-definition.ts';
import { getJson } from '../../store/json.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import type { RawJson, RequestContext } from '../aws/service.ts';
import { taskDefinitionOperations } from './task-definitions.ts';
import { rootPrincipal } from '../../identity/principal.ts';

const scope = { account: '000000000000', region: 'us-east-1' };
const ctx = (now: number): RequestContext => ({ region: scope.region, accountId: scope.account, requestId: `r${now}`, now, accessKeyId: undefined, principal: rootPrincipal(scope.account), host: 'localhost' });
const input = (family: string, i: number) => ({
  family,
  containerDefinitions: [{ name: 'app', image: `registry.example/app:${i}`, memory: 128, environment: [{ name: 'PAD', value: 'p'.repeat(200 + i) }] }],
  tags: [{ key: 'n', value: String(i) }],
});

test('DescribeTaskDefinition answers what is stored, for every revision, while its caches evict and revisions change', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-taskdefs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Both caches far smaller than what is read, so most reads find their entry evicted.
  const store = await openSqliteStore(join(dir, 'state.db'), { cacheBytes: 8 * 1024 });
  t.after(() => store.close());
  const ops = taskDefinitionOperations({ store }, { viewCacheBytes: 16 * 1024 });
  const families = ['web', 'api', 'worker'];
  const REVISIONS = 40;
  let now = 1_700_000_000_000;
  for (let i = 0; i < REVISIONS; i++) {
    await Promise.all(families.map((f) => ops.RegisterTaskDefinition(input(f, i), ctx(now++))));
  }
  const describe = async (taskDefinition: string) =>
    JSON.parse((await ops.DescribeTaskDefinition({ taskDefinition, include: ['TAGS'] }, ctx(now++)) as RawJson).json) as { taskDefinition: Record<string, unknown>; tags: unknown };
  const expected = async (family: string, revision: number) => {
    const r = (await getJson<TaskDefinitionRecord>(store, keys.taskDefinition(scope, family, revision)))!.value;
    return { taskDefinition: JSON.parse(JSON.stringify(taskDefinitionView(r))) as Record<string, unknown>, tags: r.tags };
  };
  const checkAll = async () => {
    // Twice over, in two orders: the second pass reads what the first one cached or evicted.
    for (const order of [1, -1]) {
      for (let k = 0; k < REVISIONS; k++) {
        const rev = order === 1 ? k + 1 : REVISIONS - k;
        for (const f of families) assert.deepEqual(await describe(`${f}:${rev}`), await expected(f, rev), `${f}:${rev}`);
      }
    }
  };
  await checkAll();
  // Deregister every third revision and the latest of 'web': cached answers must not outlive them.
  for (let rev = 1; rev <= REVISIONS; rev += 3) await ops.DeregisterTaskDefinition({ taskDefinition: `api:${rev}` }, ctx(now++));
  await ops.DeregisterTaskDefinition({ taskDefinition: `web:${REVISIONS}` }, ctx(now++));
  await checkAll();
  assert.equal((await describe('api:1')).taskDefinition.status, 'INACTIVE');
  assert.equal((await describe('web')).taskDefinition.revision, REVISIONS - 1, 'a bare family is its latest ACTIVE revision');
  assert.equal((await describe('worker')).taskDefinition.revision, REVISIONS);
  assert.ok(store.cacheUsage().bytes <= 8 * 1024);
});
