/**
 * Builds images into an image layout: a layer from tar entries (hashing the tar for its
 * diff_id and the compressed blob for its digest in one pass), then a config and a
 * manifest over the layers. Deterministic: the same entries and spec give the same
 * manifest digest (with the same zlib).
 */

import { createHash } from 'node:crypto';
import { compress } from './compression.ts';
import type { Digest } from './digest.ts';
import type { LayoutWriter } from './layout.ts';
import { hostPlatform } from './image-source.ts';
import { MediaType, type Compression, type ContainerConfig, type Descriptor, type HistoryEntry, type ImageConfig, type ImageManifest, type Platform } from './media-types.ts';
import { writeTar, type TarEntryInput } from './tar-writer.ts';

export interface LayerBlob {
  readonly descriptor: Descriptor;
  /** Digest of the uncompressed tar: what the config's rootfs.diff_ids lists. */
  readonly diffId: Digest;
}

export interface LayerOptions {
  /** Default gzip, the one compression every client reads. */
  readonly compression?: Compression;
  /** Overrides every entry's mtime (see TarWriterOptions). */
  readonly mtime?: number;
}

const layerMediaType: Readonly<Record<Compression, string>> = {
  none: MediaType.ociLayer,
  gzip: MediaType.ociLayerGzip,
  zstd: MediaType.ociLayerZstd,
};

/** Writes the entries as one layer blob. */
export async function writeLayer(writer: LayoutWriter, entries: Iterable<TarEntryInput> | AsyncIterable<TarEntryInput>, options: LayerOptions = {}): Promise<LayerBlob> {
  const compression = options.compression ?? 'gzip';
  const diff = createHash('sha256');
  const tapped = async function* (): AsyncGenerator<Buffer> {
    for await (const chunk of writeTar(entries, options.mtime === undefined ? {} : { mtime: options.mtime })) {
      diff.update(chunk);
      yield chunk;
    }
  };
  const blob = await writer.writeBlobStream(compress(tapped(), compression));
  return {
    descriptor: { mediaType: layerMediaType[compression], digest: blob.digest, size: blob.size },
    diffId: `sha256:${diff.digest('hex')}`,
  };
}

export interface ImageSpec {
  readonly layers: readonly LayerBlob[];
  /** Cmd, Entrypoint, Env, WorkingDir, ExposedPorts, ... */
  readonly config: ContainerConfig;
  /** Default: this host's platform. */
  readonly platform?: Platform;
  /** RFC 3339; omitted when not given, which keeps digests independent of the clock. */
  readonly created?: string;
  readonly history?: readonly HistoryEntry[];
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface WrittenImage {
  /** The manifest's descriptor as listed in index.json (with platform). */
  readonly manifest: Descriptor;
  readonly config: Descriptor;
}

/** Writes config and manifest for `spec`, and lists the manifest in index.json under `refName`. */
export async function writeImage(writer: LayoutWriter, spec: ImageSpec, refName?: string): Promise<WrittenImage> {
  const platform = spec.platform ?? hostPlatform();
  const imageConfig: ImageConfig = {
    ...(spec.created !== undefined ? { created: spec.created } : {}),
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant !== undefined ? { variant: platform.variant } : {}),
    config: spec.config,
    rootfs: { type: 'layers', diff_ids: spec.layers.map((l) => l.diffId) },
    ...(spec.history !== undefined ? { history: spec.history } : {}),
  };
  const configBlob = await writer.writeBlob(JSON.stringify(imageConfig));
  const config: Descriptor = { mediaType: MediaType.ociConfig, digest: configBlob.digest, size: configBlob.size };
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config,
    layers: spec.layers.map((l) => l.descriptor),
    ...(spec.annotations !== undefined ? { annotations: spec.annotations } : {}),
  };
  const manifestBlob = await writer.writeBlob(JSON.stringify(manifest));
  const descriptor: Descriptor = {
    mediaType: MediaType.ociManifest,
    digest: manifestBlob.digest,
    size: manifestBlob.size,
    platform: { architecture: platform.architecture, os: platform.os, ...(platform.variant !== undefined ? { variant: platform.variant } : {}) },
  };
  writer.addManifest(descriptor, refName);
  return { manifest: descriptor, config };
}
