/**
 * The registry client against Berth's registry (in process, real code) with each
 * challenge it answers (Basic, as ECR; Bearer, the token flow), index resolution to the
 * host's platform, and against a deliberately corrupt server: content that is not what
 * its digest says never gets through.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { digestOf } from '../src/oci/digest.ts';
import { DigestMismatchError } from '../src/oci/errors.ts';
import { hostPlatform } from '../src/oci/image-source.ts';
import { MediaType, type Descriptor } from '../src/oci/media-types.ts';
import { RegistryClient } from '../src/images/registry-client.ts';
import { RegistryClientError } from '../src/images/errors.ts';
import { startHarness, tinyImage } from './registry-harness.ts';
import { freePort } from './support/berth.ts';

async function pushTiny(client: RegistryClient, repository: string, tag: string, image = tinyImage([2048, 300_000])) {
  const events: string[] = [];
  for (const blob of [image.config, ...image.layers]) {
    const d: Descriptor = { mediaType: 'application/octet-stream', digest: digestOf(blob), size: blob.length };
    events.push(await client.pushBlob(repository, d, async () => Readable.from([blob.subarray(0, 1000), blob.subarray(1000)])));
  }
  const digest = await client.putManifest(repository, tag, image.manifest, image.mediaType);
  return { image, digest, events };
}

for (const challenge of ['basic', 'bearer'] as const) {
  test(`pushes and pulls with an ECR token answering a ${challenge} challenge, and says what to do without one`, async (t) => {
    const h = await startHarness({ auth: { required: true, challenge } });
    t.after(() => h.close());
    const client = new RegistryClient(h.host, { credentials: { username: 'AWS', password: h.token() }, baseUrl: h.url });
    await client.ping();
    const progress: number[] = [];
    const { image, digest, events } = await pushTiny(client, 'team/app', 'v1');
    assert.deepEqual(events, ['uploaded', 'uploaded', 'uploaded']);
    assert.equal(digest, image.digest);
    assert.deepEqual((await pushTiny(client, 'team/app', 'v1', image)).events, ['exists', 'exists', 'exists'], 'blobs already there are not sent again');

    const head = await client.headManifest('team/app', 'v1');
    assert.deepEqual(head, { mediaType: image.mediaType, digest: image.digest, size: image.manifest.length });
    const resolved = await client.resolveManifest('team/app', 'v1', { os: 'linux', architecture: 'amd64' });
    assert.equal(resolved.descriptor.digest, image.digest);
    const layer = resolved.manifest.layers[1]!;
    const chunks: Buffer[] = [];
    for await (const c of await client.openBlob('team/app', layer, (p) => progress.push(p.done))) chunks.push(c as Buffer);
    assert.ok(Buffer.concat(chunks).equals(image.layers[1]!));
    assert.equal(progress.at(-1), layer.size);
    assert.equal(await client.blobSize('team/app', layer.digest), layer.size);

    const mounted = await client.pushBlob('other/app', layer, async () => { throw new Error('a mount sends no bytes'); }, { mountFrom: 'team/app' });
    assert.equal(mounted, 'mounted');

    const anonymous = new RegistryClient(h.host, { baseUrl: h.url });
    await assert.rejects(anonymous.getManifest('team/app', 'v1'), (e: Error) => e instanceof RegistryClientError
      && /^127\.0\.0\.1:\d+\/team\/app:v1: .*HTTP 401 .*the registry wants credentials/.test(e.message) && !e.message.includes('\n'));
    const wrong = new RegistryClient(h.host, { credentials: { username: 'AWS', password: 'not-a-token' }, baseUrl: h.url });
    await assert.rejects(wrong.ping(), /(refused|401).*(credentials|token)/);
  });
}

test('an index resolves to the manifest for this host\'s platform, or says which platforms it has', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  const client = new RegistryClient(h.host, { baseUrl: h.url });
  const host = await pushTiny(client, 'multi', 'host-only');
  const other = await pushTiny(client, 'multi', 'other-only');
  const entry = (digest: string, size: number, architecture: string) => ({ mediaType: MediaType.ociManifest, digest, size, platform: { os: 'linux', architecture } });
  const index = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MediaType.ociIndex,
    manifests: [entry(other.digest, other.image.manifest.length, 's390x'), entry(host.digest, host.image.manifest.length, hostPlatform().architecture)],
  }));
  const indexDigest = await client.putManifest('multi', 'latest', index, MediaType.ociIndex);
  const resolved = await client.resolveManifest('multi', 'latest');
  assert.equal(resolved.descriptor.digest, host.digest);
  assert.equal(resolved.index?.digest, indexDigest);
  await assert.rejects(client.resolveManifest('multi', 'latest', { os: 'linux', architecture: 'riscv64' }), /has no image for linux\/riscv64 \(it has: linux\/s390x, linux\/\w+\)/);
});

test('content that is not what its digest says fails: a bad manifest, a short blob, a corrupt blob', async (t) => {
  const good = Buffer.from('the real layer bytes');
  const digest = digestOf(good);
  const manifest = Buffer.from('{"schemaVersion":2}');
  const server = createServer((req, res) => {
    if (req.url === '/v2/') return res.end('{}');
    if (req.url?.includes('/manifests/')) {
      res.writeHead(200, { 'content-type': MediaType.ociManifest, 'docker-content-digest': digestOf('something else') });
      return res.end(manifest);
    }
    if (req.url?.includes('/short/')) {
      res.writeHead(200, { 'content-length': good.length - 3 });
      return res.end(good.subarray(0, good.length - 3));
    }
    res.writeHead(200, { 'content-length': good.length });
    res.end(Buffer.from(good.toString().toUpperCase()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const hostPort = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new RegistryClient(hostPort);
  await client.ping();
  await assert.rejects(client.getManifest('x', 'latest'), /hashes to sha256:[0-9a-f]+, not sha256:.*serving corrupt content/);
  const descriptor: Descriptor = { mediaType: MediaType.ociLayer, digest, size: good.length };
  const corrupt = await client.openBlob('x', descriptor);
  await assert.rejects(async () => { for await (const _ of corrupt); }, DigestMismatchError);
  // The server lies about the length up front: refused before a byte is read.
  const shortClient = new RegistryClient(hostPort, { baseUrl: `http://${hostPort}` });
  await assert.rejects(shortClient.openBlob('x/short', descriptor), /sends 17 bytes, but the manifest says 20/);
});

test('an unreachable registry is one line naming it and what to check', async () => {
  const port = await freePort();
  const client = new RegistryClient(`127.0.0.1:${port}`);
  await assert.rejects(client.getManifest('app', 'v1'), (e: Error) => e.message === `127.0.0.1:${port}/app:v1: cannot reach http://127.0.0.1:${port} (ECONNREFUSED); check that the registry is running (for Berth's own: 'berth up') and the address is right`);
});
