/** Tag listing (spec "Listing tags"), and the digest → tags view ECR's image APIs need. */

import type { Store } from '../store/store.ts';
import { keys } from './keys.ts';
import type { ManifestRecord, TagRecord } from './records.ts';

/** Page size for scans that read a whole prefix, so no single store call is unbounded. */
export const SCAN_PAGE = 1000;

export interface Page<T> {
  readonly items: T[];
  /** More items follow the last one. */
  readonly more: boolean;
}

/** Tags of `repo` in lexical order, after `last`, at most `n`. */
export async function listTags(store: Store, repo: string, n: number, last: string | undefined): Promise<Page<string>> {
  if (n === 0) return { items: [], more: false };
  const prefix = keys.tags(repo);
  const page = await store.list(prefix, { limit: n, ...(last !== undefined && { after: prefix + last }) });
  return { items: page.items.map((kv) => kv.key.slice(prefix.length)), more: page.more };
}

/** Every tag of the repository grouped by the digest it points at (with revisions for compare-and-set). */
export async function digestsTagged(store: Store, repo: string): Promise<Map<string, { tag: string; modRevision: number }[]>> {
  const prefix = keys.tags(repo);
  const out = new Map<string, { tag: string; modRevision: number }[]>();
  let after: string | undefined;
  for (;;) {
    const page = await store.list(prefix, { limit: SCAN_PAGE, ...(after !== undefined && { after }) });
    for (const kv of page.items) {
      const { digest } = JSON.parse(kv.value) as TagRecord;
      const list = out.get(digest) ?? [];
      list.push({ tag: kv.key.slice(prefix.length), modRevision: kv.modRevision });
      out.set(digest, list);
      after = kv.key;
    }
    if (!page.more) return out;
  }
}

/** An image (a manifest not listed by an index) with its tags, and the revisions a pinned delete needs. */
export interface RepositoryImage {
  readonly digest: string;
  readonly tags: readonly string[];
  /** Epoch milliseconds. */
  readonly pushedAt: number;
  readonly modRevision: number;
  readonly subject?: string;
  readonly tagRevisions: readonly { tag: string; modRevision: number }[];
}

/**
 * Every image of a repository as ECR's lifecycle rules see them: manifests an index lists
 * are left out, since they go with their index.
 */
export async function repositoryImages(store: Store, repo: string): Promise<RepositoryImage[]> {
  const tagged = await digestsTagged(store, repo);
  const images: RepositoryImage[] = [];
  const children = new Set<string>();
  let after: string | undefined;
  for (;;) {
    const page = await store.list(keys.manifests(repo), { limit: SCAN_PAGE, ...(after !== undefined && { after }) });
    for (const kv of page.items) {
      const m = JSON.parse(kv.value) as ManifestRecord;
      for (const c of m.children) children.add(c);
      const tags = tagged.get(m.digest) ?? [];
      images.push({ digest: m.digest, tags: tags.map((t) => t.tag), pushedAt: m.pushedAt, modRevision: kv.modRevision, ...(m.subject !== undefined && { subject: m.subject }), tagRevisions: tags });
      after = kv.key;
    }
    if (!page.more) return images.filter((i) => !children.has(i.digest));
  }
}
