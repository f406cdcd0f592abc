/**
 * The distribution API over HTTP with fetch(): the happy paths of every endpoint, and
 * hostile input, each answered with the spec's error and leaving nothing behind.
 */

import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pushImage, sha256, startHarness, tinyImage, type Harness } from './registry-harness.ts';
import { keys } from '../src/registry/keys.ts';
import type { RepoRecord } from '../src/registry/records.ts';
import { getJson } from '../src/store/json.ts';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

function rawGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: Number(h.host.split(':')[1]), path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const code = async (r: Response) => ((await r.json()) as { errors: { code: string }[] }).errors[0]?.code;

test('GET /v2/ answers the version check', async () => {
  const r = await fetch(`${h.url}/v2/`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('docker-distribution-api-version'), 'registry/2.0');
});

test('monolithic push, manifest push and pull by tag and digest', async () => {
  const img = tinyImage([2000, 10]);
  const put = await pushImage(h, 'lib/app', img, 'v1');
  assert.equal(put.status, 201, await put.clone().text());
  assert.equal(put.headers.get('docker-content-digest'), img.digest);
  assert.equal(put.headers.get('location'), `/v2/lib/app/manifests/${img.digest}`);
  for (const ref of ['v1', img.digest]) {
    const r = await fetch(`${h.url}/v2/lib/app/manifests/${ref}`, { headers: { Accept: img.mediaType } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), img.mediaType);
    assert.equal(r.headers.get('docker-content-digest'), img.digest);
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), img.manifest);
  }
  const head = await fetch(`${h.url}/v2/lib/app/manifests/v1`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(Number(head.headers.get('content-length')), img.manifest.length);
  const layer = await fetch(`${h.url}/v2/lib/app/blobs/${sha256(img.layers[0]!)}`);
  assert.deepEqual(Buffer.from(await layer.arrayBuffer()), img.layers[0]);
  const notAccepted = await fetch(`${h.url}/v2/lib/app/manifests/v1`, { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
  assert.equal(notAccepted.status, 404);
});

test('blob ranges: 206 with Content-Range, 416 past the end or ending before the start', async () => {
  const data = randomBytes(1000);
  const d = sha256(data);
  assert.equal((await fetch(`${h.url}/v2/ranges/blobs/uploads/?digest=${d}`, { method: 'POST', body: data })).status, 201);
  const r = await fetch(`${h.url}/v2/ranges/blobs/${d}`, { headers: { Range: 'bytes=10-19' } });
  assert.equal(r.status, 206);
  assert.equal(r.headers.get('content-range'), 'bytes 10-19/1000');
  assert.deepEqual(Buffer.from(await r.arrayBuffer()), data.subarray(10, 20));
  for (const range of ['bytes=1000-', 'bytes=500-0']) {
    const bad = await fetch(`${h.url}/v2/ranges/blobs/${d}`, { headers: { Range: range } });
    assert.equal(bad.status, 416, range);
    assert.equal(bad.headers.get('content-range'), 'bytes */1000');
    assert.equal(await code(bad), 'RANGE_INVALID');
  }
  const head = await fetch(`${h.url}/v2/ranges/blobs/${d}`, { method: 'HEAD' });
  assert.equal(head.headers.get('content-length'), '1000');
});

test('chunked upload with status, out-of-order chunk refused, wrong digest keeps nothing', async () => {
  const data = randomBytes(3000);
  const start = await fetch(`${h.url}/v2/chunks/blobs/uploads/`, { method: 'POST' });
  assert.equal(start.status, 202);
  assert.equal(start.headers.get('range'), '0-0');
  const loc = start.headers.get('location')!;
  assert.ok(start.headers.get('docker-upload-uuid'));
  const p1 = await fetch(h.url + loc, { method: 'PATCH', body: data.subarray(0, 1000), headers: { 'Content-Range': '0-999', 'Content-Type': 'application/octet-stream' } });
  assert.equal(p1.status, 202);
  assert.equal(p1.headers.get('range'), '0-999');
  const wrong = await fetch(h.url + loc, { method: 'PATCH', body: data.subarray(2000), headers: { 'Content-Range': '2000-2999' } });
  assert.equal(wrong.status, 416);
  assert.equal(await code(wrong), 'RANGE_INVALID');
  const broken = await fetch(h.url + loc, { method: 'PATCH', body: 'x', headers: { 'Content-Range': 'nonsense' } });
  assert.equal(broken.status, 416);
  // Streamed chunk without Content-Range.
  const p2 = await fetch(h.url + loc, { method: 'PATCH', body: data.subarray(1000, 2000) });
  assert.equal(p2.status, 202);
  const status = await fetch(h.url + loc);
  assert.equal(status.status, 204);
  assert.equal(status.headers.get('range'), '0-1999');
  const done = await fetch(`${h.url}${loc}?digest=${sha256(data)}`, { method: 'PUT', body: data.subarray(2000) });
  assert.equal(done.status, 201, await done.clone().text());
  assert.equal(done.headers.get('docker-content-digest'), sha256(data));

  const other = randomBytes(100);
  const s2 = (await fetch(`${h.url}/v2/chunks/blobs/uploads/`, { method: 'POST' })).headers.get('location')!;
  const lie = await fetch(`${h.url}${s2}?digest=${sha256('something else')}`, { method: 'PUT', body: other });
  assert.equal(lie.status, 400);
  assert.equal(await code(lie), 'DIGEST_INVALID');
  assert.equal((await fetch(`${h.url}/v2/chunks/blobs/${sha256(other)}`, { method: 'HEAD' })).status, 404);
  assert.equal((await fetch(h.url + s2)).status, 404, 'the failed session is gone');
});

test('a monolithic push with the wrong digest or size stores nothing', async () => {
  const data = randomBytes(500);
  const r = await fetch(`${h.url}/v2/mono/blobs/uploads/?digest=${sha256('nope')}`, { method: 'POST', body: data });
  assert.equal(await code(r), 'DIGEST_INVALID');
  assert.equal((await fetch(`${h.url}/v2/mono/blobs/${sha256(data)}`, { method: 'HEAD' })).status, 404);
  assert.equal((await fetch(`${h.url}/v2/mono/blobs/${sha256('nope')}`, { method: 'HEAD' })).status, 404);
});

test('cancel an upload; an upload id of another repository is unknown', async () => {
  const loc = (await fetch(`${h.url}/v2/one/blobs/uploads/`, { method: 'POST' })).headers.get('location')!;
  const id = loc.split('/').at(-1)!;
  const foreign = await fetch(`${h.url}/v2/two/blobs/uploads/${id}`, { method: 'PATCH', body: 'x' });
  assert.equal(foreign.status, 404);
  assert.equal(await code(foreign), 'BLOB_UPLOAD_UNKNOWN');
  assert.equal((await fetch(h.url + loc, { method: 'DELETE' })).status, 204);
  assert.equal((await fetch(h.url + loc)).status, 404);
  assert.equal(await code(await fetch(`${h.url}/v2/one/blobs/uploads/../../x`)), 'UNSUPPORTED');
});

test('cross-repository mount: 201 when the blob is there, a new session otherwise', async () => {
  const data = randomBytes(64);
  const d = sha256(data);
  await fetch(`${h.url}/v2/src/blobs/uploads/?digest=${d}`, { method: 'POST', body: data });
  const m = await fetch(`${h.url}/v2/dst/blobs/uploads/?mount=${d}&from=src`, { method: 'POST' });
  assert.equal(m.status, 201);
  assert.equal(m.headers.get('location'), `/v2/dst/blobs/${d}`);
  assert.equal((await fetch(`${h.url}/v2/dst/blobs/${d}`, { method: 'HEAD' })).status, 200);
  const miss = await fetch(`${h.url}/v2/dst/blobs/uploads/?mount=${sha256('absent')}&from=src`, { method: 'POST' });
  assert.equal(miss.status, 202);
});

test('hostile names and digests are refused before touching anything', async () => {
  const cases: [string, string, number][] = [
    ['/v2/UPPER/tags/list', 'NAME_INVALID', 400],
    ['/v2/a//b/tags/list', 'NAME_INVALID', 400],
    ['/v2/../../etc/blobs/sha256:' + 'a'.repeat(64), 'NAME_INVALID', 400],
    // Unencoded, the dot segments make it no endpoint at all.
    ['/v2/ok/blobs/sha256:../../x', 'UNSUPPORTED', 404],
    ['/v2/ok/blobs/sha256%3A..%2F..%2Fx', 'DIGEST_INVALID', 400],
    // A read of a reference that is no tag names nothing: see the test of `.INVALID_MANIFEST_NAME`.
    ['/v2/ok/manifests/..', 'NAME_UNKNOWN', 404],
    ['/v2/' + 'a'.repeat(300) + '/tags/list', 'NAME_INVALID', 400],
  ];
  for (const [path, want, status] of cases) {
    // Raw HTTP: fetch() would normalise the dot segments away before sending.
    const r = await rawGet(path);
    assert.equal(r.status, status, path);
    assert.equal(JSON.parse(r.body).errors[0].code, want, path);
  }
  assert.equal(await code(await fetch(`${h.url}/v2/nothere/tags/list`)), 'NAME_UNKNOWN');
});

test('a reference that is neither tag nor digest is absent to GET, HEAD and DELETE (404) and malformed to PUT (400)', async () => {
  const img = tinyImage([10]);
  assert.equal((await pushImage(h, 'refs/app', img, 'v1')).status, 201);
  // The conformance suite's nonexistent manifest (v1.0.0 to v1.1.1), a leading '-', a
  // tag past 128 characters, a short digest and an unknown algorithm.
  for (const ref of ['.INVALID_MANIFEST_NAME', '-x', 'a'.repeat(129), 'sha256:abc', `md5:${'0'.repeat(32)}`]) {
    const url = `${h.url}/v2/refs/app/manifests/${encodeURIComponent(ref)}`;
    const get = await fetch(url);
    assert.equal(get.status, 404, ref);
    const body = (await get.json()) as { errors: { code: string; detail: unknown }[] };
    assert.equal(body.errors[0]?.code, 'MANIFEST_UNKNOWN', ref);
    assert.deepEqual(body.errors[0]?.detail, { reference: ref });
    const head = await fetch(url, { method: 'HEAD' });
    assert.equal(head.status, 404, ref);
    assert.equal(await head.text(), '');
    const del = await fetch(url, { method: 'DELETE' });
    assert.equal(del.status, 404, ref);
    assert.equal(await code(del), 'MANIFEST_UNKNOWN');
    const put = await fetch(url, { method: 'PUT', body: img.manifest, headers: { 'Content-Type': img.mediaType } });
    assert.equal(put.status, 400, ref);
    assert.equal(await code(put), ref.includes(':') ? 'DIGEST_INVALID' : 'TAG_INVALID');
  }
  // In a repository that does not exist, the repository is what is unknown.
  const noRepo = await fetch(`${h.url}/v2/refs/none/manifests/.INVALID_MANIFEST_NAME`);
  assert.equal(noRepo.status, 404);
  assert.equal(await code(noRepo), 'NAME_UNKNOWN');
  // Nothing was stored or removed: the one tag and manifest are as pushed.
  const tags = (await (await fetch(`${h.url}/v2/refs/app/tags/list`)).json()) as { tags: string[] };
  assert.deepEqual(tags.tags, ['v1']);
  assert.equal((await fetch(`${h.url}/v2/refs/app/manifests/${img.digest}`, { method: 'HEAD' })).status, 200);
});

test('with registry auth on, a reference that names nothing is 404 to a client with a token and 401 without', async () => {
  const authed = await startHarness({ auth: { required: true } });
  try {
    const img = tinyImage([10]);
    const basic = { Authorization: `Basic ${Buffer.from(`AWS:${authed.token()}`).toString('base64')}` };
    assert.equal((await pushImage(authed, 'refs/app', img, 'v1', basic)).status, 201);
    const url = `${authed.url}/v2/refs/app/manifests/.INVALID_MANIFEST_NAME`;
    for (const method of ['GET', 'HEAD']) {
      const anonymous = await fetch(url, { method });
      assert.equal(anonymous.status, 401, method);
      assert.match(anonymous.headers.get('www-authenticate') ?? '', /^(Basic|Bearer) /);
      assert.equal((await fetch(url, { method, headers: basic })).status, 404, method);
    }
  } finally {
    await authed.close();
  }
});

test('a push by digest with ?tag= parameters sets every tag at once and lists them in OCI-Tag', async () => {
  const img = tinyImage([10]);
  assert.equal((await pushImage(h, 'tagparams/app', img, 'seed')).status, 201);
  const put = (query: string, body = img.manifest, ref = img.digest) =>
    fetch(`${h.url}/v2/tagparams/app/manifests/${ref}${query}`, { method: 'PUT', body, headers: { 'Content-Type': img.mediaType } });
  const tags = async () => ((await (await fetch(`${h.url}/v2/tagparams/app/tags/list`)).json()) as { tags: string[] }).tags;

  const r = await put('?tag=1.2.3&tag=1.2&tag=latest&tag=1.2');
  assert.equal(r.status, 201, await r.clone().text());
  assert.equal(r.headers.get('oci-tag'), '1.2.3, 1.2, latest');
  assert.equal(r.headers.get('docker-content-digest'), img.digest);
  assert.deepEqual(await tags(), ['1.2', '1.2.3', 'latest', 'seed']);
  assert.equal((await fetch(`${h.url}/v2/tagparams/app/manifests/1.2.3`, { method: 'HEAD' })).headers.get('docker-content-digest'), img.digest);

  // Refused whole, nothing set: an invalid tag, tag parameters with a push by tag, too many tags.
  const other = tinyImage([10]);
  for (const blob of [other.config, ...other.layers]) {
    assert.equal((await fetch(`${h.url}/v2/tagparams/app/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob })).status, 201);
  }
  const bad = await put('?tag=ok&tag=.bad', other.manifest, other.digest);
  assert.equal(bad.status, 400);
  assert.equal(await code(bad), 'TAG_INVALID');
  const byTag = await put('?tag=also', other.manifest, 'v9');
  assert.equal(byTag.status, 400);
  assert.equal(await code(byTag), 'TAG_INVALID');
  const many = await put(`?${Array.from({ length: 101 }, (_, i) => `tag=t${i}`).join('&')}`, other.manifest, other.digest);
  assert.equal(many.status, 414);
  assert.equal(await code(many), 'TAG_INVALID');
  assert.equal((await fetch(`${h.url}/v2/tagparams/app/manifests/${other.digest}`, { method: 'HEAD' })).status, 404);
  assert.deepEqual(await tags(), ['1.2', '1.2.3', 'latest', 'seed']);

  // In an IMMUTABLE repository, one tag that would move refuses the push: no other tag is set.
  const repo = await getJson<RepoRecord>(h.store, keys.repo('tagparams/app'));
  assert.ok(repo);
  await h.store.txn({ if: [], ops: [{ type: 'put', key: keys.repo('tagparams/app'), value: JSON.stringify({ ...repo.value, imageTagMutability: 'IMMUTABLE' }) }] });
  const moved = await put('?tag=fresh&tag=latest', other.manifest, other.digest);
  assert.equal(moved.status, 400);
  assert.equal(await code(moved), 'TAG_INVALID');
  assert.deepEqual(await tags(), ['1.2', '1.2.3', 'latest', 'seed']);
  assert.equal((await fetch(`${h.url}/v2/tagparams/app/manifests/latest`, { method: 'HEAD' })).headers.get('docker-content-digest'), img.digest);
});

test('a manifest naming a missing blob is MANIFEST_BLOB_UNKNOWN; garbage is MANIFEST_INVALID', async () => {
  const img = tinyImage([10]);
  const r = await fetch(`${h.url}/v2/missing/manifests/x`, { method: 'PUT', body: img.manifest, headers: { 'Content-Type': img.mediaType } });
  assert.equal(r.status, 400);
  assert.equal(await code(r), 'MANIFEST_BLOB_UNKNOWN');
  const g = await fetch(`${h.url}/v2/missing/manifests/x`, { method: 'PUT', body: '{"schemaVersion":2}', headers: { 'Content-Type': img.mediaType } });
  assert.equal(await code(g), 'MANIFEST_INVALID');
  const wrongDigest = await pushImage(h, 'missing', img, sha256('other'));
  assert.equal(await code(wrongDigest), 'DIGEST_INVALID');
});

test('tags list and catalog paginate with n/last and a Link header; a huge n is capped', async () => {
  const img = tinyImage([10]);
  for (const t of ['a', 'b', 'c', 'd']) assert.equal((await pushImage(h, 'paged', img, t)).status, 201);
  const p1 = await fetch(`${h.url}/v2/paged/tags/list?n=2`);
  assert.deepEqual(await p1.json(), { name: 'paged', tags: ['a', 'b'] });
  assert.equal(p1.headers.get('link'), '</v2/paged/tags/list?n=2&last=b>; rel="next"');
  const p2 = await fetch(`${h.url}/v2/paged/tags/list?n=2&last=b`);
  assert.deepEqual(((await p2.json()) as { tags: string[] }).tags, ['c', 'd']);
  const huge = await fetch(`${h.url}/v2/_catalog?n=999999999999`);
  assert.equal(huge.status, 200);
  assert.ok(((await huge.json()) as { repositories: string[] }).repositories.includes('paged'));
  const c1 = await fetch(`${h.url}/v2/_catalog?n=1`);
  assert.equal(((await c1.json()) as { repositories: string[] }).repositories.length, 1);
  assert.match(c1.headers.get('link') ?? '', /rel="next"/);
  assert.equal((await fetch(`${h.url}/v2/_catalog?n=-1`)).status, 400);
});

test('referrers: a manifest with a subject is listed, filterable by artifactType', async () => {
  const base = tinyImage([10]);
  assert.equal((await pushImage(h, 'refs', base, 'v1')).status, 201);
  const empty = Buffer.from('{}');
  await fetch(`${h.url}/v2/refs/blobs/uploads/?digest=${sha256(empty)}`, { method: 'POST', body: empty });
  const sig = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.example.sig',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 }, layers: [],
    subject: { mediaType: base.mediaType, digest: base.digest, size: base.manifest.length },
  }));
  const put = await fetch(`${h.url}/v2/refs/manifests/${sha256(sig)}`, { method: 'PUT', body: sig, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(put.status, 201);
  assert.equal(put.headers.get('oci-subject'), base.digest);
  const r = await fetch(`${h.url}/v2/refs/referrers/${base.digest}`);
  assert.equal(r.headers.get('content-type'), 'application/vnd.oci.image.index.v1+json');
  const index = (await r.json()) as { manifests: { digest: string; artifactType: string }[] };
  assert.deepEqual(index.manifests.map((m) => [m.digest, m.artifactType]), [[sha256(sig), 'application/vnd.example.sig']]);
  const filtered = await fetch(`${h.url}/v2/refs/referrers/${base.digest}?artifactType=other/type`);
  assert.equal(filtered.headers.get('oci-filters-applied'), 'artifactType');
  assert.deepEqual(((await filtered.json()) as { manifests: unknown[] }).manifests, []);
});

test('manifest delete by tag and digest, blob delete', async () => {
  const img = tinyImage([10]);
  assert.equal((await pushImage(h, 'del', img, 'v1')).status, 201);
  assert.equal((await pushImage(h, 'del', img, 'v2')).status, 201);
  assert.equal((await fetch(`${h.url}/v2/del/manifests/v1`, { method: 'DELETE' })).status, 202);
  assert.equal((await fetch(`${h.url}/v2/del/manifests/v1`)).status, 404);
  assert.equal((await fetch(`${h.url}/v2/del/manifests/v2`)).status, 200);
  assert.equal((await fetch(`${h.url}/v2/del/manifests/${img.digest}`, { method: 'DELETE' })).status, 202);
  assert.equal((await fetch(`${h.url}/v2/del/manifests/v2`)).status, 404, 'tags go with their manifest');
  const layer = sha256(img.layers[0]!);
  assert.equal((await fetch(`${h.url}/v2/del/blobs/${layer}`, { method: 'DELETE' })).status, 202);
  assert.equal((await fetch(`${h.url}/v2/del/blobs/${layer}`, { method: 'HEAD' })).status, 404);
});

test('a client that disconnects mid-blob leaves nothing visible', async () => {
  const total = 1 << 20;
  const d = sha256(randomBytes(8));
  const before = new Set(await readdir(join(h.dataDir, 'registry', 'uploads')));
  await new Promise<void>((resolve, reject) => {
    const sock = connect(Number(h.host.split(':')[1]), '127.0.0.1', () => {
      sock.write(`POST /v2/cut/blobs/uploads/?digest=${d} HTTP/1.1\r\nHost: ${h.host}\r\nContent-Length: ${total}\r\n\r\n`);
      sock.write(randomBytes(total / 4), () => setTimeout(() => { sock.destroy(); resolve(); }, 50));
    });
    sock.on('error', reject);
  });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await fetch(`${h.url}/v2/cut/blobs/${d}`, { method: 'HEAD' })).status, 404);
  const left = (await readdir(join(h.dataDir, 'registry', 'uploads'))).filter((f) => !before.has(f));
  assert.deepEqual(left, [], 'the temp file was removed');
});

test('garbage collection removes unreferenced blobs and keeps referenced ones', async () => {
  const img = tinyImage([10]);
  assert.equal((await pushImage(h, 'gc', img, 'v1')).status, 201);
  const orphan = randomBytes(33);
  await fetch(`${h.url}/v2/gc/blobs/uploads/?digest=${sha256(orphan)}`, { method: 'POST', body: orphan });
  const young = await h.registry.collectGarbage();
  assert.equal(young.blobsRemoved, 0, 'within the grace period nothing goes');
  const report = await h.registry.collectGarbage({ blobGraceMs: -1000 });
  assert.ok(report.blobsRemoved >= 1);
  assert.equal((await fetch(`${h.url}/v2/gc/blobs/${sha256(orphan)}`, { method: 'HEAD' })).status, 404);
  assert.equal((await fetch(`${h.url}/v2/gc/blobs/${sha256(img.layers[0]!)}`, { method: 'HEAD' })).status, 200);
  assert.equal((await fetch(`${h.url}/v2/gc/manifests/v1`)).status, 200);
});
