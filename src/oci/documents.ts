/**
 * Parses and checks the JSON documents of an image: descriptors, manifests, indexes and
 * image configs. What comes back has the shape its type promises; anything else throws
 * {@link ImageFormatError} naming the field that was wrong.
 */

import { isDigest } from './digest.ts';
import { ImageFormatError } from './errors.ts';
import { MediaType, isIndexType, isManifestType, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest } from './media-types.ts';

/**
 * Largest manifest, index or config Berth parses. The distribution spec has registries
 * accept manifests of at least 4 MiB; configs with long histories run larger, hence 4x.
 */
export const MAX_DOCUMENT_SIZE = 16 << 20;

/** type/subtype per RFC 6838 §4.2 (restricted-name characters), plus an optional +suffix. */
const MEDIA_TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

export type ParsedDocument =
  | { readonly kind: 'manifest'; readonly manifest: ImageManifest }
  | { readonly kind: 'index'; readonly index: ImageIndex };

export function parseJson(bytes: Uint8Array | string, what: string): unknown {
  if (bytes.length > MAX_DOCUMENT_SIZE) throw new ImageFormatError(`${what} is ${bytes.length} bytes, more than the ${MAX_DOCUMENT_SIZE} allowed`);
  try {
    return JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new ImageFormatError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

export function parseDescriptor(value: unknown, where: string): Descriptor {
  const d = object(value, where);
  mediaType(d.mediaType, `${where}.mediaType`);
  if (!isDigest(d.digest)) throw new ImageFormatError(`${where}.digest ${JSON.stringify(d.digest)} is not a valid sha256 or sha512 digest`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw new ImageFormatError(`${where}.size must be a non-negative integer`);
  if (d.annotations !== undefined) stringMap(d.annotations, `${where}.annotations`);
  if (d.urls !== undefined && !(Array.isArray(d.urls) && d.urls.every((u) => typeof u === 'string'))) throw new ImageFormatError(`${where}.urls must be a list of strings`);
  if (d.platform !== undefined) {
    const p = object(d.platform, `${where}.platform`);
    if (typeof p.architecture !== 'string' || typeof p.os !== 'string') throw new ImageFormatError(`${where}.platform needs architecture and os strings`);
  }
  return d as unknown as Descriptor;
}

/** A manifest or an index, told apart by its mediaType or, when absent, by its fields. */
export function parseDocument(bytes: Uint8Array | string, what = 'manifest'): ParsedDocument {
  const doc = object(parseJson(bytes, what), what);
  if (doc.schemaVersion !== 2) throw new ImageFormatError(`${what}.schemaVersion must be 2 (Docker schema 1 manifests are not supported)`);
  const type = doc.mediaType;
  if (type !== undefined && typeof type !== 'string') throw new ImageFormatError(`${what}.mediaType must be a string`);
  const isIndex = type !== undefined ? isIndexType(type) : Array.isArray(doc.manifests);
  if (type !== undefined && !isIndex && !isManifestType(type)) throw new ImageFormatError(`${what} has media type ${type}, which is neither an image manifest nor an index`);
  if (isIndex) {
    if (!Array.isArray(doc.manifests)) throw new ImageFormatError(`${what}.manifests must be a list`);
    doc.manifests.forEach((m, i) => parseDescriptor(m, `${what}.manifests[${i}]`));
    common(doc, what);
    return { kind: 'index', index: doc as unknown as ImageIndex };
  }
  parseDescriptor(doc.config, `${what}.config`);
  if (!Array.isArray(doc.layers)) throw new ImageFormatError(`${what}.layers must be a list`);
  doc.layers.forEach((l, i) => parseDescriptor(l, `${what}.layers[${i}]`));
  common(doc, what);
  return { kind: 'manifest', manifest: doc as unknown as ImageManifest };
}

export function parseManifest(bytes: Uint8Array | string, what = 'manifest'): ImageManifest {
  const doc = parseDocument(bytes, what);
  if (doc.kind !== 'manifest') throw new ImageFormatError(`${what} is an index, not an image manifest`);
  return doc.manifest;
}

export function parseIndex(bytes: Uint8Array | string, what = 'index'): ImageIndex {
  const doc = parseDocument(bytes, what);
  if (doc.kind !== 'index') throw new ImageFormatError(`${what} is an image manifest, not an index`);
  return doc.index;
}

export function parseImageConfig(bytes: Uint8Array | string, what = 'image config'): ImageConfig {
  const c = object(parseJson(bytes, what), what);
  if (typeof c.architecture !== 'string' || typeof c.os !== 'string') throw new ImageFormatError(`${what} needs architecture and os strings`);
  const rootfs = object(c.rootfs, `${what}.rootfs`);
  if (rootfs.type !== 'layers') throw new ImageFormatError(`${what}.rootfs.type must be "layers"`);
  if (!Array.isArray(rootfs.diff_ids) || !rootfs.diff_ids.every(isDigest)) throw new ImageFormatError(`${what}.rootfs.diff_ids must be a list of digests`);
  if (c.config !== undefined && c.config !== null) {
    const run = object(c.config, `${what}.config`);
    for (const key of ['Env', 'Entrypoint', 'Cmd'] as const) {
      const v = run[key];
      if (v !== undefined && v !== null && !(Array.isArray(v) && v.every((s) => typeof s === 'string'))) throw new ImageFormatError(`${what}.config.${key} must be a list of strings`);
    }
  }
  return c as unknown as ImageConfig;
}

/** The config media type that goes with a manifest media type. */
export function configMediaTypeFor(manifestMediaType: string): string {
  return manifestMediaType === MediaType.dockerManifest ? MediaType.dockerConfig : MediaType.ociConfig;
}

function common(doc: Record<string, unknown>, what: string): void {
  if (doc.annotations !== undefined) stringMap(doc.annotations, `${what}.annotations`);
  if (doc.subject !== undefined) parseDescriptor(doc.subject, `${what}.subject`);
}

function object(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ImageFormatError(`${where} must be a JSON object`);
  return value as Record<string, unknown>;
}

function mediaType(value: unknown, where: string): void {
  if (typeof value !== 'string' || !MEDIA_TYPE_PATTERN.test(value)) throw new ImageFormatError(`${where} ${JSON.stringify(value)} is not a valid media type`);
}

function stringMap(value: unknown, where: string): void {
  const m = object(value, where);
  for (const v of Object.values(m)) if (typeof v !== 'string') throw new ImageFormatError(`${where} values must be strings`);
}
