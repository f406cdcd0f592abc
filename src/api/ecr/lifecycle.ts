/**
 * Lifecycle policies: stored per repository, applied after every push to it (and hourly by
 * the controllers' ecr-lifecycle job, src/controllers/ecr-lifecycle.ts), and previewed on
 * request. The rules themselves are in lifecycle-policy.ts.
 */

import { fail } from '../../core/errors.ts';
import type { Digest } from '../../oci/digest.ts';
import { keys } from '../../registry/keys.ts';
import { deleteManifest } from '../../registry/manifests.ts';
import type { RepoRecord } from '../../registry/records.ts';
import { repositoryImages, SCAN_PAGE } from '../../registry/tags.ts';
import { getJson, updateJson } from '../../store/json.ts';
import type { RequestContext } from '../aws/service.ts';
import { requireEcrRepo, seconds, type EcrDeps } from './deps.ts';
import { evaluatePolicy, parsePolicy, type Expiry } from './lifecycle-policy.ts';

interface PolicyRecord {
  readonly text: string;
  readonly lastEvaluatedAt?: number;
}

interface PreviewRecord {
  readonly text: string;
  readonly results: readonly Expiry[];
}

/** Applies lifecycle policies; concurrent requests for one repository collapse into one more run. */
export function lifecycleRunner(deps: EcrDeps) {
  const { store } = deps;
  const log = deps.log ?? (() => undefined);
  const running = new Map<string, { again: boolean }>();

  async function applyOnce(repo: string): Promise<Expiry[]> {
    const policy = await getJson<PolicyRecord>(store, keys.lifecycle(repo));
    if (!policy) return [];
    const now = deps.registry.now();
    const expired = evaluatePolicy(parsePolicy(policy.value.text), await repositoryImages(store, repo), now);
    for (const e of expired) {
      await deleteManifest(store, repo, { kind: 'digest', digest: e.digest as Digest }).catch(() => undefined);
    }
    await updateJson<PolicyRecord>(store, keys.lifecycle(repo), (p) => ({ ...p, lastEvaluatedAt: now }));
    if (expired.length) log(`lifecycle policy of ${repo} expired ${expired.length} image(s): ${expired.map((e) => e.digest).join(', ')}`);
    return expired;
  }

  async function apply(repo: string): Promise<void> {
    const state = running.get(repo);
    if (state) {
      state.again = true;
      return;
    }
    const mine = { again: true };
    running.set(repo, mine);
    try {
      while (mine.again) {
        mine.again = false;
        await applyOnce(repo);
      }
    } finally {
      running.delete(repo);
    }
  }

  async function applyAll(): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const page = await store.list(keys.repos(), { limit: SCAN_PAGE, ...(after !== undefined && { after }) });
      for (const kv of page.items) {
        after = kv.key;
        const name = (JSON.parse(kv.value) as RepoRecord).name;
        if (await store.get(keys.lifecycle(name))) await apply(name).catch((e: unknown) => log(`lifecycle of ${name} failed: ${String(e)}`));
      }
      if (!page.more) return;
    }
  }

  return { apply, applyAll };
}

export function lifecycleOperations(deps: EcrDeps, runner: ReturnType<typeof lifecycleRunner>) {
  const { store } = deps;
  const repoOf = async (ctx: RequestContext, name: string) => (await requireEcrRepo(deps, ctx, name)).value.name;
  const notFound = (ctx: RequestContext, repo: string): never =>
    fail('LifecyclePolicyNotFoundException', `Lifecycle policy does not exist for the repository with name '${repo}' in the registry with id '${ctx.accountId}'. Set one with 'aws ecr put-lifecycle-policy'.`);

  return {
    async PutLifecyclePolicy(input: { repositoryName: string; lifecyclePolicyText: string }, ctx: RequestContext) {
      const repo = await repoOf(ctx, input.repositoryName);
      parsePolicy(input.lifecyclePolicyText);
      await store.txn({ ops: [{ type: 'put', key: keys.lifecycle(repo), value: JSON.stringify({ text: input.lifecyclePolicyText } satisfies PolicyRecord) }] });
      void runner.apply(repo).catch(() => undefined);
      return { registryId: ctx.accountId, repositoryName: repo, lifecyclePolicyText: input.lifecyclePolicyText };
    },

    async GetLifecyclePolicy(input: { repositoryName: string }, ctx: RequestContext) {
      const repo = await repoOf(ctx, input.repositoryName);
      const p = await getJson<PolicyRecord>(store, keys.lifecycle(repo));
      if (!p) return notFound(ctx, repo);
      return {
        registryId: ctx.accountId, repositoryName: repo, lifecyclePolicyText: p.value.text,
        ...(p.value.lastEvaluatedAt !== undefined && { lastEvaluatedAt: seconds(p.value.lastEvaluatedAt) }),
      };
    },

    async DeleteLifecyclePolicy(input: { repositoryName: string }, ctx: RequestContext) {
      const repo = await repoOf(ctx, input.repositoryName);
      const p = await getJson<PolicyRecord>(store, keys.lifecycle(repo));
      if (!p) return notFound(ctx, repo);
      await store.txn({ if: [{ key: keys.lifecycle(repo), modRevision: p.modRevision }], ops: [{ type: 'delete', key: keys.lifecycle(repo) }, { type: 'delete', key: keys.lifecyclePreview(repo) }] });
      return {
        registryId: ctx.accountId, repositoryName: repo, lifecyclePolicyText: p.value.text,
        ...(p.value.lastEvaluatedAt !== undefined && { lastEvaluatedAt: seconds(p.value.lastEvaluatedAt) }),
      };
    },

    /** Evaluates at once (previews are cheap here), so the preview is COMPLETE as soon as it starts. */
    async StartLifecyclePolicyPreview(input: { repositoryName: string; lifecyclePolicyText?: string }, ctx: RequestContext) {
      const repo = await repoOf(ctx, input.repositoryName);
      const text = input.lifecyclePolicyText ?? (await getJson<PolicyRecord>(store, keys.lifecycle(repo)))?.value.text;
      if (text === undefined) return notFound(ctx, repo);
      const results = evaluatePolicy(parsePolicy(text), await repositoryImages(store, repo), ctx.now);
      await store.txn({ ops: [{ type: 'put', key: keys.lifecyclePreview(repo), value: JSON.stringify({ text, results } satisfies PreviewRecord) }] });
      return { registryId: ctx.accountId, repositoryName: repo, lifecyclePolicyText: text, status: 'COMPLETE' };
    },

    async GetLifecyclePolicyPreview(input: { repositoryName: string; imageIds?: { imageDigest?: string; imageTag?: string }[]; filter?: { tagStatus?: string } }, ctx: RequestContext) {
      const repo = await repoOf(ctx, input.repositoryName);
      const preview = await getJson<PreviewRecord>(store, keys.lifecyclePreview(repo));
      if (!preview) fail('LifecyclePolicyPreviewNotFoundException', `There is no lifecycle policy preview for the repository with name '${repo}'. Start one with 'aws ecr start-lifecycle-policy-preview'.`);
      const status = input.filter?.tagStatus ?? 'ANY';
      const ids = input.imageIds ?? [];
      const results = preview.value.results.filter((r) =>
        (status === 'ANY' || (status === 'TAGGED') === (r.tags.length > 0)) &&
        (ids.length === 0 || ids.some((id) => id.imageDigest === r.digest || (id.imageTag !== undefined && r.tags.includes(id.imageTag)))));
      return {
        registryId: ctx.accountId,
        repositoryName: repo,
        lifecyclePolicyText: preview.value.text,
        status: 'COMPLETE',
        previewResults: results.map((r) => ({
          ...(r.tags.length > 0 && { imageTags: [...r.tags] }),
          imageDigest: r.digest,
          imagePushedAt: seconds(r.pushedAt),
          action: { type: 'EXPIRE' },
          appliedRulePriority: r.rulePriority,
        })),
        summary: { expiringImageTotalCount: preview.value.results.length },
      };
    },
  };
}
