/**
 * Unpacked layers, content-addressed by diff_id, each unpacked once and shared by every
 * image (and every container) that has it:
 *
 *   <root>/layers/sha256/<diffid-hex>/diff/        the layer, overlay-ready (layer-unpack.ts)
 *   <root>/layers/sha256/<diffid-hex>/layer.json   what it is (size, whiteouts, link name)
 *   <root>/l/<short> -> ../layers/sha256/<hex>/diff   short names for overlay's lowerdir
 *   <root>/tmp/<pid>-<random>/                     unpacks in progress
 *
 * A layer is unpacked under tmp/, flushed (syncfs), then renamed into layers/: a layer
 * directory that exists is complete, and a pull killed midway leaves only a temporary,
 * which the next open (or gc) removes once its process is gone. Concurrent requests for
 * one layer share one unpack; two processes racing for it both unpack, and the second
 * rename loses harmlessly.
 */

import { existsSync } from 'node:fs';
import { mkdir, readdir, readlink, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { parseDigest, type Digest } from '../oci/digest.ts';
import { syncDir } from '../lib/sync-dir.ts';
import { isStaleTemp, readJson, syncFilesystem, tempName } from './fs-util.ts';
import { unpackLayer } from './layer-unpack.ts';

/**
 * Hex digits of a diff_id used as its short link name: 12 (48 bits) keeps a lowerdir
 * entry at 13 bytes, so the kernel's 4 KiB option page holds ~300 layers; a clash falls
 * back to the full hex.
 */
const LINK_PREFIX_LENGTH = 12;
const LAYER_FILE = 'layer.json';

export interface LayerInfo {
  readonly diffId: Digest;
  /** The directory to use as an overlay lower layer. */
  readonly path: string;
  /** File content bytes in the layer. */
  readonly bytes: number;
  readonly entries: number;
  readonly whiteouts: number;
  readonly opaqueDirs: number;
  readonly unpackedAt: string;
}

export interface LayerStoreOptions {
  /** syncfs each layer before it becomes visible (default true): a power cut then never leaves a torn layer. */
  readonly durable?: boolean;
}

export class LayerStore {
  readonly root: string;
  readonly #durable: boolean;
  readonly #inflight = new Map<Digest, Promise<LayerInfo>>();
  /** Link names made or checked (layers are immutable; {@link remove} forgets its own). */
  readonly #linkNames = new Map<Digest, string>();
  readonly #temps = new Set<string>();

  private constructor(root: string, options: LayerStoreOptions) {
    this.root = root;
    this.#durable = options.durable ?? true;
  }

  static async open(root: string, options: LayerStoreOptions = {}): Promise<LayerStore> {
    const store = new LayerStore(root, options);
    for (const dir of ['layers/sha256', 'layers/sha512', 'l', 'tmp']) await mkdir(join(root, dir), { recursive: true });
    await store.removeStaleTemps();
    return store;
  }

  /** Where overlay lower names (see {@link linkName}) are relative to. */
  get linksDir(): string {
    return join(this.root, 'l');
  }

  layerDir(diffId: Digest): string {
    const { algorithm, hex } = parseDigest(diffId);
    return join(this.root, 'layers', algorithm, hex);
  }

  /**
   * Whether the layer is unpacked and complete, without reading it: one stat, synchronous,
   * for the rootfs mount of every container start (libuv's pool took milliseconds there).
   */
  has(diffId: Digest): boolean {
    return existsSync(join(this.layerDir(diffId), LAYER_FILE));
  }

  /** The layer, if it is unpacked and complete. */
  async get(diffId: Digest): Promise<LayerInfo | undefined> {
    const meta = await readJson<Omit<LayerInfo, 'path'>>(join(this.layerDir(diffId), LAYER_FILE));
    return meta === undefined ? undefined : { ...meta, path: join(this.layerDir(diffId), 'diff') };
  }

  /**
   * The layer, unpacked from `open()`'s blob stream when it is not here yet. Concurrent
   * calls for one diff_id share one unpack (and one download).
   */
  async ensure(diffId: Digest, open: () => Promise<Readable>): Promise<LayerInfo> {
    const have = await this.get(diffId);
    if (have) return have;
    let pending = this.#inflight.get(diffId);
    if (pending === undefined) {
      pending = this.#unpack(diffId, open).finally(() => this.#inflight.delete(diffId));
      this.#inflight.set(diffId, pending);
    }
    return pending;
  }

  async #unpack(diffId: Digest, open: () => Promise<Readable>): Promise<LayerInfo> {
    const name = tempName();
    this.#temps.add(name);
    const temp = join(this.root, 'tmp', name);
    try {
      await mkdir(join(temp, 'diff'), { recursive: true });
      const result = await unpackLayer(await open(), diffId, join(temp, 'diff'));
      const meta: Omit<LayerInfo, 'path'> = { diffId, ...result, unpackedAt: new Date().toISOString() };
      // No fsync of its own: the syncfs of the whole layer right after covers it.
      await writeFile(join(temp, LAYER_FILE), `${JSON.stringify(meta, null, 1)}\n`);
      if (this.#durable) await syncFilesystem(temp);
      const final = this.layerDir(diffId);
      try {
        await rename(temp, final);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // Another process finished the same layer first: theirs is as good as ours.
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
      }
      await syncDir(join(final, '..'));
      await this.linkName(diffId);
      const info = await this.get(diffId);
      if (info === undefined) throw new Error(`layer ${diffId} vanished right after it was unpacked`);
      return info;
    } finally {
      await rm(temp, { recursive: true, force: true });
      this.#temps.delete(name);
    }
  }

  /**
   * The layer's name under {@link linksDir} (a symlink to its diff directory), made if
   * missing: what goes into overlay's lowerdir option.
   */
  async linkName(diffId: Digest): Promise<string> {
    const known = this.#linkNames.get(diffId);
    if (known !== undefined) return known;
    const name = await this.#makeLinkName(diffId);
    this.#linkNames.set(diffId, name);
    return name;
  }

  async #makeLinkName(diffId: Digest): Promise<string> {
    const { algorithm, hex } = parseDigest(diffId);
    const target = join('..', 'layers', algorithm, hex, 'diff');
    for (const name of [hex.slice(0, LINK_PREFIX_LENGTH), hex]) {
      const path = join(this.linksDir, name);
      const current = await readlink(path).catch(() => undefined);
      if (current === target) return name;
      if (current !== undefined) continue; // a clash of short names: use the full hex
      try {
        await symlink(target, path);
        return name;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        if ((await readlink(path)) === target) return name;
      }
    }
    throw new Error(`no link name for layer ${diffId}: ${join(this.linksDir, hex)} points elsewhere`);
  }

  /** Every complete layer. */
  async list(): Promise<Digest[]> {
    const out: Digest[] = [];
    for (const algorithm of ['sha256', 'sha512'] as const) {
      for (const hex of await readdir(join(this.root, 'layers', algorithm))) out.push(`${algorithm}:${hex}`);
    }
    return out;
  }

  /** Removes a layer: first out of sight (renamed into tmp/), then from disk. */
  async remove(diffId: Digest): Promise<void> {
    this.#linkNames.delete(diffId);
    const { hex } = parseDigest(diffId);
    const name = tempName();
    this.#temps.add(name);
    const temp = join(this.root, 'tmp', name);
    try {
      await rename(this.layerDir(diffId), temp);
    } catch (e) {
      this.#temps.delete(name);
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const link of [hex.slice(0, LINK_PREFIX_LENGTH), hex]) {
      const path = join(this.linksDir, link);
      if ((await readlink(path).catch(() => undefined))?.includes(hex)) await unlink(path).catch(() => undefined);
    }
    await rm(temp, { recursive: true, force: true });
    this.#temps.delete(name);
  }

  /** Removes unpacks left by processes that are gone; returns how many. */
  async removeStaleTemps(): Promise<number> {
    let removed = 0;
    for (const name of await readdir(join(this.root, 'tmp'))) {
      if (!isStaleTemp(name, this.#temps)) continue;
      await rm(join(this.root, 'tmp', name), { recursive: true, force: true });
      removed++;
    }
    return removed;
  }
}
