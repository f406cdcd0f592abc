import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { applyLayer } from './layer-apply.ts';
import { tarBuffer } from './tar-writer.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LayoutWriter, blobPath, openLayout } from './layout.ts';
import { writeImage, writeLayer } from './image-writer.ts';
import { listBlobs, readBlob, resolveImage, verifyImage } from './image-source.ts';
import { digestOf } from './digest.ts';
import { DigestMismatchError, ImageFormatError } from './errors.ts';
import { MediaType } from './media-types.ts';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-layout-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function has(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A two-layer image tagged `latest`, written with the library. */
async function sampleLayout(dir: string): Promise<{ manifestDigest: string }> {
  const writer = await LayoutWriter.open(dir);
  const base = await writeLayer(writer, [
    { path: 'etc', type: 'directory' },
    { path: 'etc/hostname', body: 'berth\n' },
    { path: 'bin', type: 'directory' },
    { path: 'bin/sh', body: '#!/bin/true\n', mode: 0o755 },
  ]);
  const top = await writeLayer(writer, [{ path: 'etc/.wh.hostname', body: '' }, { path: 'www/index.html', body: '<h1>hi</h1>\n' }], { compression: 'zstd' });
  const image = await writeImage(writer, { layers: [base, top], config: { Cmd: ['sh'], Env: ['PATH=/bin'], WorkingDir: '/' } }, 'latest');
  await writer.commit();
  return { manifestDigest: image.manifest.digest };
}

test('writes a layout that reads back: refs, manifest, config and layers', async (t) => {
  const dir = tempDir(t);
  const { manifestDigest } = await sampleLayout(dir);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
  const source = await openLayout(dir);
  assert.deepEqual(source.refs.map((r) => r.name), ['latest']);
  const image = await resolveImage(source, 'latest');
  assert.equal(image.manifestDescriptor.digest, manifestDigest);
  assert.deepEqual(image.config.config?.Cmd, ['sh']);
  assert.equal(image.manifest.layers[0]?.mediaType, MediaType.ociLayerGzip);
  assert.equal(image.manifest.layers[1]?.mediaType, MediaType.ociLayerZstd);
  assert.equal(image.config.rootfs.diff_ids.length, 2);
  const blobs = await verifyImage(source, image.manifestDescriptor);
  assert.equal(blobs.length, 4);
  assert.equal(readdirSync(join(dir, 'blobs')).filter((n) => n.startsWith('.tmp-')).length, 0);
});

test('the same input gives the same manifest digest', async (t) => {
  const a = await sampleLayout(join(tempDir(t), 'a'));
  const b = await sampleLayout(join(tempDir(t), 'b'));
  assert.equal(a.manifestDigest, b.manifestDigest);
});

test('a tag moves to the newest manifest; other tags stay', async (t) => {
  const dir = tempDir(t);
  const writer = await LayoutWriter.open(dir);
  const layer = await writeLayer(writer, [{ path: 'a', body: 'a' }]);
  await writeImage(writer, { layers: [layer], config: { Cmd: ['one'] } }, 'latest');
  await writeImage(writer, { layers: [layer], config: { Cmd: ['one'] } }, 'v1');
  await writer.commit();
  const again = await LayoutWriter.open(dir);
  await writeImage(again, { layers: [layer], config: { Cmd: ['two'] } }, 'latest');
  await again.commit();
  const source = await openLayout(dir);
  assert.deepEqual(source.refs.map((r) => r.name).sort(), ['latest', 'v1']);
  assert.deepEqual((await resolveImage(source, 'latest')).config.config?.Cmd, ['two']);
  assert.deepEqual((await resolveImage(source, 'v1')).config.config?.Cmd, ['one']);
  await assert.rejects(resolveImage(source), /holds 2 images \(.*\); name one/);
  await assert.rejects(resolveImage(source, 'nope'), /no image named "nope"/);
});

test('writeBlobStream verifies what it was told to expect and stores nothing otherwise', async (t) => {
  const dir = tempDir(t);
  const writer = await LayoutWriter.open(dir);
  const good = await writer.writeBlobStream(Readable.from([Buffer.from('hello')]), { digest: digestOf('hello'), size: 5 });
  assert.equal(readFileSync(blobPath(dir, good.digest), 'utf8'), 'hello');
  await assert.rejects(writer.writeBlobStream(Readable.from([Buffer.from('hellO')]), { digest: digestOf('hello') }), DigestMismatchError);
  assert.deepEqual(readdirSync(join(dir, 'blobs', 'sha256')), [good.digest.slice(7)]);
  assert.equal(readdirSync(join(dir, 'blobs')).filter((n) => n.startsWith('.tmp-')).length, 0);
});

test('reading a corrupted or missing blob fails with a clear error', async (t) => {
  const dir = tempDir(t);
  await sampleLayout(dir);
  const source = await openLayout(dir);
  const image = await resolveImage(source, 'latest');
  const layer = image.manifest.layers[1];
  assert.ok(layer);
  writeFileSync(blobPath(dir, layer.digest), 'x'.repeat(layer.size));
  await assert.rejects(verifyImage(source, image.manifestDescriptor), DigestMismatchError);
  rmSync(blobPath(dir, layer.digest));
  await assert.rejects(verifyImage(source, image.manifestDescriptor), /is missing/);
  await assert.rejects(readBlob(source, { ...image.manifest.config, size: image.manifest.config.size - 1 }), DigestMismatchError);
});

test('applying a layer whose blob does not match its digest fails', async (t) => {
  const dir = tempDir(t);
  const writer = await LayoutWriter.open(dir);
  const layer = await writeLayer(writer, [{ path: 'a', body: 'a' }], { compression: 'none' });
  const tampered = (await tarBuffer([{ path: 'a', body: 'b' }]));
  assert.equal(tampered.length, layer.descriptor.size);
  writeFileSync(blobPath(dir, layer.descriptor.digest), tampered);
  await writer.commit();
  const source = await openLayout(dir);
  const rootfs = join(dir, 'rootfs');
  mkdirSync(rootfs);
  await assert.rejects(applyLayer(rootfs, await source.open(layer.descriptor.digest)), DigestMismatchError);
});

test('refuses a directory that is not an OCI layout', async (t) => {
  const dir = tempDir(t);
  await assert.rejects(openLayout(dir), /oci-layout is missing/);
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"2.0.0"}');
  writeFileSync(join(dir, 'index.json'), '{"schemaVersion":2,"manifests":[]}');
  await assert.rejects(openLayout(dir), ImageFormatError);
});

test('resolves an index to the manifest of the host platform', async (t) => {
  const dir = tempDir(t);
  const writer = await LayoutWriter.open(dir);
  const layer = await writeLayer(writer, [{ path: 'a', body: 'a' }]);
  const arm = await writeImage(writer, { layers: [layer], config: { Cmd: ['arm'] }, platform: { os: 'linux', architecture: 'riscv64' } });
  const host = await writeImage(writer, { layers: [layer], config: { Cmd: ['host'] } });
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [arm.manifest, host.manifest] }));
  const blob = await writer.writeBlob(index);
  // `writer` is never committed: a second writer lists only the multi-platform index.
  const only = await LayoutWriter.open(dir);
  only.addManifest({ mediaType: MediaType.ociIndex, digest: blob.digest, size: blob.size }, 'multi');
  await only.commit();
  const source = await openLayout(dir);
  const image = await resolveImage(source, 'multi');
  assert.deepEqual(image.config.config?.Cmd, ['host']);
  const all = await listBlobs(source, { mediaType: MediaType.ociIndex, digest: blob.digest, size: blob.size });
  assert.equal(all.length, 6); // index, 2 manifests, 2 configs, 1 shared layer
  await assert.rejects(resolveImage(source, 'multi', { os: 'linux', architecture: 's390x' }), /no image for linux\/s390x/);
});

test('skopeo reads the layout as a real client does', { skip: !has('skopeo') && 'skopeo is not installed' }, async (t) => {
  const dir = tempDir(t);
  const { manifestDigest } = await sampleLayout(join(dir, 'img'));
  const out = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${join(dir, 'img')}:latest`], { encoding: 'utf8' })) as { Digest: string; Layers: string[] };
  assert.equal(out.Digest, manifestDigest);
  assert.equal(out.Layers.length, 2);
  const config = JSON.parse(execFileSync('skopeo', ['inspect', '--config', `oci:${join(dir, 'img')}:latest`], { encoding: 'utf8' })) as { config: { Cmd: string[] } };
  assert.deepEqual(config.config.Cmd, ['sh']);
});

test('umoci unpacks our layout to the same tree our layer-apply makes', { skip: (!has('umoci') || process.getuid?.() !== 0) && 'needs umoci and root' }, async (t) => {
  const dir = tempDir(t);
  // umoci 0.4 reads gzip layers only, so this image has no zstd layer.
  const writer = await LayoutWriter.open(join(dir, 'img'));
  const base = await writeLayer(writer, [
    { path: 'etc/hostname', body: 'x', mode: 0o600 }, { path: 'etc/gone', body: 'g' },
    { path: 'bin/busybox', body: 'bb', mode: 0o755 }, { path: 'bin/sh', type: 'symlink', linkPath: 'busybox' },
    { path: 'tmp', type: 'directory', mode: 0o1777 },
  ]);
  const top = await writeLayer(writer, [{ path: 'etc/.wh.gone', body: '' }, { path: 'bin/ln', type: 'hardlink', linkPath: 'bin/busybox' }]);
  await writeImage(writer, { layers: [base, top], config: {} }, 'latest');
  await writer.commit();
  execFileSync('umoci', ['unpack', '--image', `${join(dir, 'img')}:latest`, join(dir, 'bundle')], { stdio: 'ignore' });

  const ours = join(dir, 'ours');
  mkdirSync(ours);
  const source = await openLayout(join(dir, 'img'));
  for (const layer of (await resolveImage(source)).manifest.layers) await applyLayer(ours, await source.open(layer.digest));
  assert.deepEqual(tree(ours), tree(join(dir, 'bundle', 'rootfs')));
});

/** Every path under `root` with its type, mode and content (or link target). */
function tree(root: string): string[] {
  return (readdirSync(root, { recursive: true }) as string[]).sort().map((rel) => {
    const p = join(root, rel);
    const st = lstatSync(p);
    const what = st.isSymbolicLink() ? `-> ${readlinkSync(p)}` : st.isFile() ? readFileSync(p, 'utf8') : 'dir';
    return `${rel} ${(st.mode & 0o7777).toString(8)} ${what}`;
  });
}
