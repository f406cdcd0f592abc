/**
 * What `POST /_berth/reset` deletes: every key but those under the prefixes it must keep.
 * The identity key (/berth/identity/) is kept: running control planes hold it in memory and
 * every running task's credentials are sealed with it, so a reset that made a new one would
 * leave two control planes disagreeing and every task's credentials refused after a restart.
 *
 * The store has no "delete all but" operation, and one transaction may not both delete a
 * prefix and put a key back inside it (etcd refuses overlapping operations), so the kept
 * prefixes are stepped round: the keys are walked one path segment at a time (one `list`
 * of one key per segment, never a read of the values), and every segment that holds no kept
 * prefix is deleted whole with `deletePrefix`.
 */
import type { Op, Store } from '../store/store.ts';

/** Prefixes a reset keeps. */
export const RESET_KEEPS: readonly string[] = ['/berth/identity/'];
/** Segments visited at most per reset: far more than Berth's key layout has at the levels walked. */
const MAX_SEGMENTS = 100_000;
/** After every key of a segment: Berth's keys are ASCII, far below this code unit. */
const AFTER_ALL = '\uffff';

/** The delete operations that empty the store except under `keep`. */
export async function resetOps(store: Store, keep: readonly string[] = RESET_KEEPS): Promise<Op[]> {
  const ops: Op[] = [];
  let visited = 0;
  const walk = async (prefix: string): Promise<void> => {
    let after: string | undefined;
    for (;;) {
      if (++visited > MAX_SEGMENTS) throw new Error(`reset: more than ${MAX_SEGMENTS} key segments under ${prefix || '/'}`);
      const page = await store.list(prefix, { limit: 1, ...(after !== undefined && { after }) });
      const key = page.items[0]?.key;
      if (key === undefined) return;
      // The next segment: up to and including the next '/' after the prefix, or the whole key.
      const slash = key.indexOf('/', prefix.length + (prefix === '' ? 1 : 0));
      const segment = slash < 0 ? key : key.slice(0, slash + 1);
      if (keep.some((k) => k.startsWith(segment) && k !== segment)) await walk(segment);
      else if (keep.some((k) => segment.startsWith(k))) { /* kept whole */ } else if (slash < 0) ops.push({ type: 'delete', key: segment });
      else ops.push({ type: 'deletePrefix', prefix: segment });
      after = slash < 0 ? segment : segment + AFTER_ALL;
    }
  };
  await walk('');
  return ops;
}
