/**
 * The image store's metadata: one small JSON file, `<root>/images/index.json`, holding
 * every pulled image by manifest digest and every reference that names one. Rewritten
 * whole and atomically (temp, fsync, rename) on each change; changes are serialized in
 * this process, the only one that owns the store.
 */

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../oci/digest.ts';
import { readJson, writeJsonAtomic } from './fs-util.ts';
import type { LocalImage } from './local-image.ts';

const INDEX_VERSION = 1;

interface IndexFile {
  readonly version: typeof INDEX_VERSION;
  /** Resolved reference (tag or digest form) → manifest digest. */
  readonly references: Record<string, Digest>;
  readonly images: Record<Digest, LocalImage>;
}

export class ImageIndex {
  readonly #path: string;
  #data: IndexFile;
  #writing: Promise<void> = Promise.resolve();

  private constructor(path: string, data: IndexFile) {
    this.#path = path;
    this.#data = data;
  }

  static async open(dir: string): Promise<ImageIndex> {
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'index.json');
    const data = (await readJson<IndexFile>(path)) ?? { version: INDEX_VERSION, references: {}, images: {} };
    if (data.version !== INDEX_VERSION) throw new Error(`${path} has version ${data.version}; this Berth reads version ${INDEX_VERSION}`);
    return new ImageIndex(path, data);
  }

  byReference(reference: string): LocalImage | undefined {
    const digest = this.#data.references[reference];
    return digest === undefined ? undefined : this.#data.images[digest];
  }

  byDigest(digest: Digest): LocalImage | undefined {
    return this.#data.images[digest];
  }

  list(): LocalImage[] {
    return Object.values(this.#data.images);
  }

  /** Records an image under its references (moving a tag that named another image). */
  async put(image: LocalImage): Promise<LocalImage> {
    return this.#update((d) => {
      const references = { ...d.references };
      const images = { ...d.images };
      for (const ref of image.references) {
        const previous = references[ref];
        if (previous !== undefined && previous !== image.manifestDigest) detach(images, previous, ref);
        references[ref] = image.manifestDigest;
      }
      const before = images[image.manifestDigest];
      const merged: LocalImage = { ...image, references: [...new Set([...(before?.references ?? []), ...image.references])] };
      images[image.manifestDigest] = merged;
      return [{ version: INDEX_VERSION, references, images }, merged];
    });
  }

  /** Drops a reference; an image no reference names any more goes with it. True when it was there. */
  async removeReference(reference: string): Promise<boolean> {
    return this.#update((d) => {
      const digest = d.references[reference];
      if (digest === undefined) return [d, false];
      const references = { ...d.references };
      delete references[reference];
      const images = { ...d.images };
      detach(images, digest, reference);
      return [{ version: INDEX_VERSION, references, images }, true];
    });
  }

  /** Every layer some image has. */
  referencedLayers(): Set<Digest> {
    return new Set(this.list().flatMap((i) => i.layers));
  }

  async #update<T>(change: (data: IndexFile) => [IndexFile, T]): Promise<T> {
    const run = this.#writing.then(async () => {
      const [next, result] = change(this.#data);
      if (next !== this.#data) {
        await writeJsonAtomic(this.#path, next);
        this.#data = next;
      }
      return result;
    });
    this.#writing = run.then(() => undefined, () => undefined);
    return run;
  }
}

function detach(images: Record<Digest, LocalImage>, digest: Digest, reference: string): void {
  const image = images[digest];
  if (image === undefined) return;
  const references = image.references.filter((r) => r !== reference);
  if (references.length === 0) delete images[digest];
  else images[digest] = { ...image, references };
}
