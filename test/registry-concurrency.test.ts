/** Many clients at once: the same blob, the same tag, many uploads — every write lands once, nothing is lost. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { pushImage, sha256, startHarness, tinyImage } from './registry-harness.ts';

test('concurrent pushes of one blob and of one tag all succeed and agree', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  const data = randomBytes(200_000);
  const d = sha256(data);
  const results = await Promise.all(Array.from({ length: 20 }, () => fetch(`${h.url}/v2/race/blobs/uploads/?digest=${d}`, { method: 'POST', body: data })));
  assert.deepEqual(results.map((r) => r.status), Array(20).fill(201));
  const back = Buffer.from(await (await fetch(`${h.url}/v2/race/blobs/${d}`)).arrayBuffer());
  assert.ok(back.equals(data));

  const images = Array.from({ length: 10 }, () => tinyImage([100]));
  const pushes = await Promise.all(images.map((img) => pushImage(h, 'race', img, 'latest')));
  assert.deepEqual(pushes.map((r) => r.status), Array(10).fill(201));
  const winner = (await fetch(`${h.url}/v2/race/manifests/latest`)).headers.get('docker-content-digest');
  assert.ok(images.some((i) => i.digest === winner));
  for (const img of images) assert.equal((await fetch(`${h.url}/v2/race/manifests/${img.digest}`, { method: 'HEAD' })).status, 200);
});

test('parallel chunked uploads to many sessions complete independently', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  const blobs = Array.from({ length: 16 }, () => randomBytes(64 * 1024));
  await Promise.all(blobs.map(async (b) => {
    const loc = (await fetch(`${h.url}/v2/many/blobs/uploads/`, { method: 'POST' })).headers.get('location')!;
    for (let off = 0; off < b.length; off += 16 * 1024) {
      const r = await fetch(h.url + loc, { method: 'PATCH', body: b.subarray(off, off + 16 * 1024), headers: { 'Content-Range': `${off}-${off + 16 * 1024 - 1}` } });
      assert.equal(r.status, 202);
    }
    assert.equal((await fetch(`${h.url}${loc}?digest=${sha256(b)}`, { method: 'PUT' })).status, 201);
  }));
  for (const b of blobs) assert.equal((await fetch(`${h.url}/v2/many/blobs/${sha256(b)}`, { method: 'HEAD' })).status, 200);
});
