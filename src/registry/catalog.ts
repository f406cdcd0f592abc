/** The repository catalog (spec "Listing repositories", `/v2/_catalog`). */

import type { Store } from '../store/store.ts';
import { keys } from './keys.ts';
import type { Page } from './tags.ts';

export async function listRepositories(store: Store, n: number, last: string | undefined): Promise<Page<string>> {
  if (n === 0) return { items: [], more: false };
  const prefix = keys.repos();
  const page = await store.list(prefix, { limit: n, ...(last !== undefined && { after: prefix + last }) });
  return { items: page.items.map((kv) => kv.key.slice(prefix.length)), more: page.more };
}
