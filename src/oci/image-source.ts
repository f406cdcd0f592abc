/**
 * One way to read images wherever they are stored: an OCI layout directory, an OCI
 * layout or docker-archive tarball (layout.ts, image-archive.ts). A source names its
 * images (`refs`) and serves blobs by digest, verified as they are read.
 *
 * On top of that: picking an image by name and platform, and walking or checking every
 * blob an image needs.
 */

import type { Readable } from 'node:stream';
import { DigestMismatchError, ImageFormatError } from './errors.ts';
import { MAX_DOCUMENT_SIZE, parseDocument, parseImageConfig } from './documents.ts';
import { verifyDigest, type Digest } from './digest.ts';
import { isIndexType, isManifestType, ociArchitecture, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest, type Platform } from './media-types.ts';

/** An image a source names at its top level (an entry of index.json, or a docker-archive image). */
export interface ImageRef {
  /** The `org.opencontainers.image.ref.name` annotation (a tag, or a docker-archive RepoTag), if any. */
  readonly name: string | undefined;
  readonly descriptor: Descriptor;
}

export interface BlobReader {
  /** The stored size of a blob, or undefined when the source does not have it. */
  stat(digest: Digest): Promise<number | undefined>;
  /**
   * The blob's bytes. The stream is checked against the digest as it is read and
   * fails at its end with DigestMismatchError if the content is not what was named.
   */
  open(digest: Digest): Promise<Readable>;
}

export interface ImageSource extends BlobReader {
  readonly refs: readonly ImageRef[];
  /** Releases files and temporary copies the source holds. */
  close(): Promise<void>;
}

/** A platform-specific image, resolved down from a ref. */
export interface ResolvedImage {
  readonly ref: ImageRef;
  /** The image manifest's descriptor (the index entry, when the ref named an index). */
  readonly manifestDescriptor: Descriptor;
  readonly manifest: ImageManifest;
  readonly manifestBytes: Buffer;
  readonly config: ImageConfig;
  readonly configBytes: Buffer;
}

/** Index nesting Berth follows: real images nest at most once (index → index → manifest is rare). */
const MAX_INDEX_DEPTH = 4;

/** The whole blob, checked against the descriptor's size and digest. For documents, not layers. */
export async function readBlob(source: BlobReader, descriptor: Descriptor, maxSize = MAX_DOCUMENT_SIZE): Promise<Buffer> {
  if (descriptor.size > maxSize) throw new ImageFormatError(`blob ${descriptor.digest} is ${descriptor.size} bytes, more than the ${maxSize} allowed for a document`);
  const stream = await source.open(descriptor.digest);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > descriptor.size) {
      stream.destroy();
      throw new DigestMismatchError(`${descriptor.size} bytes`, 'more', `blob ${descriptor.digest}`);
    }
    parts.push(chunk);
  }
  const data = Buffer.concat(parts);
  if (data.length !== descriptor.size) throw new DigestMismatchError(`${descriptor.size} bytes`, `${data.length} bytes`, `blob ${descriptor.digest}`);
  verifyDigest(data, descriptor.digest, `blob ${descriptor.digest}`);
  return data;
}

/** The platform of this host, as images name it. */
export function hostPlatform(): Platform {
  return { os: 'linux', architecture: ociArchitecture(process.arch) };
}

/**
 * Picks the image named `name` (or the only one, when `name` is undefined) and, if it
 * is an index, the manifest for `platform` (default: this host's).
 */
export async function resolveImage(source: ImageSource, name?: string, platform: Platform = hostPlatform()): Promise<ResolvedImage> {
  const ref = pickRef(source.refs, name);
  let descriptor = ref.descriptor;
  for (let depth = 0; depth <= MAX_INDEX_DEPTH; depth++) {
    const bytes = await readBlob(source, descriptor);
    const doc = parseDocument(bytes, `manifest ${descriptor.digest}`);
    if (doc.kind === 'index') {
      descriptor = pickPlatform(doc.index, platform, descriptor.digest);
      continue;
    }
    const configBytes = await readBlob(source, doc.manifest.config);
    const config = parseImageConfig(configBytes, `config ${doc.manifest.config.digest}`);
    return { ref, manifestDescriptor: descriptor, manifest: doc.manifest, manifestBytes: bytes, config, configBytes };
  }
  throw new ImageFormatError(`image ${name ?? ''} nests indexes deeper than ${MAX_INDEX_DEPTH}`);
}

function pickRef(refs: readonly ImageRef[], name: string | undefined): ImageRef {
  const names = refs.map((r) => r.name ?? '(unnamed)').join(', ') || 'none';
  if (name === undefined) {
    if (refs.length === 1) return refs[0] as ImageRef;
    throw new ImageFormatError(`the source holds ${refs.length} images (${names}); name one`);
  }
  const found = refs.filter((r) => r.name === name);
  if (found.length === 0) throw new ImageFormatError(`no image named ${JSON.stringify(name)}; the source has: ${names}`);
  return found[0] as ImageRef;
}

function pickPlatform(index: ImageIndex, want: Platform, digest: string): Descriptor {
  const fits = index.manifests.filter((m) => m.platform?.os === want.os && m.platform.architecture === want.architecture);
  const exact = fits.find((m) => want.variant === undefined || m.platform?.variant === want.variant);
  const chosen = exact ?? fits[0];
  if (!chosen) {
    const have = index.manifests.map((m) => (m.platform ? `${m.platform.os}/${m.platform.architecture}` : '?')).join(', ');
    throw new ImageFormatError(`index ${digest} has no image for ${want.os}/${want.architecture} (it has: ${have || 'none'})`);
  }
  return chosen;
}

/** Every descriptor reachable from `root`: indexes, manifests, configs and layers, each once, parents first. */
export async function listBlobs(source: BlobReader, root: Descriptor): Promise<Descriptor[]> {
  const seen = new Map<string, Descriptor>();
  const visit = async (d: Descriptor, depth: number): Promise<void> => {
    if (seen.has(d.digest)) return;
    seen.set(d.digest, d);
    if (!isDocumentDescriptor(d)) return;
    if (depth > MAX_INDEX_DEPTH) throw new ImageFormatError(`image ${root.digest} nests indexes deeper than ${MAX_INDEX_DEPTH}`);
    const doc = parseDocument(await readBlob(source, d), `manifest ${d.digest}`);
    if (doc.kind === 'index') {
      for (const m of doc.index.manifests) await visit(m, depth + 1);
    } else {
      seen.set(doc.manifest.config.digest, doc.manifest.config);
      for (const l of doc.manifest.layers) if (!seen.has(l.digest)) seen.set(l.digest, l);
    }
  };
  await visit(root, 0);
  return [...seen.values()];
}

/**
 * Checks that every blob reachable from `root` is present with its size and digest
 * (reading each one through), and that each image's config lists one diff_id per
 * layer. Throws the first problem found.
 */
export async function verifyImage(source: BlobReader, root: Descriptor): Promise<Descriptor[]> {
  const blobs = await listBlobs(source, root);
  for (const d of blobs) {
    const size = await source.stat(d.digest);
    if (size === undefined) throw new ImageFormatError(`blob ${d.digest} (${d.mediaType}) is missing`);
    if (size !== d.size) throw new DigestMismatchError(`${d.size} bytes`, `${size} bytes`, `blob ${d.digest}`);
    const stream = await source.open(d.digest);
    for await (const _ of stream);
    if (isDocumentDescriptor(d)) {
      const doc = parseDocument(await readBlob(source, d), `manifest ${d.digest}`);
      if (doc.kind === 'manifest') {
        const config = parseImageConfig(await readBlob(source, doc.manifest.config), `config ${doc.manifest.config.digest}`);
        if (config.rootfs.diff_ids.length !== doc.manifest.layers.length) {
          throw new ImageFormatError(`manifest ${d.digest} has ${doc.manifest.layers.length} layers but its config lists ${config.rootfs.diff_ids.length} diff_ids`);
        }
      }
    }
  }
  return blobs;
}

function isDocumentDescriptor(d: Descriptor): boolean {
  return isManifestType(d.mediaType) || isIndexType(d.mediaType);
}
