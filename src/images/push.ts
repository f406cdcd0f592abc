/**
 * Pushing an image from an {@link BlobReader} (an OCI layout, an OCI archive, a
 * docker-archive) to a registry, in the order registries need: layers and configs
 * first, then child manifests by digest, then the top manifest under its tag. Blobs
 * the repository has are skipped; blobs pushed earlier to another repository of the
 * same registry are mounted instead of uploaded again.
 */

import type { Digest } from '../oci/digest.ts';
import { listBlobs, readBlob, type BlobReader } from '../oci/image-source.ts';
import { isIndexType, isManifestType, type Descriptor } from '../oci/media-types.ts';
import type { BlobProgress, BlobPushResult, RegistryClient } from './registry-client.ts';

/** Blobs uploaded at once: enough to overlap round trips, few enough not to thrash one disk. */
export const PUSH_CONCURRENCY = 3;

export interface BlobPushed {
  readonly descriptor: Descriptor;
  readonly result: BlobPushResult;
  /** The repository it was mounted from, for `mounted`. */
  readonly from?: string;
}

export interface PushOptions {
  /** Called once per blob (layers, configs, child manifests) when it is in place. */
  readonly onBlob?: (event: BlobPushed) => void;
  /** Called as upload bytes go out. */
  readonly onProgress?: (progress: BlobProgress) => void;
  /**
   * Repositories of this registry known to hold a blob; consulted for mounts and
   * updated with what this push stores, so a sequence of pushes shares it.
   */
  readonly knownBlobs?: Map<Digest, string>;
}

export interface PushResult {
  readonly repository: string;
  readonly tag: string;
  /** The digest of the top manifest (what `skopeo inspect` shows as Digest). */
  readonly digest: Digest;
  readonly mediaType: string;
  readonly blobs: readonly BlobPushed[];
}

/** Pushes the image `root` (a manifest or an index, with everything it references) as `repository:tag`. */
export async function pushImage(client: RegistryClient, source: BlobReader, root: Descriptor, repository: string, tag: string, options: PushOptions = {}): Promise<PushResult> {
  const known = options.knownBlobs ?? new Map<Digest, string>();
  const all = await listBlobs(source, root);
  const isDocument = (d: Descriptor) => isManifestType(d.mediaType) || isIndexType(d.mediaType);
  const blobs = all.filter((d) => !isDocument(d));
  const pushed: BlobPushed[] = [];
  const record = (event: BlobPushed) => {
    pushed.push(event);
    if (!known.has(event.descriptor.digest)) known.set(event.descriptor.digest, repository);
    options.onBlob?.(event);
  };

  await forEachLimited(blobs, PUSH_CONCURRENCY, async (d) => {
    const from = known.get(d.digest);
    const result = await client.pushBlob(repository, d, () => source.open(d.digest), {
      ...(from !== undefined && { mountFrom: from }),
      ...(options.onProgress && { onProgress: options.onProgress }),
    });
    record({ descriptor: d, result, ...(result === 'mounted' && from !== undefined && { from }) });
  });

  // listBlobs lists parents first: children (platform manifests of an index) go up before their index.
  const documents = all.filter(isDocument).reverse();
  for (const d of documents) {
    if (d.digest === root.digest) continue;
    const bytes = await readBlob(source, d);
    await client.putManifest(repository, d.digest, bytes, d.mediaType);
    record({ descriptor: d, result: 'uploaded' });
  }
  const rootBytes = await readBlob(source, root);
  const digest = await client.putManifest(repository, tag, rootBytes, root.mediaType);
  return { repository, tag, digest, mediaType: root.mediaType, blobs: pushed };
}

/**
 * Runs `action` over `items` with at most `limit` at a time. The first failure stops new
 * starts; it is thrown once the actions already running have settled, so nothing is
 * still writing when the caller hears of it.
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, action: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await action(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
}
