/**
 * TagResource, UntagResource, ListTagsForResource on clusters, node groups and Fargate
 * profiles, by ARN. EKS answers a malformed ARN with BadRequestException and one of no
 * resource with NotFoundException (its tagging operations' own exceptions).
 */
import { ApiError } from '../../core/errors.ts';
import { checkTags } from '../../core/eks/cluster.ts';
import { eksKeys } from '../../core/eks/keys.ts';
import type { RequestContext } from '../aws/service.ts';
import { scopeOf, type EksDeps } from './deps.ts';
import { readJson, updateJson } from './records.ts';

interface Tagged {
  readonly tags: Readonly<Record<string, string>>;
}

const TAGGABLE = /^arn:aws:eks:([a-z0-9-]+):(\d{12}):(cluster\/([^/]+)|nodegroup\/([^/]+)\/([^/]+)\/[^/]+|fargateprofile\/([^/]+)\/([^/]+)\/[^/]+)$/;

/** The store key of the resource an ARN names in this account and region. */
function keyOf(ctx: RequestContext, arn: string): string {
  const m = TAGGABLE.exec(arn);
  if (!m) throw new ApiError('BadRequestException', `${arn} is not the ARN of an EKS cluster, node group or Fargate profile.`);
  if (m[1] !== ctx.region || m[2] !== ctx.accountId) throw new ApiError('NotFoundException', `Resource ${arn} was not found in ${ctx.accountId}/${ctx.region}.`);
  const scope = scopeOf(ctx);
  if (m[4] !== undefined) return eksKeys.cluster(scope, m[4]);
  if (m[5] !== undefined) return eksKeys.nodegroup(scope, m[5], m[6]!);
  return eksKeys.fargateProfile(scope, m[7]!, m[8]!);
}

export function tagOperations(deps: EksDeps) {
  const notFound = (arn: string) => () => new ApiError('NotFoundException', `Resource ${arn} was not found.`);
  /** The ARN must be the record's own (a node group ARN carries the record's id). */
  const own = (arn: string, record: unknown): void => {
    const r = record as { arn?: string; nodegroupArn?: string; fargateProfileArn?: string };
    if ((r.arn ?? r.nodegroupArn ?? r.fargateProfileArn) !== arn) throw notFound(arn)();
  };
  return {
    async TagResource(input: { resourceArn: string; tags: Record<string, string> }, ctx: RequestContext) {
      await updateJson<Tagged>(deps.store, keyOf(ctx, input.resourceArn), (r) => {
        own(input.resourceArn, r);
        const tags = { ...r.tags, ...input.tags };
        checkTags(tags);
        return { ...r, tags };
      }, notFound(input.resourceArn));
      return {};
    },
    async UntagResource(input: { resourceArn: string; tagKeys: string[] }, ctx: RequestContext) {
      await updateJson<Tagged>(deps.store, keyOf(ctx, input.resourceArn), (r) => {
        own(input.resourceArn, r);
        return { ...r, tags: Object.fromEntries(Object.entries(r.tags).filter(([k]) => !input.tagKeys.includes(k))) };
      }, notFound(input.resourceArn));
      return {};
    },
    async ListTagsForResource(input: { resourceArn: string }, ctx: RequestContext) {
      const held = await readJson<Tagged>(deps.store, keyOf(ctx, input.resourceArn));
      if (!held) throw notFound(input.resourceArn)();
      own(input.resourceArn, held.value);
      return { tags: held.value.tags };
    },
  };
}
