/**
 * Repository records and blob links: the store side of "which repositories exist" and
 * "which blobs each one holds". Every read-modify-write is a compare-and-set.
 */

import type { Digest } from '../oci/digest.ts';
import { getJson, type Versioned } from '../store/json.ts';
import type { Store } from '../store/store.ts';
import type { BlobStore } from './blob-store.ts';
import { oci } from './errors.ts';
import { keys } from './keys.ts';
import { newRepoRecord, type BlobLink, type RepoRecord } from './records.ts';

/** Compare-and-set retries before a write gives up: only reached under pathological contention. */
export const CAS_ATTEMPTS = 50;

export function getRepo(store: Store, name: string): Promise<Versioned<RepoRecord> | undefined> {
  return getJson<RepoRecord>(store, keys.repo(name));
}

export async function requireRepo(store: Store, name: string): Promise<Versioned<RepoRecord>> {
  const repo = await getRepo(store, name);
  if (!repo) throw oci('NAME_UNKNOWN', `repository ${name} is not known to this registry: push to it to create it, or create it with 'aws ecr create-repository'`, { name });
  return repo;
}

/** The repository, created with default settings if it does not exist (a push creates it, as with any registry). */
export async function ensureRepo(store: Store, name: string, now: number): Promise<Versioned<RepoRecord>> {
  for (let i = 0; i < CAS_ATTEMPTS; i++) {
    const existing = await getRepo(store, name);
    if (existing) return existing;
    const record = newRepoRecord(name, now);
    const r = await store.txn({ if: [{ key: keys.repo(name), modRevision: 0 }], ops: [{ type: 'put', key: keys.repo(name), value: JSON.stringify(record) }] });
    if (r.ok) return { value: record, modRevision: r.revision };
  }
  throw new Error(`could not create repository ${name}: too much contention`);
}

/** Records that `digest` is part of `repo` (after an upload or a mount); fails if the repo was deleted meanwhile. */
export async function linkBlob(store: Store, repo: string, digest: string, size: number, now: number): Promise<void> {
  for (let i = 0; i < CAS_ATTEMPTS; i++) {
    const r = await requireRepo(store, repo);
    const link: BlobLink = { size, linkedAt: now };
    const res = await store.txn({ if: [{ key: keys.repo(repo), modRevision: r.modRevision }], ops: [{ type: 'put', key: keys.link(repo, digest), value: JSON.stringify(link) }] });
    if (res.ok) return;
  }
  throw new Error(`could not link ${digest} into ${repo}: too much contention`);
}

/** The blob's size if it is in `repo` and on disk; undefined otherwise. */
export async function blobInRepo(store: Store, blobs: BlobStore, repo: string, digest: Digest): Promise<number | undefined> {
  const link = await store.get(keys.link(repo, digest));
  if (!link) return undefined;
  const info = await blobs.stat(digest);
  return info?.size;
}
