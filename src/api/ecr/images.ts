/** ListImages, DescribeImages, BatchGetImage, BatchDeleteImage and PutImage. */

import { fail } from '../../core/errors.ts';
import { digestOf, type Digest } from '../../oci/digest.ts';
import { decodeToken, encodeToken, pageSize } from '../../core/pagination.ts';
import { keys } from '../../registry/keys.ts';
import { deleteManifest, putManifest } from '../../registry/manifests.ts';
import { checkTag, type Reference } from '../../registry/names.ts';
import type { ManifestRecord } from '../../registry/records.ts';
import { SCAN_PAGE, digestsTagged } from '../../registry/tags.ts';
import type { Store } from '../../store/store.ts';
import type { RequestContext } from '../aws/service.ts';
import { ecr, requireEcrRepo, type EcrDeps } from './deps.ts';
import { describeId, failure, imageDetail, resolveImage, type ImageFailure, type ImageIdentifier } from './image-ids.ts';

/** ListImages and DescribeImages answer 100 a page by default, at most 1000 (ECR API reference). */
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

type TagStatus = 'TAGGED' | 'UNTAGGED' | 'ANY';

interface PageInput {
  repositoryName: string;
  nextToken?: string;
  maxResults?: number;
  filter?: { tagStatus?: TagStatus };
}

/**
 * One page of manifests with their tags, filtered by tag status. `cost` is how many
 * result entries a manifest makes (ListImages lists one per tag). The token is the key
 * of the last manifest looked at, so skipped ones are not read again.
 */
async function manifestPage(store: Store, repo: string, input: PageInput, cost: (tags: string[]) => number) {
  const prefix = keys.manifests(repo);
  const limit = pageSize(input.maxResults, MAX_PAGE, DEFAULT_PAGE);
  const status = input.filter?.tagStatus ?? 'ANY';
  const tagged = await digestsTagged(store, repo);
  const out: { record: ManifestRecord; tags: string[] }[] = [];
  let used = 0;
  let after = decodeToken(input.nextToken, prefix);
  for (;;) {
    const page = await store.list(prefix, { limit: SCAN_PAGE, ...(after !== undefined && { after }) });
    for (const kv of page.items) {
      const record = JSON.parse(kv.value) as ManifestRecord;
      const tags = (tagged.get(record.digest) ?? []).map((t) => t.tag);
      const wanted = status === 'ANY' || (status === 'TAGGED') === (tags.length > 0);
      if (wanted) {
        const c = cost(tags);
        if (used > 0 && used + c > limit) return { out, nextToken: encodeToken(after!) };
        out.push({ record, tags });
        used += c;
      }
      after = kv.key;
    }
    if (!page.more) return { out };
  }
}

export function imageOperations(deps: EcrDeps) {
  const { store } = deps;
  return {
    async ListImages(input: PageInput, ctx: RequestContext) {
      const repo = (await requireEcrRepo(deps, ctx, input.repositoryName)).value.name;
      const status = input.filter?.tagStatus ?? 'ANY';
      const { out, nextToken } = await manifestPage(store, repo, input, (tags) => (status === 'UNTAGGED' ? 1 : Math.max(1, tags.length)));
      const imageIds = out.flatMap(({ record, tags }) => (tags.length ? tags.map((imageTag) => ({ imageDigest: record.digest, imageTag })) : [{ imageDigest: record.digest }]));
      return { imageIds, ...(nextToken && { nextToken }) };
    },

    async DescribeImages(input: PageInput & { imageIds?: ImageIdentifier[] }, ctx: RequestContext) {
      const repo = (await requireEcrRepo(deps, ctx, input.repositoryName)).value.name;
      if (input.imageIds?.length) {
        if (input.nextToken !== undefined) fail('InvalidParameterException', 'nextToken cannot be used together with imageIds.');
        const tagged = await digestsTagged(store, repo);
        const details = new Map<string, ReturnType<typeof imageDetail>>();
        for (const id of input.imageIds) {
          const r = await resolveImage(store, repo, id);
          if (!r.ok) {
            if (r.failure.failureCode !== 'ImageNotFound') fail('InvalidParameterException', `${r.failure.failureReason}: ${describeId(id)}.`);
            fail('ImageNotFoundException', `The image with imageId ${describeId(id)} does not exist within the repository with name '${repo}' in the registry with id '${ctx.accountId}'.`);
          }
          details.set(r.record.digest, imageDetail(ctx, repo, r.record, (tagged.get(r.record.digest) ?? []).map((t) => t.tag)));
        }
        return { imageDetails: [...details.values()] };
      }
      const { out, nextToken } = await manifestPage(store, repo, input, () => 1);
      return { imageDetails: out.map(({ record, tags }) => imageDetail(ctx, repo, record, tags)), ...(nextToken && { nextToken }) };
    },

    async BatchGetImage(input: { repositoryName: string; imageIds: ImageIdentifier[]; acceptedMediaTypes?: string[] }, ctx: RequestContext) {
      const repo = (await requireEcrRepo(deps, ctx, input.repositoryName)).value.name;
      const images = [];
      const failures: ImageFailure[] = [];
      for (const id of input.imageIds) {
        const r = await resolveImage(store, repo, id);
        if (!r.ok) {
          failures.push(r.failure);
          continue;
        }
        if (input.acceptedMediaTypes?.length && !input.acceptedMediaTypes.includes(r.record.mediaType)) {
          failures.push(failure(id, 'ImageNotFound', `Requested image is stored as ${r.record.mediaType}, which is not among acceptedMediaTypes`));
          continue;
        }
        images.push({
          registryId: ctx.accountId,
          repositoryName: repo,
          imageId: { imageDigest: r.record.digest, ...(id.imageTag !== undefined && { imageTag: id.imageTag }) },
          imageManifest: r.record.body,
          imageManifestMediaType: r.record.mediaType,
        });
      }
      return { images, failures };
    },

    async BatchDeleteImage(input: { repositoryName: string; imageIds: ImageIdentifier[] }, ctx: RequestContext) {
      const repo = (await requireEcrRepo(deps, ctx, input.repositoryName)).value.name;
      const imageIds: ImageIdentifier[] = [];
      const failures: ImageFailure[] = [];
      let parents: Set<string> | undefined;
      const referencedByIndex = async (digest: string) => (parents ??= await indexChildren(store, repo)).has(digest);
      for (const id of input.imageIds) {
        const r = await resolveImage(store, repo, id);
        if (!r.ok) {
          failures.push(r.failure);
          continue;
        }
        const digest = r.record.digest;
        const tags = ((await digestsTagged(store, repo)).get(digest) ?? []).map((t) => t.tag);
        // ECR: removing an image's last tag deletes the image.
        const wholeImage = id.imageTag === undefined || (tags.length === 1 && tags[0] === id.imageTag);
        if (wholeImage && (await referencedByIndex(digest))) {
          failures.push(failure(id, 'ImageReferencedByManifestList'));
          continue;
        }
        const ref: Reference = wholeImage ? { kind: 'digest', digest: digest as Digest } : { kind: 'tag', tag: id.imageTag! };
        try {
          const removed = await deleteManifest(store, repo, ref);
          if (removed.tags.length === 0) imageIds.push({ imageDigest: digest });
          for (const imageTag of removed.tags) imageIds.push({ imageDigest: digest, imageTag });
        } catch {
          failures.push(failure(id, 'ImageNotFound'));
        }
      }
      return { imageIds, failures };
    },

    async PutImage(input: { repositoryName: string; imageManifest: string; imageManifestMediaType?: string; imageTag?: string; imageDigest?: string }, ctx: RequestContext) {
      const repo = (await requireEcrRepo(deps, ctx, input.repositoryName)).value.name;
      const ref: Reference | undefined = input.imageTag !== undefined ? { kind: 'tag', tag: checkEcrTag(input.imageTag) } : undefined;
      const result = await ecr(() => putManifest(deps.registry, repo, ref ?? { kind: 'digest', digest: computedDigest(input) }, Buffer.from(input.imageManifest, 'utf8'), input.imageManifestMediaType, { createRepo: false, now: ctx.now }));
      const { record } = result;
      if (input.imageDigest !== undefined && input.imageDigest !== record.digest) {
        fail('ImageDigestDoesNotMatchException', `The digest ${input.imageDigest} does not match the manifest's digest ${record.digest}.`);
      }
      if (result.existed && result.tagUnchanged) {
        fail('ImageAlreadyExistsException', `Image with digest '${record.digest}'${input.imageTag !== undefined ? ` and tag '${input.imageTag}'` : ''} already exists in the repository with name '${repo}' in registry with id '${ctx.accountId}'.`);
      }
      deps.registry.notifyPush(repo, record.digest);
      return {
        image: {
          registryId: ctx.accountId,
          repositoryName: repo,
          imageId: { imageDigest: record.digest, ...(input.imageTag !== undefined && { imageTag: input.imageTag }) },
          imageManifest: record.body,
          imageManifestMediaType: record.mediaType,
        },
      };
    },
  };
}

function checkEcrTag(tag: string): string {
  try {
    return checkTag(tag);
  } catch {
    fail('InvalidParameterException', `Invalid parameter at 'imageTag': '${tag.slice(0, 200)}' is not a valid tag (1 to 128 letters, digits, '_', '.', '-', not starting with '.' or '-').`);
  }
}

/** Without a tag, PutImage stores by digest: the digest of the manifest text (or the one the caller gave, checked). */
function computedDigest(input: { imageManifest: string }): Digest {
  return digestOf(Buffer.from(input.imageManifest, 'utf8'));
}

/** Digests of every manifest an index in the repository lists. */
async function indexChildren(store: Store, repo: string): Promise<Set<string>> {
  const prefix = keys.manifests(repo);
  const out = new Set<string>();
  let after: string | undefined;
  for (;;) {
    const page = await store.list(prefix, { limit: MAX_PAGE, ...(after !== undefined && { after }) });
    for (const kv of page.items) {
      for (const c of (JSON.parse(kv.value) as ManifestRecord).children) out.add(c);
      after = kv.key;
    }
    if (!page.more) return out;
  }
}
