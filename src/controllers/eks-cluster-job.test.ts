import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeApiHost, KubeApiOptions } from '../api/kube/contract.ts';
import type { ClusterRecord } from '../core/eks/cluster.ts';
import { eksKeys } from '../core/eks/keys.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { startEksClusterJob } from './eks-cluster-job.ts';

const scope = { account: '000000000000', region: 'us-east-1' };

/** A host that records what it is asked and listens nowhere; `fail` makes open throw. */
function recordingHost(): KubeApiHost & { opened: { uid: string; port: number; version: string }[]; closed: string[]; fail?: string; nextPort: number; attempts: number; issuers: string[] } {
  const h = {
    attempts: 0,
    /** The service account issuer each open was given, for the port it listened on. */
    issuers: [] as string[],
    opened: [] as { uid: string; port: number; version: string }[],
    closed: [] as string[],
    fail: undefined as string | undefined,
    nextPort: 40_001,
    async open(o: Omit<KubeApiOptions, 'store' | 'now'>) {
      h.attempts++;
      if (h.fail) throw new Error(h.fail);
      const port = o.port === 0 ? h.nextPort++ : o.port;
      h.opened.push({ uid: o.cluster.uid, port, version: o.cluster.version });
      if (o.serviceAccounts) h.issuers.push(o.serviceAccounts.issuerFor(port));
      return { url: `https://${o.host}:${port}`, close: async () => undefined };
    },
    async close(uid: string) {
      h.closed.push(uid);
    },
  };
  return h;
}

async function withStore(f: (store: Store) => Promise<void>): Promise<void> {
  const store = await openSqliteStore(':memory:');
  try {
    await f(store);
  } finally {
    await store.close();
  }
}

async function putCluster(store: Store, name: string, more: Partial<ClusterRecord> = {}): Promise<void> {
  const record = { name, uid: `uid-${name}`, status: 'CREATING', version: '1.32', ...more };
  await store.txn({ ops: [
    { type: 'put', key: eksKeys.cluster(scope, name), value: JSON.stringify(record) },
    { type: 'put', key: eksKeys.secrets(scope, name), value: JSON.stringify({ servingCert: 'CERT', servingKey: 'KEY' }) },
  ] });
}

/** Polls until `f` holds (watch events arrive a moment after a write), or fails after 10 s. */
async function eventually(what: string, f: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const record = async (store: Store, name: string) => JSON.parse((await store.get(eksKeys.cluster(scope, name)))!.value) as ClusterRecord;

test('CREATING becomes ACTIVE with its endpoint and port; a new start reopens it on that port', async () => {
  await withStore(async (store) => {
    await putCluster(store, 'demo');
    const host = recordingHost();
    const options = { store, host, listenHost: '127.0.0.1', advertiseHost: '127.0.0.1', authenticate: () => async () => undefined, log: () => undefined, now: Date.now };
    const job = await startEksClusterJob(options);
    await job.settled();
    const active = await record(store, 'demo');
    assert.deepEqual([active.status, active.endpoint, active.port], ['ACTIVE', 'https://127.0.0.1:40001', 40001]);
    await job.close();
    assert.deepEqual(host.closed, ['uid-demo']);

    const again = recordingHost();
    const restarted = await startEksClusterJob({ ...options, host: again });
    await restarted.settled();
    assert.deepEqual(again.opened, [{ uid: 'uid-demo', port: 40001, version: '1.32' }]);
    await restarted.close();
  });
});

test('a cluster that cannot open is logged once while it keeps failing, and opens once it can', async () => {
  await withStore(async (store) => {
    await putCluster(store, 'stuck', { status: 'ACTIVE', port: 40100 });
    const host = recordingHost();
    host.fail = 'listen EADDRINUSE: address already in use 127.0.0.1:40100';
    const lines: string[] = [];
    const job = await startEksClusterJob({ store, host, listenHost: '127.0.0.1', advertiseHost: '127.0.0.1', authenticate: () => async () => undefined, log: (l) => lines.push(l), now: Date.now });
    await job.settled();
    for (let i = 1; i <= 3; i++) {
      await store.txn({ ops: [{ type: 'put', key: '/eks/poke', value: String(i) }] });
      await eventually(`attempt ${i + 1}`, () => host.attempts > i);
    }
    await job.settled();
    assert.equal(lines.filter((l) => l.includes('EADDRINUSE')).length, 1, lines.join('\n'));
    host.fail = undefined;
    await store.txn({ ops: [{ type: 'put', key: '/eks/poke', value: 'go' }] });
    await eventually('the open', () => host.opened.length === 1);
    assert.deepEqual(host.opened, [{ uid: 'uid-stuck', port: 40100, version: '1.32' }]);
    await job.close();
  });
});

test('DELETING closes the server and removes the cluster with its secrets', async () => {
  await withStore(async (store) => {
    await putCluster(store, 'gone');
    const host = recordingHost();
    const job = await startEksClusterJob({ store, host, listenHost: '127.0.0.1', advertiseHost: '127.0.0.1', authenticate: () => async () => undefined, log: () => undefined, now: Date.now });
    await job.settled();
    const active = await record(store, 'gone');
    await store.txn({ ops: [{ type: 'put', key: eksKeys.cluster(scope, 'gone'), value: JSON.stringify({ ...active, status: 'DELETING' }) }] });
    await eventually('the cluster removed', async () => (await store.get(eksKeys.cluster(scope, 'gone'))) === undefined);
    assert.equal(await store.get(eksKeys.secrets(scope, 'gone')), undefined);
    assert.deepEqual(host.closed, ['uid-gone']);
    await job.close();
  });
});

test('a cluster made before service account tokens gets its signing key when opened, once; its issuer is its endpoint', async () => {
  await withStore(async (store) => {
    await putCluster(store, 'older');
    const host = recordingHost();
    let made = 0;
    const newServiceAccountKey = async () => ({ privateJwk: { kty: 'RSA', kid: `k${++made}` }, publicJwk: { kty: 'RSA', kid: `k${made}` } });
    const options = { store, host, listenHost: '127.0.0.1', advertiseHost: '127.0.0.1', authenticate: () => async () => undefined, log: () => undefined, now: Date.now, newServiceAccountKey };
    const job = await startEksClusterJob(options);
    await job.settled();
    const secrets = JSON.parse((await store.get(eksKeys.secrets(scope, 'older')))!.value) as { serviceAccountKey?: { publicJwk: { kid: string } } };
    assert.equal(secrets.serviceAccountKey?.publicJwk.kid, 'k1');
    const active = await record(store, 'older');
    assert.deepEqual([active.endpoint, active.oidcIssuer, host.issuers], ['https://127.0.0.1:40001', 'https://127.0.0.1:40001', ['https://127.0.0.1:40001']]);
    await job.close();
    const again = recordingHost();
    const restarted = await startEksClusterJob({ ...options, host: again });
    await restarted.settled();
    assert.equal(made, 1, 'the kept key is used again');
    assert.deepEqual(again.issuers, ['https://127.0.0.1:40001']);
    await restarted.close();
  });
});

test('an ACTIVE cluster reopened at start-up names its API server as its OIDC issuer', async () => {
  await withStore(async (store) => {
    await putCluster(store, 'earlier', { status: 'ACTIVE', port: 40200, endpoint: 'https://127.0.0.1:40200', oidcIssuer: 'https://oidc.eks.us-east-1.amazonaws.com/id/0A1B' });
    const job = await startEksClusterJob({ store, host: recordingHost(), listenHost: '127.0.0.1', advertiseHost: '127.0.0.1', authenticate: () => async () => undefined, log: () => undefined, now: Date.now });
    await job.settled();
    assert.equal((await record(store, 'earlier')).oidcIssuer, 'https://127.0.0.1:40200');
    await job.close();
  });
});
