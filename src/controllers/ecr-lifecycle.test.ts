import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keys } from '../registry/keys.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { ecrLifecycleJob } from './ecr-lifecycle.ts';
import type { Action } from './types.ts';

const DAY = 86_400_000;
const NOW = 1_700_000_000_000;
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

const put = async (store: Store, key: string, value: unknown) => {
  const r = await store.txn({ ops: [{ type: 'put', key, value: JSON.stringify(value) }] });
  assert.ok(r.ok);
};

/** A repository with a policy expiring untagged images older than a day, and three images. */
async function repo(store: Store, name: string): Promise<void> {
  await put(store, `${keys.repos()}${name}`, { name, createdAt: 0, imageTagMutability: 'MUTABLE', imageScanningConfiguration: { scanOnPush: false } });
  const policy = { rules: [{ rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }, action: { type: 'expire' } }] };
  await put(store, keys.lifecycle(name), { text: JSON.stringify(policy) });
  const manifest = (n: number, pushedAt: number) => ({ digest: digest(n), mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 2, body: '{}', pushedAt, blobs: [], children: [] });
  await put(store, keys.manifest(name, digest(1)), manifest(1, NOW - 3 * DAY)); // untagged, old: expires
  await put(store, keys.manifest(name, digest(2)), manifest(2, NOW - 3 * DAY)); // tagged: stays
  await put(store, keys.tag(name, 'latest'), { digest: digest(2), updatedAt: 0 });
  await put(store, keys.manifest(name, digest(3)), manifest(3, NOW - 1000)); // untagged, new: stays
}

async function apply(store: Store, actions: readonly Action[]): Promise<void> {
  for (const a of actions) {
    if (a.type === 'txn') await store.txn(a.txn);
    else if (a.type === 'update') {
      const cur = await store.get(a.key);
      const next = a.change(cur && JSON.parse(cur.value), NOW);
      if (next !== undefined) await put(store, a.key, next);
    }
  }
}

test('the hourly lifecycle job expires what each policy selects and records when it ran', async () => {
  const store = await openSqliteStore(':memory:');
  await repo(store, 'app');
  await put(store, `${keys.repos()}nopolicy`, { name: 'nopolicy' });
  const job = ecrLifecycleJob({ store });
  const loaded = await job.load();
  assert.deepEqual(loaded.map((r) => r.repo), ['app'], 'repositories without a policy are not loaded');
  await apply(store, job.reconcile(loaded, NOW).actions);
  assert.equal(await store.get(keys.manifest('app', digest(1))), undefined);
  assert.notEqual(await store.get(keys.manifest('app', digest(2))), undefined);
  assert.notEqual(await store.get(keys.manifest('app', digest(3))), undefined);
  assert.equal(JSON.parse((await store.get(keys.lifecycle('app')))!.value).lastEvaluatedAt, NOW);
  await store.close();
});

test('an image tagged after the load is not expired: the delete is pinned to what was read', async () => {
  const store = await openSqliteStore(':memory:');
  await repo(store, 'app');
  const job = ecrLifecycleJob({ store });
  const loaded = await job.load();
  await put(store, keys.manifest('app', digest(1)), { ...JSON.parse((await store.get(keys.manifest('app', digest(1))))!.value), pushedAt: NOW });
  await apply(store, job.reconcile(loaded, NOW).actions);
  assert.notEqual(await store.get(keys.manifest('app', digest(1))), undefined);
  await store.close();
});

test('a run loads at most maxImages and the next resumes after the last repository loaded', async () => {
  const store = await openSqliteStore(':memory:');
  for (const name of ['a', 'b', 'c']) await repo(store, name);
  const job = ecrLifecycleJob({ store, maxImages: 3 });
  assert.deepEqual((await job.load()).map((r) => r.repo), ['a']);
  assert.deepEqual((await job.load()).map((r) => r.repo), ['b']);
  assert.deepEqual((await job.load()).map((r) => r.repo), ['c']);
  assert.deepEqual((await job.load()).map((r) => r.repo), ['a'], 'then from the start again');
  const two = ecrLifecycleJob({ store, maxImages: 5 });
  assert.deepEqual((await two.load()).map((r) => r.repo), ['a', 'b']);
  assert.deepEqual((await two.load()).map((r) => r.repo), ['c', 'a'], 'the rest, then from the start');
  assert.deepEqual((await two.load()).map((r) => r.repo), ['b', 'c']);
  const all = ecrLifecycleJob({ store, maxImages: 100 });
  assert.deepEqual((await all.load()).map((r) => r.repo), ['a', 'b', 'c']);
  assert.deepEqual((await all.load()).map((r) => r.repo), ['a', 'b', 'c'], 'each repository once per run');
  await store.close();
});
