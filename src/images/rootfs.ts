/**
 * A container's root filesystem: an overlay of the image's layers (shared, read-only)
 * under the container's own upper and work directories:
 *
 *   <containerDir>/rootfs   the merged view the runtime uses as root.path
 *   <containerDir>/upper    what the container wrote
 *   <containerDir>/work     overlayfs's scratch space
 *
 * Each mount holds a lease, `<root>/leases/<id>.json`, naming the layers it uses, so
 * that gc never removes a layer under a running container even after the image was
 * removed, and across restarts of the agent (the mount outlives it). A lease whose
 * rootfs is no longer mounted is stale and is dropped by gc.
 */

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdir, readdir, rm, rmdir } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { Digest } from '../oci/digest.ts';
import { ImageStoreError } from './errors.ts';
import { replaceFileSync } from '../lib/replace-file.ts';
import { readJson } from './fs-util.ts';
import type { LayerStore } from './layer-store.ts';
import type { LocalImage } from './local-image.ts';
import { mountTable } from '../lib/mount-table.ts';
import { isMountPoint, mountOverlay, unmount } from './overlay.ts';

export interface MountedRootfs {
  /** The directory to use as the container's root (OCI `root.path`). */
  readonly rootfs: string;
  /** The container's writable layer. */
  readonly upper: string;
  /** Unmounts (lazily if still busy) and releases the lease; the container directory stays. */
  unmount(): Promise<void>;
}

interface Lease {
  readonly containerDir: string;
  readonly rootfs: string;
  readonly manifestDigest: Digest;
  readonly layers: readonly Digest[];
}

export class RootfsMounter {
  readonly #layers: LayerStore;
  readonly #leases: string;
  readonly #empty: string;

  /** Set: mount points go here, one per container directory, instead of `<containerDir>/rootfs`. */
  readonly #mountRoot: string | undefined;

  constructor(layers: LayerStore, root: string, mountRoot?: string) {
    this.#layers = layers;
    this.#leases = join(root, 'leases');
    this.#empty = join(root, 'empty');
    this.#mountRoot = mountRoot;
  }

  /**
   * Where a container directory's root filesystem is mounted: `<containerDir>/rootfs`, or
   * with a mount root (a shared mount a runtime's long-lived namespace sees, see
   * src/runtime/container/create-namespace.ts) a directory named for the container
   * directory there. upper/ and work/ stay in the container directory either way.
   */
  mountPoint(containerDir: string): string {
    const dir = resolve(containerDir);
    return this.#mountRoot === undefined ? join(dir, 'rootfs') : join(this.#mountRoot, createHash('sha256').update(dir).digest('hex').slice(0, 32));
  }

  async init(): Promise<void> {
    await mkdir(this.#leases, { recursive: true });
    await mkdir(this.#empty, { recursive: true });
  }

  /**
   * Mounts the image's layers at `<containerDir>/rootfs`. Already mounted (an agent that
   * restarted and reattaches): the existing mount is returned as it is.
   */
  async mount(image: LocalImage, containerDir: string): Promise<MountedRootfs> {
    if (!isAbsolute(containerDir)) throw new ImageStoreError(`the container directory must be an absolute path, not ${JSON.stringify(containerDir)}`);
    const dir = resolve(containerDir);
    const paths = { rootfs: this.mountPoint(dir), upper: join(dir, 'upper'), work: join(dir, 'work') };
    const handle: MountedRootfs = { rootfs: paths.rootfs, upper: paths.upper, unmount: () => this.unmount(dir) };
    // A new container's directory does not exist yet: no need to read the mount table
    // (hundreds of lines with many containers) to know it holds no mount.
    if (existsSync(paths.rootfs) && (await isMountPoint(paths.rootfs))) return handle;
    const lower: string[] = [];
    for (const diffId of [...image.layers].reverse()) {
      if (!this.#layers.has(diffId)) throw new ImageStoreError(`layer ${diffId} of image ${image.manifestDigest} is not in the layer store; pull the image again`);
      lower.push(await this.#layers.linkName(diffId));
    }
    // overlayfs needs a lower directory; an image without layers gets an empty one.
    if (lower.length === 0) lower.push(this.#empty);
    for (const p of Object.values(paths)) mkdirSync(p, { recursive: true });
    const lease: Lease = { containerDir: dir, rootfs: paths.rootfs, manifestDigest: image.manifestDigest, layers: image.layers };
    // Not fsynced: a lease only matters while its mount exists, and no mount outlives a reboot.
    replaceFileSync(this.#leasePath(dir), `${JSON.stringify(lease, null, 1)}\n`);
    try {
      await mountOverlay({ lower, cwd: this.#layers.linksDir, upper: paths.upper, work: paths.work, target: paths.rootfs });
    } catch (e) {
      await rm(this.#leasePath(dir), { force: true });
      throw e;
    }
    return handle;
  }

  /** Unmounts `<containerDir>/rootfs` and releases its lease; fine to call when it is not mounted. */
  async unmount(containerDir: string): Promise<void> {
    const dir = resolve(containerDir);
    const point = this.mountPoint(dir);
    await unmount(point);
    if (this.#mountRoot !== undefined) await rmdir(point).catch(() => undefined); // its own directory: gone with the mount
    await rm(this.#leasePath(dir), { force: true });
  }

  /** Layers held by mounted rootfs; leases of rootfs no longer mounted are dropped. */
  async leasedLayers(): Promise<{ layers: Set<Digest>; dropped: number }> {
    const mounted = new Set((await mountTable()).map((m) => m.mountPoint));
    const layers = new Set<Digest>();
    let dropped = 0;
    for (const name of await readdir(this.#leases)) {
      if (!name.endsWith('.json')) continue;
      const path = join(this.#leases, name);
      const lease = await readJson<Lease>(path);
      if (lease === undefined) continue;
      if (!mounted.has(lease.rootfs)) {
        await rm(path, { force: true });
        dropped++;
        continue;
      }
      for (const l of lease.layers) layers.add(l);
    }
    return { layers, dropped };
  }

  #leasePath(containerDir: string): string {
    return join(this.#leases, `${createHash('sha256').update(containerDir).digest('hex').slice(0, 32)}.json`);
  }
}
