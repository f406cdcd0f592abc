import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDescriptor, parseDocument, parseImageConfig, parseIndex, parseManifest } from './documents.ts';
import { digestOf } from './digest.ts';
import { ImageFormatError } from './errors.ts';
import { MediaType } from './media-types.ts';

const D = digestOf('x');
const desc = (mediaType: string) => ({ mediaType, digest: D, size: 1 });
const manifest = { schemaVersion: 2, mediaType: MediaType.ociManifest, config: desc(MediaType.ociConfig), layers: [desc(MediaType.ociLayerGzip)] };

test('parses an OCI manifest, with or without its mediaType field', () => {
  assert.equal(parseManifest(JSON.stringify(manifest)).layers.length, 1);
  const { mediaType: _m, ...bare } = manifest;
  assert.equal(parseDocument(JSON.stringify(bare)).kind, 'manifest');
});

test('parses a Docker schema 2 manifest and a manifest list', () => {
  assert.equal(parseDocument(JSON.stringify({ ...manifest, mediaType: MediaType.dockerManifest })).kind, 'manifest');
  const list = { schemaVersion: 2, mediaType: MediaType.dockerManifestList, manifests: [{ ...desc(MediaType.dockerManifest), platform: { architecture: 'amd64', os: 'linux' } }] };
  assert.equal(parseIndex(JSON.stringify(list)).manifests[0]?.platform?.architecture, 'amd64');
});

test('tells an index from a manifest by its fields when mediaType is absent', () => {
  assert.equal(parseDocument(JSON.stringify({ schemaVersion: 2, manifests: [] })).kind, 'index');
});

for (const [name, doc] of [
  ['schema version 1', { ...manifest, schemaVersion: 1 }],
  ['a bad layer digest', { ...manifest, layers: [{ ...desc(MediaType.ociLayer), digest: 'sha256:ABC' }] }],
  ['a negative size', { ...manifest, config: { ...desc(MediaType.ociConfig), size: -1 } }],
  ['a fractional size', { ...manifest, config: { ...desc(MediaType.ociConfig), size: 1.5 } }],
  ['a bad media type', { ...manifest, config: desc('not a media type') }],
  ['an unknown document media type', { ...manifest, mediaType: 'application/json' }],
  ['layers that are not a list', { ...manifest, layers: {} }],
  ['non-string annotations', { ...manifest, annotations: { a: 1 } }],
] as const) {
  test(`rejects a manifest with ${name}`, () => {
    assert.throws(() => parseManifest(JSON.stringify(doc)), ImageFormatError);
  });
}

test('rejects documents that are not JSON objects', () => {
  assert.throws(() => parseDocument('{'), /not valid JSON/);
  assert.throws(() => parseDocument('[]'), /must be a JSON object/);
  assert.throws(() => parseManifest(JSON.stringify({ schemaVersion: 2, manifests: [] })), /is an index/);
});

test('parses an image config and checks rootfs and the run fields', () => {
  const config = { architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'], Env: ['A=1'] }, rootfs: { type: 'layers', diff_ids: [D] } };
  assert.deepEqual(parseImageConfig(JSON.stringify(config)).config?.Cmd, ['sh']);
  assert.throws(() => parseImageConfig(JSON.stringify({ ...config, rootfs: { type: 'layers', diff_ids: ['x'] } })), /diff_ids/);
  assert.throws(() => parseImageConfig(JSON.stringify({ ...config, config: { Cmd: 'sh' } })), /Cmd must be a list/);
  assert.throws(() => parseImageConfig(JSON.stringify({ os: 'linux', rootfs: config.rootfs })), /architecture/);
});

test('a descriptor with a platform needs its architecture and os', () => {
  assert.throws(() => parseDescriptor({ ...desc(MediaType.ociManifest), platform: { os: 'linux' } }, 'd'), ImageFormatError);
});
