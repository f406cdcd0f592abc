/** ECR image identifiers (`{imageDigest?, imageTag?}`) resolved against a repository. */

import { isDigest } from '../../oci/digest.ts';
import { keys } from '../../registry/keys.ts';
import { isTag } from '../../registry/names.ts';
import type { ManifestRecord, TagRecord } from '../../registry/records.ts';
import { getJson } from '../../store/json.ts';
import type { Store } from '../../store/store.ts';
import type { RequestContext } from '../aws/service.ts';
import { seconds } from './deps.ts';

export interface ImageIdentifier {
  imageDigest?: string;
  imageTag?: string;
}

export type FailureCode = 'InvalidImageDigest' | 'InvalidImageTag' | 'ImageTagDoesNotMatchDigest' | 'ImageNotFound' | 'MissingDigestAndTag' | 'ImageReferencedByManifestList';

export interface ImageFailure {
  imageId: ImageIdentifier;
  failureCode: FailureCode;
  failureReason: string;
}

export type Resolved = { readonly ok: true; readonly record: ManifestRecord } | { readonly ok: false; readonly failure: ImageFailure };

const REASONS: Readonly<Record<FailureCode, string>> = {
  InvalidImageDigest: 'Invalid request parameters: the image digest must be sha256: followed by 64 lowercase hex characters',
  InvalidImageTag: 'Invalid request parameters: an image tag is 1 to 128 letters, digits, _ . -, not starting with . or -',
  ImageTagDoesNotMatchDigest: 'Invalid request parameters: the given tag does not point at the given digest',
  ImageNotFound: 'Requested image not found',
  MissingDigestAndTag: 'Invalid request parameters: image tag and digest cannot both be null',
  ImageReferencedByManifestList: 'The image is referenced by a manifest list (image index) in this repository; delete the index first',
};

export function failure(imageId: ImageIdentifier, failureCode: FailureCode, failureReason = REASONS[failureCode]): ImageFailure {
  return { imageId, failureCode, failureReason };
}

export async function resolveImage(store: Store, repo: string, id: ImageIdentifier): Promise<Resolved> {
  const { imageDigest, imageTag } = id;
  if (imageDigest === undefined && imageTag === undefined) return { ok: false, failure: failure(id, 'MissingDigestAndTag') };
  if (imageDigest !== undefined && !isDigest(imageDigest)) return { ok: false, failure: failure(id, 'InvalidImageDigest') };
  if (imageTag !== undefined && !isTag(imageTag)) return { ok: false, failure: failure(id, 'InvalidImageTag') };
  let digest: string | undefined = imageDigest;
  if (imageTag !== undefined) {
    const tag = await getJson<TagRecord>(store, keys.tag(repo, imageTag));
    if (!tag) return { ok: false, failure: failure(id, 'ImageNotFound') };
    if (digest !== undefined && digest !== tag.value.digest) return { ok: false, failure: failure(id, 'ImageTagDoesNotMatchDigest') };
    digest = tag.value.digest;
  }
  const m = await getJson<ManifestRecord>(store, keys.manifest(repo, digest!));
  return m ? { ok: true, record: m.value } : { ok: false, failure: failure(id, 'ImageNotFound') };
}

/** The ECR ImageDetail of a stored manifest. */
export function imageDetail(ctx: RequestContext, repo: string, m: ManifestRecord, tags: readonly string[]) {
  return {
    registryId: ctx.accountId,
    repositoryName: repo,
    imageDigest: m.digest,
    ...(tags.length > 0 && { imageTags: [...tags] }),
    imageSizeInBytes: m.imageSize,
    imagePushedAt: seconds(m.pushedAt),
    imageManifestMediaType: m.mediaType,
    ...(m.configMediaType && { artifactMediaType: m.configMediaType }),
    ...(m.subject && { subjectManifestDigest: m.subject }),
  };
}

export function describeId(id: ImageIdentifier): string {
  return `{imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'}`;
}
