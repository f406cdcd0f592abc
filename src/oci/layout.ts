/**
 * The OCI image layout directory (image-layout.md): `oci-layout`, `index.json` and
 * `blobs/<alg>/<hex>`. What skopeo, umoci, podman and buildkit read and write with
 * `oci:<dir>:<tag>`.
 *
 * Reading gives an {@link ImageSource}; writing goes through {@link LayoutWriter}, which
 * stores each blob under a temporary name and renames it into place once its digest
 * is known, and rewrites index.json atomically — a crash leaves no half-written blob
 * under a digest name.
 */

import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, pipeline as pipelineCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestingStream, digestOf, parseDigest, type Digest } from './digest.ts';
import { parseDescriptor, parseJson } from './documents.ts';
import { ImageFormatError } from './errors.ts';
import { Annotation, MediaType, type Descriptor, type ImageIndex, type OciLayoutFile } from './media-types.ts';
import type { ImageRef, ImageSource } from './image-source.ts';

export const OCI_LAYOUT_FILE = 'oci-layout';
export const INDEX_FILE = 'index.json';
/** The only layout version there is (image-layout.md). */
export const IMAGE_LAYOUT_VERSION = '1.0.0';

export function blobPath(dir: string, digest: Digest): string {
  const { algorithm, hex } = parseDigest(digest);
  return join(dir, 'blobs', algorithm, hex);
}

/** Reads the refs of `index.json` as image refs (the ref.name annotation is the name). */
export function refsOfIndex(index: ImageIndex): ImageRef[] {
  return index.manifests.map((descriptor) => ({ name: descriptor.annotations?.[Annotation.refName], descriptor }));
}

/** Checks `oci-layout` and parses `index.json` (both given as bytes). */
export function parseLayoutFiles(layoutBytes: Uint8Array, indexBytes: Uint8Array, where: string): ImageIndex {
  const layout = parseJson(layoutBytes, `${where}/${OCI_LAYOUT_FILE}`) as Partial<OciLayoutFile> | null;
  if (layout?.imageLayoutVersion !== IMAGE_LAYOUT_VERSION) {
    throw new ImageFormatError(`${where}/${OCI_LAYOUT_FILE} must say imageLayoutVersion "${IMAGE_LAYOUT_VERSION}"`);
  }
  const index = parseJson(indexBytes, `${where}/${INDEX_FILE}`) as Partial<ImageIndex> | null;
  if (index?.schemaVersion !== 2 || !Array.isArray(index.manifests)) throw new ImageFormatError(`${where}/${INDEX_FILE} is not an image index`);
  index.manifests.forEach((m, i) => parseDescriptor(m, `${where}/${INDEX_FILE} manifests[${i}]`));
  return index as ImageIndex;
}

/** Opens an image layout directory for reading. */
export async function openLayout(dir: string): Promise<ImageSource> {
  // Both read at once, but judged in order, so that the same directory always gets the same answer.
  const [layoutRead, indexRead] = await Promise.allSettled([readFile(join(dir, OCI_LAYOUT_FILE)), readFile(join(dir, INDEX_FILE))]);
  if (layoutRead.status === 'rejected') throw new ImageFormatError(`${dir} is not an OCI image layout: ${OCI_LAYOUT_FILE} is missing`);
  if (indexRead.status === 'rejected') throw new ImageFormatError(`${dir} is not an OCI image layout: ${INDEX_FILE} is missing`);
  const [layoutBytes, indexBytes] = [layoutRead.value, indexRead.value];
  const refs = refsOfIndex(parseLayoutFiles(layoutBytes, indexBytes, dir));
  return {
    refs,
    async stat(digest) {
      try {
        const st = await stat(blobPath(dir, digest));
        return st.isFile() ? st.size : undefined;
      } catch {
        return undefined;
      }
    },
    async open(digest) {
      // pipeline: an error or early close on either side closes the file too.
      return pipelineCallback(createReadStream(blobPath(dir, digest)), new DigestingStream({ expected: digest }), () => {});
    },
    async close() {},
  };
}

export interface WrittenBlob {
  readonly digest: Digest;
  readonly size: number;
}

/** Builds (or adds to) an image layout directory. Call {@link LayoutWriter.commit} to write index.json. */
export class LayoutWriter {
  readonly dir: string;
  #manifests: Descriptor[];

  private constructor(dir: string, manifests: Descriptor[]) {
    this.dir = dir;
    this.#manifests = manifests;
  }

  /** Opens `dir` for writing, creating the layout if needed and keeping the refs already there. */
  static async open(dir: string): Promise<LayoutWriter> {
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    let manifests: Descriptor[] = [];
    try {
      const [layoutBytes, indexBytes] = await Promise.all([readFile(join(dir, OCI_LAYOUT_FILE)), readFile(join(dir, INDEX_FILE))]);
      manifests = [...parseLayoutFiles(layoutBytes, indexBytes, dir).manifests];
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      const layout: OciLayoutFile = { imageLayoutVersion: IMAGE_LAYOUT_VERSION };
      await writeFile(join(dir, OCI_LAYOUT_FILE), JSON.stringify(layout));
    }
    return new LayoutWriter(dir, manifests);
  }

  /** Stores bytes as a blob (a no-op when it is already there). */
  async writeBlob(data: Uint8Array | string): Promise<WrittenBlob> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const digest = digestOf(bytes);
    const path = blobPath(this.dir, digest);
    if (!(await exists(path))) {
      const tmp = this.#tempPath();
      await writeFile(tmp, bytes);
      await rename(tmp, path);
    }
    return { digest, size: bytes.length };
  }

  /**
   * Stores a stream as a blob, hashing it on the way. With `expected`, a stream whose
   * digest or size differs is rejected and nothing is stored.
   */
  async writeBlobStream(input: AsyncIterable<Uint8Array> | Readable, expected?: { digest: Digest; size?: number }): Promise<WrittenBlob> {
    if (expected) await mkdir(join(this.dir, 'blobs', parseDigest(expected.digest).algorithm), { recursive: true });
    const tmp = this.#tempPath();
    const check = new DigestingStream(expected ? { expected: expected.digest, ...(expected.size !== undefined ? { expectedSize: expected.size } : {}) } : {});
    try {
      await pipeline(input instanceof Readable ? input : Readable.from(input), check, createWriteStream(tmp, { flags: 'wx' }));
      await rename(tmp, blobPath(this.dir, check.digest));
    } finally {
      await rm(tmp, { force: true });
    }
    return { digest: check.digest, size: check.size };
  }

  /**
   * Lists a manifest (or index) in index.json, tagged with `refName` when given. A tag
   * moves: any other entry with the same ref name loses it.
   */
  addManifest(descriptor: Descriptor, refName?: string): void {
    const annotations = refName === undefined ? descriptor.annotations : { ...descriptor.annotations, [Annotation.refName]: refName };
    const entry: Descriptor = { ...descriptor, ...(annotations ? { annotations } : {}) };
    if (refName !== undefined) {
      this.#manifests = this.#manifests.filter((m) => m.annotations?.[Annotation.refName] !== refName);
    }
    if (!this.#manifests.some((m) => JSON.stringify(m) === JSON.stringify(entry))) this.#manifests.push(entry);
  }

  /** Writes index.json (atomically, by rename). */
  async commit(): Promise<void> {
    const index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: this.#manifests };
    const tmp = this.#tempPath();
    await writeFile(tmp, JSON.stringify(index));
    await rename(tmp, join(this.dir, INDEX_FILE));
  }

  /** Temporary files live beside the blobs (same filesystem, so the final rename is atomic). */
  #tempPath(): string {
    return join(this.dir, 'blobs', `.tmp-${randomBytes(8).toString('hex')}`);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
