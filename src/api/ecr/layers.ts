/**
 * ECR's own layer API: availability checks, download URLs, and the three-step upload
 * (InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload) over the registry's
 * upload sessions.
 */

import { Readable } from 'node:stream';
import { ApiError, fail } from '../../core/errors.ts';
import { isDigest, type Digest } from '../../oci/digest.ts';
import { blobScope } from '../../registry/auth.ts';
import { RegistryError } from '../../registry/errors.ts';
import { keys } from '../../registry/keys.ts';
import { blobInRepo } from '../../registry/repositories.ts';
import { UPLOAD_PART_SIZE } from '../../registry/uploads.ts';
import type { UploadRecord } from '../../registry/records.ts';
import type { RequestContext } from '../aws/service.ts';
import { requireEcrRepo, type EcrDeps } from './deps.ts';

/** A download URL is good for an hour, like the pre-signed URLs ECR hands out. */
export const DOWNLOAD_URL_LIFETIME_MS = 60 * 60 * 1000;
/** The media type ECR reports for layers in BatchCheckLayerAvailability. */
const LAYER_MEDIA_TYPE = 'application/vnd.docker.container.image.rootfs.diff+x-gtar';

export function layerOperations(deps: EcrDeps) {
  const { registry } = deps;
  const repoOf = async (ctx: RequestContext, name: string) => (await requireEcrRepo(deps, ctx, name)).value.name;

  const session = async (ctx: RequestContext, repo: string, id: string): Promise<UploadRecord> => {
    try {
      return await registry.uploads.find(repo, id);
    } catch {
      fail('UploadNotFoundException', `The upload with id '${id}' does not exist in the repository with name '${repo}' in the registry with id '${ctx.accountId}'. Start one with InitiateLayerUpload.`);
    }
  };

  return {
    async BatchCheckLayerAvailability(input: { repositoryName: string; layerDigests: string[] }, ctx: RequestContext) {
      const repo = await repoOf(ctx, input.repositoryName);
      const layers = [];
      const failures = [];
      for (const layerDigest of input.layerDigests) {
        if (layerDigest === '') {
          failures.push({ layerDigest, failureCode: 'MissingLayerDigest', failureReason: 'The layer digest is empty.' });
        } else if (!isDigest(layerDigest)) {
          failures.push({ layerDigest, failureCode: 'InvalidLayerDigest', failureReason: 'The layer digest must be sha256: followed by 64 lowercase hex characters.' });
        } else {
          const size = await blobInRepo(registry.store, registry.blobs, repo, layerDigest);
          layers.push(size === undefined
            ? { layerDigest, layerAvailability: 'UNAVAILABLE' }
            : { layerDigest, layerAvailability: 'AVAILABLE', layerSize: size, mediaType: LAYER_MEDIA_TYPE });
        }
      }
      return { layers, failures };
    },

    async GetDownloadUrlForLayer(input: { repositoryName: string; layerDigest: string }, ctx: RequestContext) {
      const repo = await repoOf(ctx, input.repositoryName);
      const digest = input.layerDigest;
      if (!isDigest(digest) || (await blobInRepo(registry.store, registry.blobs, repo, digest)) === undefined) {
        fail('LayersNotFoundException', `The image layer '${digest}' does not exist in the repository with name '${repo}' in the registry with id '${ctx.accountId}'.`);
      }
      const token = deps.tokens.issue({ account: ctx.accountId, expiresAt: ctx.now + DOWNLOAD_URL_LIFETIME_MS, scope: blobScope(repo, digest) });
      return { downloadUrl: `http://${ctx.host}/v2/${repo}/blobs/${digest}?token=${encodeURIComponent(token)}`, layerDigest: digest };
    },

    async InitiateLayerUpload(input: { repositoryName: string }, ctx: RequestContext) {
      const repo = await repoOf(ctx, input.repositoryName);
      const s = await registry.uploads.start(repo, ctx.now);
      return { uploadId: s.id, partSize: UPLOAD_PART_SIZE };
    },

    async UploadLayerPart(input: { repositoryName: string; uploadId: string; partFirstByte: number; partLastByte: number; layerPartBlob: string }, ctx: RequestContext) {
      const repo = await repoOf(ctx, input.repositoryName);
      const s = await session(ctx, repo, input.uploadId);
      const data = Buffer.from(input.layerPartBlob, 'base64');
      if (input.partLastByte - input.partFirstByte + 1 !== data.length) {
        fail('InvalidLayerPartException', `The part is ${data.length} bytes but partFirstByte ${input.partFirstByte} and partLastByte ${input.partLastByte} describe ${input.partLastByte - input.partFirstByte + 1}.`);
      }
      try {
        const offset = await registry.uploads.append(s, Readable.from([data]), { start: input.partFirstByte, end: input.partLastByte });
        return { registryId: ctx.accountId, repositoryName: repo, uploadId: s.id, lastByteReceived: offset - 1 };
      } catch (err) {
        if (err instanceof RegistryError) fail('InvalidLayerPartException', `${err.message}.`);
        throw err;
      }
    },

    async CompleteLayerUpload(input: { repositoryName: string; uploadId: string; layerDigests: string[] }, ctx: RequestContext) {
      const repo = await repoOf(ctx, input.repositoryName);
      const s = await session(ctx, repo, input.uploadId);
      if (input.layerDigests.length !== 1) fail('InvalidParameterException', `Give exactly one layer digest (the digest of all the parts together); ${input.layerDigests.length} were given.`);
      const digest = input.layerDigests[0]!;
      if (!isDigest(digest)) fail('InvalidLayerException', `'${digest}' is not a valid layer digest (sha256: followed by 64 lowercase hex characters).`);
      if ((await registry.uploads.offset(s)) === 0) fail('EmptyUploadException', `The upload ${s.id} has no data; send parts with UploadLayerPart first.`);
      if (await registry.store.get(keys.link(repo, digest))) {
        await registry.uploads.cancel(s);
        fail('LayerAlreadyExistsException', `The image layer '${digest}' already exists in the repository with name '${repo}' in the registry with id '${ctx.accountId}'.`);
      }
      try {
        await registry.uploads.finish(s, digest as Digest, undefined, ctx.now);
      } catch (err) {
        if (err instanceof RegistryError && err.code === 'DIGEST_INVALID') throw new ApiError('InvalidLayerException', `${err.message}.`);
        throw err;
      }
      return { registryId: ctx.accountId, repositoryName: repo, uploadId: s.id, layerDigest: digest };
    },
  };
}
