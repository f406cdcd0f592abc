import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { LayoutWriter, blobPath } from './layout.ts';
import { writeImage, writeLayer } from './image-writer.ts';
import { digestOf } from './digest.ts';
import { MediaType, type ImageConfig, type ImageManifest } from './media-types.ts';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-image-writer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a gzip layer has the digest of its blob and the diff_id of its tar', async (t) => {
  const dir = tempDir(t);
  const writer = await LayoutWriter.open(dir);
  const layer = await writeLayer(writer, [{ path: 'a', body: 'a' }], { mtime: 0 });
  const blob = readFileSync(blobPath(dir, layer.descriptor.digest));
  assert.equal(layer.descriptor.mediaType, MediaType.ociLayerGzip);
  assert.equal(layer.descriptor.size, blob.length);
  assert.equal(digestOf(blob), layer.descriptor.digest);
  assert.equal(digestOf(gunzipSync(blob)), layer.diffId);
});

test('an uncompressed layer\'s digest is its diff_id', async (t) => {
  const writer = await LayoutWriter.open(tempDir(t));
  const layer = await writeLayer(writer, [{ path: 'a', body: 'a' }], { compression: 'none' });
  assert.equal(layer.descriptor.mediaType, MediaType.ociLayer);
  assert.equal(layer.descriptor.digest, layer.diffId);
});

test('writes config and manifest that point at the layers, in order', async (t) => {
  const dir = tempDir(t);
  const writer = await LayoutWriter.open(dir);
  const a = await writeLayer(writer, [{ path: 'a', body: 'a' }]);
  const b = await writeLayer(writer, [{ path: 'b', body: 'b' }]);
  const image = await writeImage(writer, {
    layers: [a, b],
    config: { Cmd: ['sh'], ExposedPorts: { '80/tcp': {} } },
    platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    history: [{ created_by: 'test' }],
  }, 'latest');
  await writer.commit();
  const manifest = JSON.parse(readFileSync(blobPath(dir, image.manifest.digest), 'utf8')) as ImageManifest;
  assert.deepEqual(manifest.layers, [a.descriptor, b.descriptor]);
  const config = JSON.parse(readFileSync(blobPath(dir, manifest.config.digest), 'utf8')) as ImageConfig;
  assert.deepEqual(config.rootfs.diff_ids, [a.diffId, b.diffId]);
  assert.deepEqual([config.os, config.architecture, config.variant], ['linux', 'arm64', 'v8']);
  assert.equal(config.created, undefined, 'no clock in the config unless asked');
  assert.deepEqual(image.manifest.platform, { os: 'linux', architecture: 'arm64', variant: 'v8' });
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: { annotations: Record<string, string> }[] };
  assert.equal(index.manifests[0]?.annotations['org.opencontainers.image.ref.name'], 'latest');
});
