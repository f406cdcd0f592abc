import { startKubeControllers } from '../../controllers/kube/controller-loop.ts';
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { randomUUID } from 'node:crypto';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/sqlite-store.ts';
import { makeCerts } from '../../../test/support/kube.ts';
import { schemasDouble } from '../../../test/support/kube-schemas-double.ts';
import { BerthKubeApiHost } from './host.ts';
import { NodeBackend } from './node-backend.ts';
import { PodBackend } from './pod-backend.ts';
import { instanceRecords } from '../../cluster/instance-records.ts';

let dir: string;
let store: SqliteStore;
let certs: { ca: string; cert: string; key: string };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-kube-host-'));
  certs = makeCerts(dir);
  store = await openSqliteStore(join(dir, 'state.db'));
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const status = (url: string, path: string): Promise<number> => new Promise((resolve, reject) => {
  request(new URL(path, url), { ca: certs.ca }, (res) => {
    res.resume();
    resolve(res.statusCode ?? 0);
  }).on('error', reject).end();
});

it('opens one server per cluster, again on the port it had after a close, closes it, and purges its objects', async () => {
  const host = new BerthKubeApiHost({
    store, now: Date.now, controllers: startKubeControllers, schemasFor: () => schemasDouble(),
    backendsFor: (cluster, schemas) => ({
      nodes: new NodeBackend({ instances: instanceRecords(store), cluster, now: Date.now }),
      pods: new PodBackend({ store, cluster, schemas, now: Date.now, newUid: randomUUID, rng: Math.random }),
    }),
  });
  const options = {
    cluster: { account: '1', region: 'r', name: 'a', uid: 'uid-a', version: '1.32' }, tls: { cert: certs.cert, key: certs.key },
    host: '127.0.0.1', port: 0, authenticate: async () => undefined,
  };
  const [api, same] = await Promise.all([host.open(options), host.open(options)]);
  assert.equal(same, api);
  assert.equal(await status(api.url, '/healthz'), 200);
  assert.equal(await status(api.url, '/api'), 401);
  // Its controllers make the bootstrap namespaces.
  for (let i = 0; i < 100 && (await store.list('/berth/kube/uid-a/')).items.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  const port = Number(new URL(api.url).port);
  await host.close('uid-a');
  await assert.rejects(status(api.url, '/healthz'));
  const again = await host.open({ ...options, port });
  assert.equal(again.url, api.url);
  await host.closeAll();
  // A purge leaves nothing of the cluster.
  assert.ok((await store.list('/berth/kube/uid-a/')).items.length > 0);
  await host.purge('uid-a');
  assert.equal((await store.list('/berth/kube/uid-a/')).items.length, 0);
});
