/** The referrers API (spec "Listing referrers"): manifests whose `subject` is a digest. */

import type { Store } from '../store/store.ts';
import { keys } from './keys.ts';
import type { ReferrerRecord } from './records.ts';
import { SCAN_PAGE } from './tags.ts';

/**
 * Most referrers returned for one subject. The spec allows pagination, but signatures
 * and SBOMs per image number in the tens; past this the answer is cut, never unbounded.
 */
export const MAX_REFERRERS = 10_000;

export async function listReferrers(store: Store, repo: string, subject: string, artifactType: string | undefined): Promise<ReferrerRecord[]> {
  const prefix = keys.referrers(repo, subject);
  const out: ReferrerRecord[] = [];
  let after: string | undefined;
  while (out.length < MAX_REFERRERS) {
    const page = await store.list(prefix, { limit: SCAN_PAGE, ...(after !== undefined && { after }) });
    for (const kv of page.items) {
      const r = JSON.parse(kv.value) as ReferrerRecord;
      if (artifactType === undefined || r.artifactType === artifactType) out.push(r);
      after = kv.key;
    }
    if (!page.more) break;
  }
  return out.slice(0, MAX_REFERRERS);
}
