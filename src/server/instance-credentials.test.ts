import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keys } from '../core/ecs/keys.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import { checkSecret, hasSecret, instanceRefOf, issueSecret } from './instance-credentials.ts';

const ARN = 'arn:aws:ecs:us-east-1:000000000000:container-instance/default/0123456789abcdef0123456789abcdef';

async function store(t: { after(fn: () => Promise<void> | void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-credentials-'));
  const s = await openSqliteStore(join(dir, 'state.db'));
  t.after(async () => { await s.close(); rmSync(dir, { recursive: true, force: true }); });
  return s;
}

const ref = instanceRefOf(ARN)!;
const putInstance = (s: Awaited<ReturnType<typeof store>>, status: string) =>
  s.txn({ ops: [{ type: 'put', key: keys.containerInstance(ref.scope, ref.cluster, ref.id), value: JSON.stringify({ containerInstanceArn: ARN, status }) }] });

test('an ARN names its scope, cluster and id; anything else names no instance', () => {
  assert.deepEqual(ref, { scope: { account: '000000000000', region: 'us-east-1' }, cluster: 'default', id: '0123456789abcdef0123456789abcdef' });
  for (const bad of ['', 'i-123', ARN.replace(':ecs:', ':ecr:'), ARN.replace('/default/', '/'), `${ARN}/x`, ARN.replace('container-instance', 'task')]) {
    assert.equal(instanceRefOf(bad), undefined, bad);
  }
});

test('a secret is issued once: a second issue for the same instance gets nothing', async (t) => {
  const s = await store(t);
  const secret = await issueSecret(s, ref, ARN, new Uint8Array(32).fill(1), 1000);
  assert.match(secret!, /^berth_inst_/);
  assert.equal(await issueSecret(s, ref, ARN, new Uint8Array(32).fill(2), 2000), undefined);
  assert.ok(await hasSecret(s, ref));
  const stored = (await s.list('/berth/instance-credentials/')).items;
  assert.equal(stored.length, 1);
  assert.ok(!stored[0]!.value.includes(secret!), 'only the hash is stored');
});

test('checking: the right secret of an active instance passes; a wrong one, none, or a deregistered instance does not', async (t) => {
  const s = await store(t);
  assert.equal(await checkSecret(s, ref, 'berth_inst_x'), 'no-secret');
  const secret = (await issueSecret(s, ref, ARN, new Uint8Array(32).fill(1), 1000))!;
  await putInstance(s, 'ACTIVE');
  assert.equal(await checkSecret(s, ref, secret), 'ok');
  assert.equal(await checkSecret(s, ref, `${secret}x`), 'wrong-secret');
  await putInstance(s, 'INACTIVE');
  assert.equal(await checkSecret(s, ref, secret), 'deregistered');
  assert.ok(!(await hasSecret(s, ref)), 'revoked');
  await putInstance(s, 'ACTIVE');
  assert.equal(await checkSecret(s, ref, secret), 'no-secret', 'a revoked secret stays revoked when the instance comes back');
});
