import type { KeyValue, Store } from './store.ts';

/** A decoded JSON value with the revision it was read at: what a compare-and-set needs. */
export interface Versioned<T> {
  readonly value: T;
  readonly modRevision: number;
}

export async function getJson<T>(store: Store, key: string): Promise<Versioned<T> | undefined> {
  const kv = await store.get(key);
  return kv && { value: JSON.parse(kv.value) as T, modRevision: kv.modRevision };
}

export async function getManyJson<T>(store: Store, keys: readonly string[]): Promise<(Versioned<T> | undefined)[]> {
  return Promise.all(keys.map((k) => getJson<T>(store, k)));
}

/** Every key under `prefix`, a page of `pageSize` at a time: memory bounded by one page. */
export async function eachKey(store: Store, prefix: string, visit: (kv: KeyValue) => void, pageSize = 1000): Promise<void> {
  let after: string | undefined;
  for (;;) {
    const page = await store.list(prefix, { limit: pageSize, ...(after !== undefined && { after }) });
    for (const kv of page.items) visit(kv);
    if (!page.more) return;
    after = page.items[page.items.length - 1]!.key;
  }
}

/** True when at least one key starts with `prefix`. */
export async function anyUnder(store: Store, prefix: string): Promise<boolean> {
  return (await store.list(prefix, { limit: 1 })).items.length > 0;
}

/** Reads, changes and writes one JSON value with compare-and-set, retrying on conflict. */
export async function updateJson<T>(store: Store, key: string, change: (current: T) => T, attempts = 20): Promise<T | undefined> {
  for (let i = 0; i < attempts; i++) {
    const cur = await getJson<T>(store, key);
    if (!cur) return undefined;
    const next = change(cur.value);
    const r = await store.txn({ if: [{ key, modRevision: cur.modRevision }], ops: [{ type: 'put', key, value: JSON.stringify(next) }] });
    if (r.ok) return next;
  }
  throw new Error(`could not update ${key}: too much contention`);
}
