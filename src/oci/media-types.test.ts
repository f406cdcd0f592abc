import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MediaType, isIndexType, isManifestType, layerCompressionOf, ociArchitecture } from './media-types.ts';

test('knows the compression of every layer media type', () => {
  assert.equal(layerCompressionOf(MediaType.ociLayer), 'none');
  assert.equal(layerCompressionOf(MediaType.ociLayerGzip), 'gzip');
  assert.equal(layerCompressionOf(MediaType.dockerLayerGzip), 'gzip');
  assert.equal(layerCompressionOf(MediaType.ociLayerZstd), 'zstd');
  assert.equal(layerCompressionOf(MediaType.ociLayerNondistributableZstd), 'zstd');
  assert.equal(layerCompressionOf(MediaType.ociConfig), undefined);
});

test('tells manifests from indexes, OCI and Docker alike', () => {
  assert.equal(isManifestType(MediaType.ociManifest), true);
  assert.equal(isManifestType(MediaType.dockerManifest), true);
  assert.equal(isManifestType(MediaType.ociIndex), false);
  assert.equal(isIndexType(MediaType.ociIndex), true);
  assert.equal(isIndexType(MediaType.dockerManifestList), true);
  assert.equal(isIndexType(MediaType.ociConfig), false);
});

test('uses the media type strings of the OCI image spec and Docker schema 2', () => {
  assert.equal(MediaType.ociManifest, 'application/vnd.oci.image.manifest.v1+json');
  assert.equal(MediaType.ociLayerGzip, 'application/vnd.oci.image.layer.v1.tar+gzip');
  assert.equal(MediaType.dockerManifest, 'application/vnd.docker.distribution.manifest.v2+json');
  assert.equal(MediaType.dockerLayerGzip, 'application/vnd.docker.image.rootfs.diff.tar.gzip');
});

test('maps Node.js architecture names to OCI ones', () => {
  assert.equal(ociArchitecture('x64'), 'amd64');
  assert.equal(ociArchitecture('arm64'), 'arm64');
  assert.equal(ociArchitecture('mips'), 'mips');
});
