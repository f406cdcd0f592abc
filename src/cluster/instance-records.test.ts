import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type SqliteStore } from '../store/sqlite/sqlite-store.ts';
import { keys } from '../core/ecs/keys.ts';
import type { ContainerInstanceRecord } from '../core/ecs/container-instance.ts';
import { instanceRecords, type InstanceChange } from './instance-records.ts';

const east = { account: '000000000000', region: 'us-east-1' };
const west = { account: '000000000000', region: 'us-west-2' };
let dir: string;
let store: SqliteStore;

const rec = (id: string) => ({ containerInstanceArn: `arn:${id}`, ec2InstanceId: `i-${id}`, attributes: [] }) as unknown as ContainerInstanceRecord;
const put = (scope: typeof east, cluster: string, id: string) => store.txn({ ops: [{ type: 'put', key: keys.containerInstance(scope, cluster, id), value: JSON.stringify(rec(id)) }] });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-instance-records-'));
  store = await openSqliteStore(join(dir, 'state.db'));
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('lists every cluster\'s instances of one account and region; writes are compare-and-set; a watch resumes from a revision', async () => {
  const records = instanceRecords(store);
  await put(east, 'a', '1');
  const from = await store.revision();
  await put(east, 'b', '2');
  await put(west, 'a', '3');
  const listed = await records.list(east);
  assert.deepEqual(listed.items.map((i) => i.record.ec2InstanceId), ['i-1', 'i-2']);
  assert.equal(listed.revision, await store.revision());

  const held = listed.items[0]!;
  const revision = await records.replace(held, { ...held.record, versionInfo: { agentVersion: 'x' } });
  assert.equal(revision, await store.revision());
  assert.equal(await records.replace(held, held.record), undefined, 'a write from a stale read changes nothing');

  const changes: InstanceChange[] = [];
  const watch = records.watch(east, from, (c) => changes.push(c));
  await store.txn({ ops: [{ type: 'delete', key: keys.containerInstance(east, 'b', '2') }] });
  await new Promise((r) => setTimeout(r, 20));
  watch.close();
  assert.deepEqual(changes.map((c) => [c.type, c.type === 'put' ? c.instance.record.ec2InstanceId : c.key]),
    [['put', 'i-2'], ['put', 'i-1'], ['delete', keys.containerInstance(east, 'b', '2')]]);
});
