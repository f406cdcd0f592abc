import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { hostPlatform, readBlob, resolveImage, type ImageSource } from './image-source.ts';
import { digestOf, type Digest } from './digest.ts';
import { DigestMismatchError, ImageFormatError } from './errors.ts';
import { MediaType, type Descriptor } from './media-types.ts';
import { DigestingStream } from './digest.ts';

/** An in-memory source: blobs by digest, refs as given. */
function memorySource(blobs: Buffer[], refs: { name?: string; descriptor: Descriptor }[]): ImageSource {
  const byDigest = new Map(blobs.map((b) => [digestOf(b), b]));
  return {
    refs: refs.map((r) => ({ name: r.name, descriptor: r.descriptor })),
    async stat(digest: Digest) {
      return byDigest.get(digest)?.length;
    },
    async open(digest: Digest) {
      const b = byDigest.get(digest);
      if (!b) throw new Error('missing');
      return Readable.from([b]).pipe(new DigestingStream({ expected: digest }));
    },
    async close() {},
  };
}

const descriptorOf = (mediaType: string, b: Buffer): Descriptor => ({ mediaType, digest: digestOf(b), size: b.length });

test('readBlob refuses documents over the size bound before reading them', async () => {
  const big = Buffer.alloc(100);
  const source = memorySource([big], []);
  await assert.rejects(readBlob(source, descriptorOf(MediaType.ociConfig, big), 10), ImageFormatError);
  assert.deepEqual(await readBlob(source, descriptorOf(MediaType.ociConfig, big)), big);
});

test('readBlob refuses content longer than its descriptor says', async () => {
  const b = Buffer.from('abcdef');
  const source = memorySource([b], []);
  await assert.rejects(readBlob(source, { ...descriptorOf(MediaType.ociConfig, b), size: 3 }), DigestMismatchError);
});

test('resolves the only image when no name is given', async () => {
  const config = Buffer.from(JSON.stringify({ ...hostPlatform(), rootfs: { type: 'layers', diff_ids: [] } }));
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: descriptorOf(MediaType.ociConfig, config), layers: [] }));
  const source = memorySource([config, manifest], [{ descriptor: descriptorOf(MediaType.ociManifest, manifest) }]);
  const image = await resolveImage(source);
  assert.equal(image.ref.name, undefined);
  assert.deepEqual(image.configBytes, config);
});

test('stops at indexes nested too deep', async () => {
  let inner = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] }));
  const blobs = [inner];
  for (let i = 0; i < 6; i++) {
    inner = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [{ ...descriptorOf(MediaType.ociIndex, inner), platform: hostPlatform() }] }));
    blobs.push(inner);
  }
  const source = memorySource(blobs, [{ name: 'deep', descriptor: descriptorOf(MediaType.ociIndex, inner) }]);
  await assert.rejects(resolveImage(source, 'deep'), /nests indexes deeper than 4/);
});
