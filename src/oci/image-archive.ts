/**
 * Reads an image tarball, as `berth image import FILE` takes it:
 * - an OCI image layout packed as a tar (`skopeo copy ... oci-archive:`, buildkit's
 *   `type=oci`, and `docker save` since Docker 25, which writes both formats);
 * - a docker-archive (`docker save` / `podman save`: `manifest.json`, `<id>.json`
 *   configs and layer tars), converted on the fly into OCI manifests: configs and
 *   layers keep their bytes (and digests), the manifest is synthesized.
 * Either may be gzip- or zstd-compressed as a whole; it is then unpacked to a
 * temporary file first, because blobs are read back by offset.
 *
 * The archive is indexed in one pass (path → offset, size); blobs are then streamed
 * from their offsets and verified against their digests as they are read.
 */

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { Readable, pipeline as pipelineCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decompress, detectCompression } from './compression.ts';
import { DigestingStream, digestOf, parseDigest, type Digest } from './digest.ts';
import { MAX_DOCUMENT_SIZE, parseImageConfig, parseJson } from './documents.ts';
import { ImageFormatError } from './errors.ts';
import type { ImageRef, ImageSource } from './image-source.ts';
import { INDEX_FILE, OCI_LAYOUT_FILE, parseLayoutFiles, refsOfIndex } from './layout.ts';
import { MediaType, type Compression, type Descriptor, type ImageManifest } from './media-types.ts';
import { readTar } from './tar-reader.ts';

export type ImageArchiveFormat = 'oci-layout' | 'docker-archive';

export interface ImageArchive extends ImageSource {
  readonly format: ImageArchiveFormat;
}

export interface ImageArchiveOptions {
  /** Where a compressed archive is unpacked (default: the OS temp dir). */
  readonly tempDir?: string;
}

/** Symlinks and hard links followed inside the archive before giving up (docker save links shared layers). */
const MAX_LINK_HOPS = 8;

type Member = { readonly kind: 'file'; readonly offset: number; readonly size: number } | { readonly kind: 'link'; readonly target: string };

const layerTypes: Readonly<Record<Compression, string>> = { none: MediaType.ociLayer, gzip: MediaType.ociLayerGzip, zstd: MediaType.ociLayerZstd };

export async function openImageArchive(file: string, options: ImageArchiveOptions = {}): Promise<ImageArchive> {
  let temp: string | undefined;
  try {
    let tarFile = file;
    if (detectCompression(await readHead(file)) !== 'none') {
      temp = await mkdtemp(join(options.tempDir ?? tmpdir(), 'berth-import-'));
      tarFile = join(temp, 'archive.tar');
      await pipeline(Readable.from(decompress(createReadStream(file))), createWriteStream(tarFile));
    }
    const members = await indexArchive(tarFile);
    const cleanup = async (): Promise<void> => {
      if (temp !== undefined) await rm(temp, { recursive: true, force: true });
    };
    const archive = new ArchiveReader(tarFile, members);
    if (members.has(OCI_LAYOUT_FILE) && members.has(INDEX_FILE)) return await ociLayout(archive, cleanup);
    if (members.has('manifest.json')) return await dockerArchive(archive, cleanup);
    throw new ImageFormatError(`${file} is neither an OCI image layout (${OCI_LAYOUT_FILE}, ${INDEX_FILE}) nor a docker-archive (manifest.json)`);
  } catch (e) {
    if (temp !== undefined) await rm(temp, { recursive: true, force: true });
    throw e;
  }
}

async function readHead(file: string): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(8);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Archive paths as keys: "./a//b/" → "a/b"; paths that climb out of the archive are dropped. */
function archiveKey(path: string): string | undefined {
  const key = posix.normalize(`/${path}`).slice(1).replace(/\/+$/, '');
  return key === '' || key.startsWith('..') ? undefined : key;
}

async function indexArchive(tarFile: string): Promise<Map<string, Member>> {
  const members = new Map<string, Member>();
  for await (const entry of readTar(createReadStream(tarFile))) {
    const key = archiveKey(entry.path);
    if (key === undefined) continue;
    if (entry.type === 'file') members.set(key, { kind: 'file', offset: entry.offset, size: entry.size });
    else if (entry.type === 'symlink') {
      const target = archiveKey(posix.join(posix.dirname(key), entry.linkPath));
      if (target !== undefined && !entry.linkPath.startsWith('/')) members.set(key, { kind: 'link', target });
    } else if (entry.type === 'hardlink') {
      const target = archiveKey(entry.linkPath);
      if (target !== undefined) members.set(key, { kind: 'link', target });
    }
  }
  return members;
}

class ArchiveReader {
  readonly file: string;
  readonly members: ReadonlyMap<string, Member>;

  constructor(file: string, members: ReadonlyMap<string, Member>) {
    this.file = file;
    this.members = members;
  }

  member(path: string): { offset: number; size: number } | undefined {
    let key = path;
    for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
      const m = this.members.get(key);
      if (m === undefined) return undefined;
      if (m.kind === 'file') return m;
      key = m.target;
    }
    return undefined;
  }

  stream(path: string): Readable {
    const m = this.member(path);
    if (m === undefined) throw new ImageFormatError(`the archive has no file ${path}`);
    return m.size === 0 ? Readable.from([]) : createReadStream(this.file, { start: m.offset, end: m.offset + m.size - 1 });
  }

  async read(path: string): Promise<Buffer> {
    const m = this.member(path);
    if (m === undefined) throw new ImageFormatError(`the archive has no file ${path}`);
    if (m.size > MAX_DOCUMENT_SIZE) throw new ImageFormatError(`${path} in the archive is ${m.size} bytes, more than the ${MAX_DOCUMENT_SIZE} allowed`);
    const parts: Buffer[] = [];
    for await (const chunk of this.stream(path)) parts.push(chunk as Buffer);
    return Buffer.concat(parts);
  }
}

function blobKey(digest: Digest): string {
  const { algorithm, hex } = parseDigest(digest);
  return `blobs/${algorithm}/${hex}`;
}

async function ociLayout(archive: ArchiveReader, close: () => Promise<void>): Promise<ImageArchive> {
  const index = parseLayoutFiles(await archive.read(OCI_LAYOUT_FILE), await archive.read(INDEX_FILE), 'archive');
  return {
    format: 'oci-layout',
    refs: refsOfIndex(index),
    async stat(digest) {
      return archive.member(blobKey(digest))?.size;
    },
    async open(digest) {
      return verified(archive.stream(blobKey(digest)), digest);
    },
    close,
  };
}

/** One image of a docker-archive's manifest.json. */
interface DockerArchiveImage {
  readonly Config: string;
  readonly RepoTags?: readonly string[] | null;
  readonly Layers: readonly string[];
}

async function dockerArchive(archive: ArchiveReader, close: () => Promise<void>): Promise<ImageArchive> {
  const list = parseJson(await archive.read('manifest.json'), 'manifest.json');
  if (!Array.isArray(list) || list.length === 0) throw new ImageFormatError('manifest.json of the docker-archive must be a non-empty list');
  /** Blobs by digest: a path in the archive, or bytes made here (manifests). */
  const blobs = new Map<string, { path: string } | { bytes: Buffer }>();
  const layerCache = new Map<string, Descriptor>();
  const refs: ImageRef[] = [];
  for (const [i, raw] of list.entries()) {
    const image = raw as Partial<DockerArchiveImage> | null;
    if (typeof image?.Config !== 'string' || !Array.isArray(image.Layers) || !image.Layers.every((l) => typeof l === 'string')) {
      throw new ImageFormatError(`manifest.json[${i}] needs Config (a path) and Layers (a list of paths)`);
    }
    const configBytes = await archive.read(image.Config);
    const config = parseImageConfig(configBytes, image.Config);
    if (config.rootfs.diff_ids.length !== image.Layers.length) {
      throw new ImageFormatError(`${image.Config} lists ${config.rootfs.diff_ids.length} diff_ids but manifest.json[${i}] has ${image.Layers.length} layers`);
    }
    const configDigest = digestOf(configBytes);
    blobs.set(configDigest, { path: image.Config });
    const layers: Descriptor[] = [];
    for (const [j, path] of image.Layers.entries()) {
      let layer = layerCache.get(path);
      if (layer === undefined) {
        layer = await describeLayer(archive, path);
        layerCache.set(path, layer);
        blobs.set(layer.digest, { path });
      }
      if (layer.mediaType === MediaType.ociLayer && layer.digest !== config.rootfs.diff_ids[j]) {
        throw new ImageFormatError(`layer ${path} hashes to ${layer.digest}, but ${image.Config} says diff_id ${config.rootfs.diff_ids[j]}`);
      }
      layers.push(layer);
    }
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: configDigest, size: configBytes.length },
      layers,
    };
    const bytes = Buffer.from(JSON.stringify(manifest));
    const digest = digestOf(bytes);
    blobs.set(digest, { bytes });
    const descriptor: Descriptor = { mediaType: MediaType.ociManifest, digest, size: bytes.length, platform: { architecture: config.architecture, os: config.os } };
    const tags = image.RepoTags ?? [];
    if (tags.length === 0) refs.push({ name: undefined, descriptor });
    for (const tag of tags) refs.push({ name: tag, descriptor });
  }
  return {
    format: 'docker-archive',
    refs,
    async stat(digest) {
      const blob = blobs.get(digest);
      if (blob === undefined) return undefined;
      return 'bytes' in blob ? blob.bytes.length : archive.member(blob.path)?.size;
    },
    async open(digest) {
      const blob = blobs.get(digest);
      if (blob === undefined) throw new ImageFormatError(`the docker-archive has no blob ${digest}`);
      return verified('bytes' in blob ? Readable.from([blob.bytes]) : archive.stream(blob.path), digest);
    },
    close,
  };
}

/** Digest, size and compression of a layer file: read through once. */
async function describeLayer(archive: ArchiveReader, path: string): Promise<Descriptor> {
  const hash = createHash('sha256');
  let head: Buffer | undefined;
  let size = 0;
  for await (const chunk of archive.stream(path)) {
    const c = chunk as Buffer;
    head ??= c.subarray(0, 8);
    hash.update(c);
    size += c.length;
  }
  const compression = detectCompression(head ?? Buffer.alloc(0));
  return { mediaType: layerTypes[compression], digest: `sha256:${hash.digest('hex')}`, size };
}

/** The stream checked against its digest; an error or early close on either side closes both. */
function verified(stream: Readable, digest: Digest): Readable {
  return pipelineCallback(stream, new DigestingStream({ expected: digest }), () => {});
}
