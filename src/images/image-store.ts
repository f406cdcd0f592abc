/**
 * Images on a host, for the agent: pull by reference (Berth's resolution policy, any
 * OCI registry), keep each layer unpacked once (layer-store.ts), remember what was
 * pulled (image-index.ts), mount a container's root filesystem over the layers
 * (rootfs.ts), and collect layers nothing uses any more.
 *
 *   <root>/images/index.json     references and images
 *   <root>/layers/, l/, tmp/     the layer store
 *   <root>/leases/               layers held by mounted root filesystems
 *
 * One process owns a root (the agent of the host).
 */

import { join } from 'node:path';
import { parseImageConfig } from '../oci/documents.ts';
import type { Digest } from '../oci/digest.ts';
import { hostPlatform } from '../oci/image-source.ts';
import { layerCompressionOf, type Platform } from '../oci/media-types.ts';
import { GcLock } from '../lib/gc-lock.ts';
import { Lru } from '../lib/lru.ts';
import { ImageStoreError } from './errors.ts';
import { ImageIndex } from './image-index.ts';
import { LayerStore } from './layer-store.ts';
import { runConfigOf, type LocalImage } from './local-image.ts';
import { forEachLimited } from './push.ts';
import { formatReference, manifestReference, resolveReference, type ResolvedReference } from './reference.ts';
import type { RegistryCredentials } from './registry-auth.ts';
import { RegistryClient, type BlobProgress } from './registry-client.ts';
import { RootfsMounter, type MountedRootfs } from './rootfs.ts';

/** Layers downloaded and unpacked at once: overlaps network and disk; unpacking is CPU-bound beyond that. */
export const PULL_CONCURRENCY = 3;
/**
 * A tag pulled this recently is not asked of the registry again, so a burst of tasks of
 * one image pays one round trip (measured: ~8 ms of each task start for a cached image).
 * Digest references never need asking.
 */
export const TAG_RESOLUTION_TTL_MS = 10_000;
/**
 * Tags whose resolution is remembered: more than an agent starts within the TTL above
 * (CI pushes a new tag per build, so a plain map would grow for the agent's whole life).
 */
const RESOLVED_TAGS_KEPT = 1_000;

export interface ImageStoreOptions {
  readonly root: string;
  /** Berth's registry as `host:port`: where `nginx` and ECR references resolve. */
  readonly berthRegistry: string;
  /** Base URL of Berth's registry (default: http://<berthRegistry>). */
  readonly berthUrl?: string;
  /** syncfs each layer before it counts as complete (default true). */
  readonly durable?: boolean;
  /** Where root filesystems are mounted (default: in each container directory); see RootfsMounter.mountPoint. */
  readonly rootfsMountRoot?: string | undefined;
}

export interface PullOptions {
  /** For the registry the reference resolves to; for Berth's, `AWS` and an ECR token. */
  readonly credentials?: RegistryCredentials;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: BlobProgress) => void;
  /** Default: this host's (linux and its architecture). */
  readonly platform?: Platform;
}

export interface GcReport {
  readonly layersRemoved: readonly Digest[];
  readonly staleTempsRemoved: number;
  readonly staleLeasesRemoved: number;
}

export class ImageStore {
  readonly root: string;
  readonly layers: LayerStore;
  readonly #index: ImageIndex;
  readonly #mounter: RootfsMounter;
  readonly #options: ImageStoreOptions;
  /** Pulls shared, gc exclusive: gc never removes a layer a pull has unpacked but not yet recorded. */
  readonly #lock = new GcLock();
  readonly #resolvedAt = new Lru<string, number>(RESOLVED_TAGS_KEPT);

  private constructor(options: ImageStoreOptions, layers: LayerStore, index: ImageIndex, mounter: RootfsMounter) {
    this.root = options.root;
    this.#options = options;
    this.layers = layers;
    this.#index = index;
    this.#mounter = mounter;
  }

  static async open(options: ImageStoreOptions): Promise<ImageStore> {
    const layers = await LayerStore.open(options.root, options.durable === undefined ? {} : { durable: options.durable });
    const index = await ImageIndex.open(join(options.root, 'images'));
    const mounter = new RootfsMounter(layers, options.root, options.rootfsMountRoot);
    await mounter.init();
    return new ImageStore(options, layers, index, mounter);
  }

  /** Where a reference is pulled from under Berth's policy (reference.ts). */
  resolve(reference: string): ResolvedReference {
    return resolveReference(reference, this.#options.berthRegistry);
  }

  /**
   * Pulls an image: its manifest for this host's platform, its config, and every layer
   * not already unpacked. Returns what the agent needs to run it.
   */
  async pull(reference: string, options: PullOptions = {}): Promise<LocalImage> {
    const ref = this.resolve(reference);
    const fresh = ref.digest === undefined && Date.now() - (this.#resolvedAt.get(formatReference(ref)) ?? -Infinity) < TAG_RESOLUTION_TTL_MS;
    const known = fresh || ref.digest !== undefined ? this.get(reference) : undefined;
    if (known && !options.platform) return known;
    const image = await this.#pull(ref, options);
    if (ref.digest === undefined) this.#resolvedAt.set(formatReference(ref), Date.now());
    return image;
  }

  async #pull(ref: ResolvedReference, options: PullOptions): Promise<LocalImage> {
    const client = new RegistryClient(ref.registry, {
      ...(options.credentials && { credentials: options.credentials }),
      ...(ref.berth && { baseUrl: this.#options.berthUrl ?? `http://${ref.registry}` }),
      ...(options.signal && { signal: options.signal }),
    });
    const platform = options.platform ?? hostPlatform();
    const resolved = await client.resolveManifest(ref.repository, manifestReference(ref), platform);
    const name = formatReference(ref);
    const { manifest } = resolved;
    const config = parseImageConfig(await client.readBlob(ref.repository, manifest.config), `config of ${name}`);
    if (config.rootfs.diff_ids.length !== manifest.layers.length) {
      throw new ImageStoreError(`${name}: the manifest has ${manifest.layers.length} layers but the config lists ${config.rootfs.diff_ids.length} diff_ids; the image is broken, rebuild it`);
    }
    if (config.os !== platform.os || config.architecture !== platform.architecture) {
      throw new ImageStoreError(`${name} is built for ${config.os}/${config.architecture}; this host runs ${platform.os}/${platform.architecture}: push an image for this platform`);
    }
    for (const layer of manifest.layers) {
      if (layerCompressionOf(layer.mediaType) === undefined) throw new ImageStoreError(`${name}: ${layer.digest} has media type ${layer.mediaType}, which is not an image layer; is this an artifact rather than an image?`);
    }
    return this.#lock.shared(async () => {
      const pairs = manifest.layers.map((descriptor, i) => ({ descriptor, diffId: config.rootfs.diff_ids[i] as Digest }));
      await forEachLimited(pairs, PULL_CONCURRENCY, async ({ descriptor, diffId }) => {
        await this.layers.ensure(diffId, () => client.openBlob(ref.repository, descriptor, options.onProgress));
      });
      return this.#index.put({
        references: [name],
        manifestDigest: resolved.descriptor.digest,
        ...(resolved.index && { indexDigest: resolved.index.digest }),
        configDigest: manifest.config.digest,
        os: config.os,
        architecture: config.architecture,
        config: runConfigOf(config),
        layers: config.rootfs.diff_ids,
        size: manifest.layers.reduce((n, l) => n + l.size, 0),
        pulledAt: new Date().toISOString(),
      });
    });
  }

  /** The image a reference names, if it was pulled: by this tag, or (for a digest reference) by any name. */
  get(reference: string): LocalImage | undefined {
    const ref = this.resolve(reference);
    if (ref.digest !== undefined) {
      const image = this.#index.byDigest(ref.digest) ?? this.#index.list().find((i) => i.indexDigest === ref.digest);
      if (image) return image;
    }
    return this.#index.byReference(formatReference(ref));
  }

  list(): LocalImage[] {
    return this.#index.list();
  }

  /** Forgets a reference; its layers go at the next gc unless another image or a mount uses them. */
  async remove(reference: string): Promise<boolean> {
    return this.#index.removeReference(formatReference(this.resolve(reference)));
  }

  /** Mounts a container's root filesystem over the image (see rootfs.ts). */
  async mountRootfs(image: LocalImage, containerDir: string): Promise<MountedRootfs> {
    return this.#lock.shared(() => this.#mounter.mount(image, containerDir));
  }

  /** Unmounts a container's root filesystem by its directory (e.g. after an agent restart). */
  async unmountRootfs(containerDir: string): Promise<void> {
    await this.#mounter.unmount(containerDir);
  }

  /** Removes layers no image and no mounted root filesystem uses, and unpacks left by killed pulls. */
  async gc(): Promise<GcReport> {
    return this.#lock.exclusive(async () => {
      const keep = this.#index.referencedLayers();
      const leased = await this.#mounter.leasedLayers();
      for (const l of leased.layers) keep.add(l);
      const removed: Digest[] = [];
      for (const diffId of await this.layers.list()) {
        if (keep.has(diffId)) continue;
        await this.layers.remove(diffId);
        removed.push(diffId);
      }
      const staleTempsRemoved = await this.layers.removeStaleTemps();
      return { layersRemoved: removed, staleTempsRemoved, staleLeasesRemoved: leased.dropped };
    });
  }
}
