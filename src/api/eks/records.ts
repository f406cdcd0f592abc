/**
 * Reading and writing EKS records as JSON, each write a compare-and-set on what was read.
 */
import { ApiError } from '../../core/errors.ts';
import { decodeToken, encodeToken, pageSize } from '../../core/pagination.ts';
import type { Store } from '../../store/store.ts';

export interface Held<T> {
  readonly value: T;
  readonly modRevision: number;
}

export async function readJson<T>(store: Store, key: string): Promise<Held<T> | undefined> {
  const kv = await store.get(key);
  return kv ? { value: JSON.parse(kv.value) as T, modRevision: kv.modRevision } : undefined;
}

/**
 * Read-modify-write of one record: `change` sees the current value and returns the new
 * one (or throws an ApiError); retried when another write got there first.
 */
export async function updateJson<T>(store: Store, key: string, change: (current: T) => T, missing: () => ApiError): Promise<T> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const held = await readJson<T>(store, key);
    if (!held) throw missing();
    const next = change(held.value);
    const r = await store.txn({ if: [{ key, modRevision: held.modRevision }], ops: [{ type: 'put', key, value: JSON.stringify(next) }] });
    if (r.ok) return next;
  }
  throw new ApiError('ServerException', `The record ${key} kept changing under this request; try again.`);
}

/** Attempts of a read-modify-write before it gives up (each lost race means another write landed). */
const MAX_ATTEMPTS = 10;

/** One page of the names under `prefix` (the last segment of each key), as EKS's List operations page them. */
export async function listNames(store: Store, prefix: string, maxResults: number | undefined, nextToken: string | undefined, max = 100): Promise<{ names: string[]; nextToken?: string }> {
  const limit = pageSize(maxResults, max);
  const after = decodeToken(nextToken, prefix);
  const page = await store.list(prefix, { limit, ...(after !== undefined && { after }) });
  const names = page.items.map((kv) => decodeURIComponent(kv.key.slice(prefix.length)));
  const last = page.items.at(-1);
  return { names, ...(page.more && last && { nextToken: encodeToken(last.key) }) };
}

/** The records under `prefix`, all of them (a cluster's node groups, profiles, entries: bounded by EKS's quotas). */
export async function listJson<T>(store: Store, prefix: string): Promise<Held<T>[]> {
  const page = await store.list(prefix);
  return page.items.map((kv) => ({ value: JSON.parse(kv.value) as T, modRevision: kv.modRevision }));
}

/** One page of the records under `prefix` that `keep` keeps (a page may be short: the filter runs after paging). */
export async function listJsonPage<T>(store: Store, prefix: string, maxResults: number | undefined, nextToken: string | undefined, keep: (v: T) => boolean, max = 100): Promise<{ values: T[]; nextToken?: string }> {
  const limit = pageSize(maxResults, max);
  const after = decodeToken(nextToken, prefix);
  const page = await store.list(prefix, { limit, ...(after !== undefined && { after }) });
  const values = page.items.map((kv) => JSON.parse(kv.value) as T).filter(keep);
  const last = page.items.at(-1);
  return { values, ...(page.more && last && { nextToken: encodeToken(last.key) }) };
}
