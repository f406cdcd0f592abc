import { test } from 'node:test';
import assert from 'node:assert/strict';
import { digestOf } from '../oci/digest.ts';
import { analyzeManifest } from './manifest-doc.ts';
import type { RegistryError } from './errors.ts';

const blob = (s: string) => ({ digest: digestOf(s), size: s.length });
const OCI = 'application/vnd.oci.image.manifest.v1+json';
const manifest = (extra: object = {}) => Buffer.from(JSON.stringify({
  schemaVersion: 2, mediaType: OCI,
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...blob('config') },
  layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...blob('layer') }],
  ...extra,
}));

test('an image manifest references its config and layers and sizes the image', () => {
  const bytes = manifest();
  const a = analyzeManifest(bytes, OCI);
  assert.equal(a.digest, digestOf(bytes));
  assert.deepEqual(a.blobs, [digestOf('config'), digestOf('layer')]);
  assert.equal(a.ownImageSize, 'config'.length + 'layer'.length);
  assert.equal(a.artifactType, 'application/vnd.oci.image.config.v1+json');
});

test('Content-Type must agree with the mediaType field', () => {
  assert.throws(() => analyzeManifest(manifest(), 'application/vnd.docker.distribution.manifest.v2+json'), (e: RegistryError) => e.code === 'MANIFEST_INVALID');
  // A generic Content-Type defers to the document.
  assert.equal(analyzeManifest(manifest(), 'application/json').mediaType, OCI);
});

test('a manifest without mediaType takes it from Content-Type, and needs one', () => {
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, config: { mediaType: 'a/b', ...blob('c') }, layers: [] }));
  assert.equal(analyzeManifest(bytes, OCI).mediaType, OCI);
  assert.throws(() => analyzeManifest(bytes, undefined), (e: RegistryError) => e.code === 'MANIFEST_INVALID');
});

test('an index lists its children and a subject is reported', () => {
  const child = blob('child');
  const bytes = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: OCI, ...child }], subject: { mediaType: OCI, ...blob('s') },
  }));
  const a = analyzeManifest(bytes, undefined);
  assert.equal(a.kind, 'index');
  assert.deepEqual(a.children, [child.digest]);
  assert.equal(a.subject, digestOf('s'));
});

test('garbage, schema 1 and oversize manifests are refused', () => {
  assert.throws(() => analyzeManifest(Buffer.from('{'), OCI), (e: RegistryError) => e.code === 'MANIFEST_INVALID');
  assert.throws(() => analyzeManifest(Buffer.from('{"schemaVersion":1}'), OCI), (e: RegistryError) => e.code === 'MANIFEST_INVALID');
  assert.throws(() => analyzeManifest(Buffer.from([0x7b, 0xff, 0x7d]), OCI), (e: RegistryError) => e.code === 'MANIFEST_INVALID');
  assert.throws(() => analyzeManifest(Buffer.alloc(5 * 1024 * 1024, 32), OCI), (e: RegistryError) => e.code === 'SIZE_INVALID' && e.status === 413);
});
