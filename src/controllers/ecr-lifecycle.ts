/**
 * ECR lifecycle policies as a PeriodicJob: the hourly run that age-based rules need (a push
 * still runs its repository's policy at once: src/api/ecr/lifecycle.ts). The loader reads
 * each repository that has a policy, its images and the revisions of their records; the
 * decision is evaluatePolicy's (pure); each expiry is one transaction deleting the manifest
 * with its tags, pinned to what was read, so an image tagged or re-pushed meanwhile stays.
 */
import { evaluatePolicy, parsePolicy } from '../api/ecr/lifecycle-policy.ts';
import { keys } from '../registry/keys.ts';
import { deleteManifestTxn } from '../registry/manifests.ts';
import type { RepoRecord } from '../registry/records.ts';
import { repositoryImages, SCAN_PAGE, type RepositoryImage } from '../registry/tags.ts';
import type { Store } from '../store/store.ts';
import type { Action, PeriodicJob } from './types.ts';

/** How often every policy is applied even without pushes (age-based rules need a clock): hourly. */
export const LIFECYCLE_INTERVAL_MS = 60 * 60 * 1000;
/**
 * Images loaded by one run at most (a few hundred bytes each). Repositories past it wait
 * for the next run, which resumes after the last one loaded.
 */
export const MAX_IMAGES_PER_RUN = 100_000;

/** An image with the revisions a pinned delete needs (registry/tags.ts). */
export type HeldImage = RepositoryImage;

export interface RepoLifecycle {
  readonly repo: string;
  readonly policyText: string;
  readonly images: readonly HeldImage[];
}

interface PolicyRecord {
  readonly text: string;
  readonly lastEvaluatedAt?: number;
}

export function ecrLifecycleJob({ store, everyMs = LIFECYCLE_INTERVAL_MS, maxImages = MAX_IMAGES_PER_RUN }: { store: Store; everyMs?: number; maxImages?: number }): PeriodicJob<RepoLifecycle[]> {
  /** Where the last run stopped when it hit maxImages (undefined: start at the first repository). */
  let resumeAfter: string | undefined;
  return {
    name: 'ecr-lifecycle',
    everyMs,
    async load() {
      const out: RepoLifecycle[] = [];
      let loaded = 0;
      // From where the last run stopped to the end, then from the start up to there.
      const start = resumeAfter;
      resumeAfter = undefined;
      let after = start;
      let wrapped = start === undefined;
      for (;;) {
        const page = await store.list(keys.repos(), { limit: SCAN_PAGE, ...(after !== undefined && { after }) });
        for (const kv of page.items) {
          if (wrapped && start !== undefined && kv.key > start) return out;
          after = kv.key;
          const repo = (JSON.parse(kv.value) as RepoRecord).name;
          const policy = await store.get(keys.lifecycle(repo));
          if (!policy) continue;
          const images = await repositoryImages(store, repo);
          out.push({ repo, policyText: (JSON.parse(policy.value) as PolicyRecord).text, images });
          loaded += images.length;
          if (loaded >= maxImages) {
            resumeAfter = kv.key;
            return out;
          }
        }
        if (page.more) continue;
        if (wrapped) return out;
        wrapped = true;
        after = undefined;
      }
    },
    reconcile(repos, now) {
      const actions: Action[] = [];
      for (const { repo, policyText, images } of repos) {
        for (const e of evaluatePolicy(parsePolicy(policyText), images, now)) {
          const img = images.find((i) => i.digest === e.digest)!;
          actions.push({
            type: 'txn',
            txn: deleteManifestTxn(repo, { value: { digest: img.digest, ...(img.subject !== undefined && { subject: img.subject }) }, modRevision: img.modRevision }, img.tagRevisions),
            why: `lifecycle policy of ${repo} (rule ${e.rulePriority}) expires ${e.digest}`,
          });
        }
        actions.push({
          type: 'update',
          key: keys.lifecycle(repo),
          why: `lifecycle policy of ${repo} evaluated`,
          // A policy deleted meanwhile stays deleted.
          change: (cur) => cur === undefined ? undefined : { ...(cur as PolicyRecord), lastEvaluatedAt: now },
        });
      }
      return { actions };
    },
  };
}
