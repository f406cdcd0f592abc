/**
 * The Kubernetes API server's wire answers, request by request: Status shapes, Tables and
 * metadata-only answers, watch streams (Tables, initial events and bookmarks, 410), limits.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { ADMIN_TOKEN, startKubeTestServer, type KubeTestServer } from './support/kube.ts';
import { kubeRequest, kubeWatch } from './support/kube-http.ts';
import { CONTINUE_TTL_MS } from '../src/api/kube/continue-token.ts';
import { EVENT_TTL_MS } from '../src/controllers/kube/reconcile.ts';

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const CMS = '/api/v1/namespaces/default/configmaps';

let s: KubeTestServer;
let clock = Date.parse('2026-12-07T12:00:00Z');

const post = (path: string, body: object, query = ''): ReturnType<typeof kubeRequest> =>
  kubeRequest(s, `${path}${query}`, { method: 'POST', token: ADMIN_TOKEN, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

before(async () => {
  s = await startKubeTestServer({ now: () => clock, historyRevisions: 20 });
  for (let i = 0; i < 100; i++) {
    // The bootstrap namespace, and the CA the controllers publish in it (kube-root-ca.crt), before the tests watch it.
    if ((await kubeRequest(s, `${CMS}/kube-root-ca.crt`, { token: ADMIN_TOKEN })).status === 200) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const name of ['t1', 't2', 't3']) assert.equal((await post(CMS, { metadata: { name, labels: { set: 'table' } }, data: { a: '1', b: '2' } })).status, 201);
});
after(async () => {
  await s.close();
});

describe('the connection', () => {
  it('keeps an idle HTTP/1.1 connection open as the API server does (90 s), not Node\'s 5 s: a client reusing it is answered', async () => {
    const { connect } = await import('node:tls');
    const { port } = new URL(s.url);
    const socket = connect({ host: '127.0.0.1', port: Number(port), ca: s.ca, servername: 'localhost', ALPNProtocols: ['http/1.1'] });
    let text = '';
    let closed = false;
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.on('close', () => (closed = true));
    socket.on('error', () => undefined);
    const answered = async (count: number): Promise<void> => {
      for (let i = 0; i < 600 && (text.match(/"gitVersion"/g) ?? []).length < count && !closed; i++) await new Promise((r) => setTimeout(r, 50));
    };
    try {
      await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
      const get = `GET /version HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n\r\n`;
      socket.write(get);
      await answered(1);
      assert.match(text, /^HTTP\/1\.1 200 /);
      assert.match(text, /\r\nKeep-Alive: timeout=90\r\n/i);
      // Idle longer than Node's default keep-alive timeout (5 s), which closed it before.
      await new Promise((r) => setTimeout(r, 6_000));
      assert.equal(closed, false, 'the server closed the idle connection');
      socket.write(get);
      await answered(2);
      assert.equal((text.match(/HTTP\/1\.1 200 /g) ?? []).length, 2, text);
    } finally {
      socket.destroy();
    }
  });

  it('offers h2 over ALPN, as the real server does, and serves a watch on an h2 stream', async () => {
    const { connect } = await import('node:http2');
    const session = connect(s.url, { ca: s.ca });
    try {
      const get = (path: string): Promise<{ status: number; text: string }> => new Promise((resolve, reject) => {
        const stream = session.request({ ':path': path, authorization: `Bearer ${ADMIN_TOKEN}` });
        let status = 0;
        let text = '';
        stream.on('response', (h) => (status = Number(h[':status'])));
        stream.on('data', (c: Buffer) => (text += c.toString()));
        stream.on('end', () => resolve({ status, text }));
        stream.on('error', reject);
      });
      const v = await get('/version');
      assert.equal(session.alpnProtocol, 'h2');
      assert.deepEqual([v.status, (JSON.parse(v.text) as { major: string }).major], [200, '1']);
      const rv = (await s.store.revision()).toString();
      const watched = get(`${CMS}?watch=1&timeoutSeconds=2&resourceVersion=${rv}`);
      await new Promise((r) => setTimeout(r, 200));
      await post(CMS, { metadata: { name: 'over-h2' } });
      const w = await watched;
      assert.equal(w.status, 200);
      assert.deepEqual(w.text.trim().split('\n').map((l) => { const e = JSON.parse(l) as { type: string; object: { metadata: { name: string } } }; return [e.type, e.object.metadata.name]; }), [['ADDED', 'over-h2']]);
    } finally {
      session.close();
    }
  });
});

describe('Status errors', () => {
  it('NotFound, AlreadyExists and Invalid are shaped as the API server shapes them', async () => {
    const missing = await kubeRequest(s, `${CMS}/nope`, { token: ADMIN_TOKEN });
    assert.deepEqual([missing.status, missing.json()], [404, {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'configmaps "nope" not found', reason: 'NotFound', details: { name: 'nope', kind: 'configmaps' }, code: 404,
    }]);
    const again = await post(CMS, { metadata: { name: 't1' } });
    assert.deepEqual([again.status, again.json().reason, again.json().message], [409, 'AlreadyExists', 'configmaps "t1" already exists']);
    const bad = await post(CMS, { metadata: { name: 'a_b' } });
    const details = bad.json().details as { kind: string; causes: { reason: string; field: string }[] };
    assert.deepEqual([bad.status, details.kind, details.causes[0]?.reason, details.causes[0]?.field], [422, 'ConfigMap', 'FieldValueInvalid', 'metadata.name']);
  });

  it('a method a resource does not take is 405; a body over 3 MiB is 413', async () => {
    const put = await kubeRequest(s, CMS, { method: 'PUT', token: ADMIN_TOKEN, headers: { 'Content-Type': 'application/json' }, body: '{}' });
    assert.deepEqual([put.status, put.json().reason], [405, 'MethodNotAllowed']);
    const big = await post(CMS, { metadata: { name: 'big' }, data: { a: 'x'.repeat(3 * 1024 * 1024) } });
    assert.deepEqual([big.status, big.json().reason], [413, 'RequestEntityTooLarge']);
  });

  it('deletes a collection by label selector, answering the deleted objects', async () => {
    for (const name of ['dc1', 'dc2']) await post(CMS, { metadata: { name, labels: { batch: 'dc' } } });
    const r = await kubeRequest(s, `${CMS}?labelSelector=batch%3Ddc`, { method: 'DELETE', token: ADMIN_TOKEN });
    const list = r.json() as { kind: string; items: { metadata: { name: string } }[] };
    assert.deepEqual([r.status, list.kind, list.items.map((i) => i.metadata.name)], [200, 'ConfigMapList', ['dc1', 'dc2']]);
    assert.equal((await kubeRequest(s, `${CMS}/dc1`, { token: ADMIN_TOKEN })).status, 404);
    assert.equal((await kubeRequest(s, `${CMS}/t1`, { token: ADMIN_TOKEN })).status, 200);
  });

  it('fieldValidation=Strict refuses a field named twice, which JSON.parse would fold', async () => {
    const r = await kubeRequest(s, `${CMS}?fieldValidation=Strict`, { method: 'POST', token: ADMIN_TOKEN, headers: { 'Content-Type': 'application/json' },
      body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup"},"data":{"a":"1"},"data":{"b":"2"}}' });
    assert.deepEqual([r.status, r.json().message], [400, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: duplicate field "data"']);
    assert.equal((await kubeRequest(s, `${CMS}/dup`, { token: ADMIN_TOKEN })).status, 404);
  });

  it('fieldValidation=Warn stores the object and answers a Warning header per unknown field', async () => {
    const r = await post(CMS, { metadata: { name: 'warned' }, data: {}, extra: 1 }, '?fieldValidation=Warn');
    assert.equal(r.status, 201);
    assert.equal(r.headers.warning, '299 - "unknown field \\"extra\\""');
  });
});

describe('representations', () => {
  it('lists as a Table with the kind\'s columns and each row\'s metadata, or the whole object, or none', async () => {
    const r = await kubeRequest(s, `${CMS}?labelSelector=set%3Dtable`, { token: ADMIN_TOKEN, headers: { Accept: TABLE } });
    assert.equal(r.headers['content-type'], 'application/json;as=Table;v=v1;g=meta.k8s.io');
    const t = r.json() as { kind: string; columnDefinitions: { name: string }[]; rows: { cells: unknown[]; object: { kind: string } }[]; metadata: { resourceVersion: string } };
    assert.deepEqual([t.kind, t.columnDefinitions.map((c) => c.name)], ['Table', ['Name', 'Data', 'Age']]);
    assert.deepEqual(t.rows.map((row) => row.cells), [['t1', 2, '0s'], ['t2', 2, '0s'], ['t3', 2, '0s']]);
    assert.equal(t.rows[0]?.object.kind, 'PartialObjectMetadata');
    assert.ok(Number(t.metadata.resourceVersion) > 0);
    const full = (await kubeRequest(s, `${CMS}/t1?includeObject=Object`, { token: ADMIN_TOKEN, headers: { Accept: TABLE } })).json() as { rows: { object: { kind: string; data: object } }[] };
    assert.deepEqual([full.rows[0]?.object.kind, full.rows[0]?.object.data], ['ConfigMap', { a: '1', b: '2' }]);
    const none = (await kubeRequest(s, `${CMS}/t1?includeObject=None`, { token: ADMIN_TOKEN, headers: { Accept: TABLE } })).json() as { rows: object[] };
    assert.equal('object' in none.rows[0]!, false);
  });

  it('answers PartialObjectMetadataList for metadata-only clients', async () => {
    const r = await kubeRequest(s, `${CMS}?labelSelector=set%3Dtable`, { token: ADMIN_TOKEN, headers: { Accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json' } });
    const list = r.json() as { kind: string; items: { kind: string; metadata: { name: string }; data?: object }[] };
    assert.equal(list.kind, 'PartialObjectMetadataList');
    assert.deepEqual(list.items.map((i) => [i.kind, i.metadata.name, i.data]), [['PartialObjectMetadata', 't1', undefined], ['PartialObjectMetadata', 't2', undefined], ['PartialObjectMetadata', 't3', undefined]]);
  });

  it('expires an event an hour after it was last seen', async () => {
    const events = '/api/v1/namespaces/default/events';
    const at = new Date(clock).toISOString();
    assert.equal((await post(events, { metadata: { name: 'ev' }, involvedObject: { kind: 'ConfigMap', name: 't1' }, reason: 'Tested', message: 'm', type: 'Normal', lastTimestamp: at, firstTimestamp: at })).status, 201);
    // Let the pass the create started go by, then move the clock; any write starts the next pass
    // (a real clock would reach the reconciler's wakeAt instead).
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await kubeRequest(s, `${events}/ev`, { token: ADMIN_TOKEN })).status, 200);
    clock += EVENT_TTL_MS;
    try {
      await post(CMS, { metadata: { name: 'nudge' } });
      let status = 200;
      for (let i = 0; i < 50 && status === 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await kubeRequest(s, `${events}/ev`, { token: ADMIN_TOKEN })).status;
      }
      assert.equal(status, 404);
    } finally {
      clock -= EVENT_TTL_MS;
    }
  });

  it('an expired continue token answers 410 Expired', async () => {
    const first = (await kubeRequest(s, `${CMS}?limit=1`, { token: ADMIN_TOKEN })).json() as { metadata: { continue: string } };
    clock += CONTINUE_TTL_MS + 1000;
    try {
      const r = await kubeRequest(s, `${CMS}?limit=1&continue=${encodeURIComponent(first.metadata.continue)}`, { token: ADMIN_TOKEN });
      assert.deepEqual([r.status, r.json().reason], [410, 'Expired']);
    } finally {
      clock -= CONTINUE_TTL_MS + 1000;
    }
  });
});

describe('watch', () => {
  it('drops a watcher that does not read, with an ERROR event, instead of buffering without bound', async () => {
    const { request } = await import('node:https');
    const list = (await kubeRequest(s, CMS, { token: ADMIN_TOKEN })).json() as { metadata: { resourceVersion: string } };
    let text = '';
    let ended = false;
    let response: IncomingMessage | undefined;
    const req = request(new URL(`${CMS}?watch=1&resourceVersion=${list.metadata.resourceVersion}`, s.url), { ca: s.ca, headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } }, (res) => {
      response = res;
      res.pause();
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => (ended = true));
    });
    req.end();
    try {
      while (!response) await new Promise((r) => setTimeout(r, 10));
      // 24 events of ~1 MB: more than MAX_WATCH_BUFFERED_BYTES (8 MiB) beyond what the sockets hold.
      const value = 'v'.repeat(1000 * 1000);
      for (let i = 0; i < 24; i++) assert.equal((await post(CMS, { metadata: { name: `big-${i}` }, data: { v: value } })).status, 201);
      response.resume();
      for (let i = 0; i < 200 && !ended; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(ended, true);
      const events = text.trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { code?: number; message?: string } });
      assert.ok(events.length < 24, `the watch ended early: ${events.length} events`);
      const last = events[events.length - 1]!;
      assert.deepEqual([last.type, last.object.code], ['ERROR', 410]);
      assert.match(last.object.message!, /did not keep up/);
    } finally {
      req.destroy();
      for (let i = 0; i < 24; i++) await kubeRequest(s, `${CMS}/big-${i}`, { method: 'DELETE', token: ADMIN_TOKEN });
    }
  });

  it('refuses ConfigMap data over 1 MiB with 422', async () => {
    const r = await post(CMS, { metadata: { name: 'huge' }, data: { v: 'x'.repeat(1024 * 1024 + 1) } });
    assert.deepEqual([r.status, r.json().reason], [422, 'Invalid']);
    assert.match(String(r.json().message), /^ConfigMap "huge" is invalid: \[\]: Too long: may not be more than 1048576 bytes$/);
  });

  it('ends a watch after its timeoutSeconds; a watch of a named object sees only it', async () => {
    // Both changes are made first and the watch replays them from its resourceVersion: made after
    // it had started, a loaded machine could let its 1 s timeout pass before they land.
    const from = await s.store.revision();
    for (const name of ['t1', 't2']) await kubeRequest(s, `${CMS}/${name}`, { method: 'PATCH', token: ADMIN_TOKEN, headers: { 'Content-Type': 'application/merge-patch+json' }, body: '{"data":{"c":"3"}}' });
    const started = Date.now();
    const r = await kubeRequest(s, `${CMS}/t2?watch=1&timeoutSeconds=1&resourceVersion=${from}`, { token: ADMIN_TOKEN });
    assert.equal(r.status, 200);
    assert.deepEqual(r.text.trim().split('\n').map((l) => (JSON.parse(l) as { object: { metadata: { name: string } } }).object.metadata.name), ['t2']);
    assert.ok(Date.now() - started >= 900, 'the watch lasted its timeout');
  });

  it('streams Tables when asked (kubectl get -w)', async () => {
    const list = (await kubeRequest(s, CMS, { token: ADMIN_TOKEN })).json() as { metadata: { resourceVersion: string } };
    const w = kubeWatch(s, `${CMS}?watch=1&resourceVersion=${list.metadata.resourceVersion}`, ADMIN_TOKEN, { Accept: TABLE });
    try {
      assert.equal(await w.contentType, 'application/json;as=Table;v=v1;g=meta.k8s.io');
      await post(CMS, { metadata: { name: 'tw' }, data: { a: '1' } });
      await w.atLeast(1);
      const table = w.events[0]!.object as { kind: string; rows: { cells: unknown[] }[] };
      assert.deepEqual([w.events[0]!.type, table.kind, table.rows[0]?.cells], ['ADDED', 'Table', ['tw', 1, '0s']]);
    } finally {
      w.close();
    }
  });

  it('sends initial events, then the initial-events-end bookmark, for client-go\'s watch-list', async () => {
    const w = kubeWatch(s, `${CMS}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&labelSelector=set%3Dtable`, ADMIN_TOKEN);
    try {
      await w.atLeast(4);
      assert.deepEqual(w.events.map((e) => e.type), ['ADDED', 'ADDED', 'ADDED', 'BOOKMARK']);
      const meta = w.events[3]!.object.metadata as { annotations: Record<string, string>; resourceVersion: string };
      assert.equal(meta.annotations['k8s.io/initial-events-end'], 'true');
    } finally {
      w.close();
    }
  });

  it('a revision the store has compacted answers an ERROR event with 410 Expired', async () => {
    // Past the store's compaction interval (1,000 revisions) with 20 kept: revision 2 is gone.
    for (let i = 0; i < 11; i++) await Promise.all(Array.from({ length: 100 }, (_, j) => s.store.txn({ ops: [{ type: 'put', key: `/test/compact/${j}`, value: String(i) }] })));
    const w = kubeWatch(s, `${CMS}?watch=1&resourceVersion=2`, ADMIN_TOKEN);
    try {
      await w.atLeast(1);
      const status = w.events[0]!.object as { code: number; reason: string; message: string };
      assert.deepEqual([w.events[0]!.type, status.code, status.reason], ['ERROR', 410, 'Expired']);
      assert.match(status.message, /^too old resource version: 2 \(\d+\)$/);
    } finally {
      w.close();
    }
  });
});
