// The workload controllers over a pods kind kept by a backend of its own (as pods-as-tasks will
// be), not under the cluster's keys: here a generic storage of another store stands in for it.
// Pods are created, deleted and collected through that backend only, as an API client would,
// and its watch keeps their refs in the controllers' cache, so garbage collection reaches them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthKubeSchemas } from '../src/api/kube/schema/schemas.ts';
import { GenericStorage } from '../src/api/kube/generic-storage.ts';
import { KINDS, KindRegistry, type KindInfo } from '../src/api/kube/kinds.ts';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { startKubeTestServer, type KubeTestServer } from './support/kube.ts';
import { playKubelet, TEST_PODS, type FakeKubelet } from './support/kube-pods.ts';
import { until } from './support/until.ts';

const PODS: KindInfo = { ...TEST_PODS, backend: 'pods-elsewhere' };
let dir: string;
let elsewhere: SqliteStore;
let pods: GenericStorage;
let k: KubeTestServer;
let kubelet: FakeKubelet;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-kube-pods-backend-'));
  elsewhere = await openSqliteStore(join(dir, 'pods.db'));
  const schemas = new BerthKubeSchemas();
  const namespaces = KINDS.find((x) => x.plural === 'namespaces')!;
  let n = 0;
  pods = new GenericStorage({ store: elsewhere, clusterUid: 'pods-elsewhere', schemas, namespaces, now: Date.now, newUid: () => `pod-uid-${++n}`, rng: Math.random });
  await pods.create(namespaces, undefined, { metadata: { name: 'default' } }, { dryRun: false, fieldManager: 'test' });
  k = await startKubeTestServer({ schemas, registry: new KindRegistry([...KINDS.filter((x) => x.plural !== 'pods'), PODS]), backends: { 'pods-elsewhere': pods } });
  kubelet = await playKubelet(k.server, () => 'Ready', PODS, pods);
});
after(async () => {
  kubelet?.close();
  await k?.close();
  await elsewhere?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const podNames = async (): Promise<string[]> => (await pods.list(PODS, 'default', { labels: [], fields: [], limit: 0, continueToken: undefined })).items.map((p) => p.metadata.name!);

test('a deployment runs its pods on the pods kind\'s own backend, and deleting it collects them there', async () => {
  await k.kubectl(['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=2']);
  await k.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s']);
  assert.equal((await podNames()).length, 2);
  assert.equal((await k.kubectl(['get', 'pods', '-o', 'name'])).trim().split('\n').length, 2, 'kubectl reads them through the backend');
  await k.kubectl(['delete', 'deployment', 'web']);
  await until('pods collected on their backend', async () => ((await podNames()).length === 0 ? true : undefined), 15_000);
});
