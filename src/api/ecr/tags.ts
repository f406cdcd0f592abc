/** Resource tags of repositories: TagResource, UntagResource, ListTagsForResource. */

import { parseArn } from '../../core/arn.ts';
import { fail } from '../../core/errors.ts';
import { keys } from '../../registry/keys.ts';
import type { RepoRecord } from '../../registry/records.ts';
import { getJson, updateJson } from '../../store/json.ts';
import type { RequestContext } from '../aws/service.ts';
import { checkEcrRepositoryName, repositoryNotFound, type EcrDeps } from './deps.ts';

export interface EcrTag {
  Key: string;
  Value: string;
}

/** ECR tag limits (AWS "Tagging a private repository"): 50 tags, keys 128 and values 256 characters. */
const MAX_TAGS = 50;
const MAX_KEY = 128;
const MAX_VALUE = 256;
/** Letters, numbers, spaces and + - = . _ : / @ in any script. */
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

export function checkTags(tags: readonly EcrTag[], existing: readonly EcrTag[] = []): void {
  const seen = new Set<string>();
  for (const t of tags) {
    if (t.Key.length < 1 || t.Key.length > MAX_KEY) fail('InvalidTagParameterException', `Tag key '${t.Key}' must be 1 to ${MAX_KEY} characters long.`);
    if (t.Value.length > MAX_VALUE) fail('InvalidTagParameterException', `The value of tag '${t.Key}' must be at most ${MAX_VALUE} characters long.`);
    if (!TAG_CHARS.test(t.Key) || !TAG_CHARS.test(t.Value)) fail('InvalidTagParameterException', `Tag '${t.Key}' may only contain letters, numbers, spaces and _ . : / = + - @.`);
    if (/^aws:/i.test(t.Key)) fail('InvalidTagParameterException', `Tag keys beginning with 'aws:' are reserved for AWS use: rename tag '${t.Key}'.`);
    if (seen.has(t.Key)) fail('InvalidTagParameterException', `Tag key '${t.Key}' appears more than once in the request.`);
    seen.add(t.Key);
  }
  const total = new Set([...existing.map((t) => t.Key), ...seen]).size;
  if (total > MAX_TAGS) fail('TooManyTagsException', `A repository can have at most ${MAX_TAGS} tags; this would give it ${total}.`);
}

/** The repository an ARN names: `arn:aws:ecr:<region>:<account>:repository/<name>`. */
function repoOfArn(ctx: RequestContext, resourceArn: string): string {
  const arn = parseArn(resourceArn);
  if (!arn || arn.service !== 'ecr' || !arn.resource.startsWith('repository/')) {
    fail('InvalidParameterException', `'${resourceArn}' is not an Amazon ECR repository ARN (arn:aws:ecr:<region>:<account>:repository/<name>).`);
  }
  if (arn.account !== ctx.accountId) fail('InvalidParameterException', `The repository ${resourceArn} is not in this account (${ctx.accountId}).`);
  return checkEcrRepositoryName(arn.resource.slice('repository/'.length));
}

export function tagOperations({ store }: EcrDeps) {
  const change = async (ctx: RequestContext, resourceArn: string, fn: (tags: readonly EcrTag[]) => EcrTag[]) => {
    const name = repoOfArn(ctx, resourceArn);
    const updated = await updateJson<RepoRecord>(store, keys.repo(name), (r) => ({ ...r, tags: fn(r.tags) }));
    if (!updated) repositoryNotFound(ctx, name);
  };
  return {
    async TagResource(input: { resourceArn: string; tags: EcrTag[] }, ctx: RequestContext) {
      await change(ctx, input.resourceArn, (existing) => {
        checkTags(input.tags, existing);
        const byKey = new Map(existing.map((t) => [t.Key, t]));
        for (const t of input.tags) byKey.set(t.Key, { Key: t.Key, Value: t.Value });
        return [...byKey.values()];
      });
      return {};
    },
    async UntagResource(input: { resourceArn: string; tagKeys: string[] }, ctx: RequestContext) {
      const reserved = input.tagKeys.find((k) => /^aws:/i.test(k));
      if (reserved) fail('InvalidTagParameterException', `Tag keys beginning with 'aws:' are reserved for AWS use and cannot be removed ('${reserved}').`);
      const drop = new Set(input.tagKeys);
      await change(ctx, input.resourceArn, (existing) => existing.filter((t) => !drop.has(t.Key)));
      return {};
    },
    async ListTagsForResource(input: { resourceArn: string }, ctx: RequestContext) {
      const name = repoOfArn(ctx, input.resourceArn);
      const r = await getJson<RepoRecord>(store, keys.repo(name));
      if (!r) repositoryNotFound(ctx, name);
      return { tags: r.value.tags };
    },
  };
}
