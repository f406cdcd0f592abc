import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openImageArchive } from './image-archive.ts';
import { LayoutWriter } from './layout.ts';
import { writeImage, writeLayer } from './image-writer.ts';
import { resolveImage, verifyImage } from './image-source.ts';
import { tarBuffer } from './tar-writer.ts';
import { digestOf } from './digest.ts';
import { DigestMismatchError, ImageFormatError } from './errors.ts';
import { MediaType } from './media-types.ts';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-archive-'));
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

async function layoutDir(dir: string): Promise<string> {
  const writer = await LayoutWriter.open(dir);
  const layer = await writeLayer(writer, [{ path: 'hello', body: 'world' }]);
  const image = await writeImage(writer, { layers: [layer], config: { Cmd: ['/hello'] } }, 'latest');
  await writer.commit();
  return image.manifest.digest;
}

/** A docker-archive laid out as `docker save` (before Docker 25) writes it. */
async function dockerSave(dir: string, options: { corruptDiffId?: boolean } = {}): Promise<{ layerA: Buffer; layerB: Buffer }> {
  mkdirSync(dir, { recursive: true });
  const layerA = await tarBuffer([{ path: 'bin', type: 'directory' }, { path: 'bin/sh', body: 'sh', mode: 0o755 }]);
  const layerB = await tarBuffer([{ path: 'etc/motd', body: 'hi' }]);
  const idA = digestOf(layerA).slice(7);
  const idB = digestOf(layerB).slice(7);
  const config = JSON.stringify({
    architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: [digestOf(layerA), options.corruptDiffId ? digestOf('x') : digestOf(layerB)] },
  });
  const configName = `${digestOf(config).slice(7)}.json`;
  for (const [id, data] of [[idA, layerA], [idB, layerB]] as const) {
    mkdirSync(join(dir, id));
    writeFileSync(join(dir, id, 'layer.tar'), data);
    writeFileSync(join(dir, id, 'VERSION'), '1.0');
  }
  // Newer docker links a layer shared by two images to one copy.
  mkdirSync(join(dir, 'shared'));
  symlinkSync(`../${idA}/layer.tar`, join(dir, 'shared', 'layer.tar'));
  writeFileSync(join(dir, configName), config);
  const small = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [digestOf(layerA)] } });
  const smallName = `${digestOf(small).slice(7)}.json`;
  writeFileSync(join(dir, smallName), small);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify([
    { Config: configName, RepoTags: ['example/app:1.0', 'example/app:latest'], Layers: [`${idA}/layer.tar`, `${idB}/layer.tar`] },
    { Config: smallName, RepoTags: null, Layers: ['shared/layer.tar'] },
  ]));
  return { layerA, layerB };
}

function tarDir(dir: string, file: string): string {
  execFileSync('tar', ['-cf', file, '-C', dir, '.']);
  return file;
}

test('reads an OCI layout packed as a tar', async (t) => {
  const dir = tempDir(t);
  const digest = await layoutDir(join(dir, 'layout'));
  const archive = await openImageArchive(tarDir(join(dir, 'layout'), join(dir, 'a.tar')));
  t.after(() => archive.close());
  assert.equal(archive.format, 'oci-layout');
  const image = await resolveImage(archive, 'latest');
  assert.equal(image.manifestDescriptor.digest, digest);
  assert.equal((await verifyImage(archive, image.manifestDescriptor)).length, 3);
});

test('reads a gzip-compressed archive through a temporary copy it removes on close', async (t) => {
  const dir = tempDir(t);
  await layoutDir(join(dir, 'layout'));
  const tar = tarDir(join(dir, 'layout'), join(dir, 'a.tar'));
  execFileSync('gzip', [tar]);
  const temp = join(dir, 'tmp');
  mkdirSync(temp);
  const archive = await openImageArchive(`${tar}.gz`, { tempDir: temp });
  assert.equal(readdirSync(temp).length, 1);
  await verifyImage(archive, (await resolveImage(archive)).manifestDescriptor);
  await archive.close();
  assert.equal(readdirSync(temp).length, 0);
});

test('converts a docker-archive into OCI manifests, keeping config and layer digests', async (t) => {
  const dir = tempDir(t);
  const { layerA, layerB } = await dockerSave(join(dir, 'save'));
  const archive = await openImageArchive(tarDir(join(dir, 'save'), join(dir, 'save.tar')));
  t.after(() => archive.close());
  assert.equal(archive.format, 'docker-archive');
  assert.deepEqual(archive.refs.map((r) => r.name), ['example/app:1.0', 'example/app:latest', undefined]);
  const image = await resolveImage(archive, 'example/app:latest');
  assert.equal(image.manifest.mediaType, MediaType.ociManifest);
  assert.deepEqual(image.manifest.layers.map((l) => [l.mediaType, l.digest, l.size]), [
    [MediaType.ociLayer, digestOf(layerA), layerA.length],
    [MediaType.ociLayer, digestOf(layerB), layerB.length],
  ]);
  assert.equal(image.manifest.config.digest, digestOf(image.configBytes));
  assert.deepEqual(image.config.config?.Cmd, ['sh']);
  await verifyImage(archive, image.manifestDescriptor);
  const unnamed = archive.refs[2];
  assert.ok(unnamed);
  const shared = await verifyImage(archive, unnamed.descriptor);
  assert.ok(shared.some((d) => d.digest === digestOf(layerA)), 'the symlinked layer resolves to the shared copy');
});

test('marks gzip-compressed docker-archive layers as tar+gzip', async (t) => {
  const dir = tempDir(t);
  const layer = gzipSync(await tarBuffer([{ path: 'a', body: 'a' }]));
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [digestOf('uncompressed, not checked')] } });
  mkdirSync(join(dir, 'save'));
  writeFileSync(join(dir, 'save', 'layer.tar.gz'), layer);
  writeFileSync(join(dir, 'save', 'c.json'), config);
  writeFileSync(join(dir, 'save', 'manifest.json'), JSON.stringify([{ Config: 'c.json', RepoTags: ['x:1'], Layers: ['layer.tar.gz'] }]));
  const archive = await openImageArchive(tarDir(join(dir, 'save'), join(dir, 's.tar')));
  t.after(() => archive.close());
  assert.equal((await resolveImage(archive)).manifest.layers[0]?.mediaType, MediaType.ociLayerGzip);
});

test('refuses a docker-archive whose uncompressed layer does not match its diff_id', async (t) => {
  const dir = tempDir(t);
  await dockerSave(join(dir, 'save'), { corruptDiffId: true });
  await assert.rejects(openImageArchive(tarDir(join(dir, 'save'), join(dir, 'save.tar'))), /hashes to .* but .* says diff_id/);
});

test('refuses a tarball that is neither format, and a broken one', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'other.tar'), await tarBuffer([{ path: 'README', body: 'hi' }]));
  await assert.rejects(openImageArchive(join(dir, 'other.tar')), ImageFormatError);
  writeFileSync(join(dir, 'broken.tar'), (await tarBuffer([{ path: 'manifest.json', body: 'x'.repeat(2000) }])).subarray(0, 1500));
  await assert.rejects(openImageArchive(join(dir, 'broken.tar')), /truncated/);
});

test('a blob corrupted inside the archive fails verification', async (t) => {
  const dir = tempDir(t);
  await layoutDir(join(dir, 'layout'));
  const blobs = join(dir, 'layout', 'blobs', 'sha256');
  for (const name of readdirSync(blobs)) {
    const path = join(blobs, name);
    const data = execFileSync('cat', [path]);
    if (data[0] === 0x1f) writeFileSync(path, Buffer.concat([data.subarray(0, -1), Buffer.from([(data.at(-1) as number) ^ 1])]));
  }
  const archive = await openImageArchive(tarDir(join(dir, 'layout'), join(dir, 'a.tar')));
  t.after(() => archive.close());
  await assert.rejects(verifyImage(archive, (await resolveImage(archive)).manifestDescriptor), DigestMismatchError);
});

test('reads what skopeo writes as docker-archive and oci-archive', { skip: !has('skopeo') && 'skopeo is not installed' }, async (t) => {
  const dir = tempDir(t);
  await layoutDir(join(dir, 'layout'));
  const src = `oci:${join(dir, 'layout')}:latest`;
  execFileSync('skopeo', ['copy', '-q', src, `docker-archive:${join(dir, 'd.tar')}:example/hello:latest`]);
  execFileSync('skopeo', ['copy', '-q', src, `oci-archive:${join(dir, 'o.tar')}:latest`]);
  const docker = await openImageArchive(join(dir, 'd.tar'));
  t.after(() => docker.close());
  assert.equal(docker.format, 'docker-archive');
  // skopeo writes the tag fully qualified; refs are matched exactly.
  assert.deepEqual(docker.refs.map((r) => r.name), ['docker.io/example/hello:latest']);
  const fromDocker = await resolveImage(docker, 'docker.io/example/hello:latest');
  await verifyImage(docker, fromDocker.manifestDescriptor);
  assert.deepEqual(fromDocker.config.config?.Cmd, ['/hello']);
  const oci = await openImageArchive(join(dir, 'o.tar'));
  t.after(() => oci.close());
  assert.equal(oci.format, 'oci-layout');
  await verifyImage(oci, (await resolveImage(oci, 'latest')).manifestDescriptor);
});
