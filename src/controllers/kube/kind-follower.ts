/**
 * Follows one kind kept outside the cluster's keys (pods as tasks, nodes as container
 * instances) through its own StorageBackend, as an informer does: list, then watch from the
 * list's resourceVersion; when the watch ends in an ERROR (410 Expired: the backend no longer
 * has that history) or the list fails, it lists again RELIST_DELAY_MS later and goes on from
 * there. Each listing is handed over whole (`onList`), so whoever keeps a cache of the kind
 * replaces it and forgets what vanished while the watch was down. Works over any backend:
 * it uses nothing but the StorageBackend contract.
 */
import type { KindInfo } from '../../api/kube/kinds.ts';
import type { Obj } from '../../api/kube/kind-rules.ts';
import type { StorageBackend } from '../../api/kube/storage-backend.ts';

/** Pause before listing again after a failed list or a watch that ended: one retry a second, as a reflector's backoff starts. */
export const RELIST_DELAY_MS = 1000;

export interface KindFollowerDeps {
  readonly backend: StorageBackend;
  readonly kind: KindInfo;
  /** The kind's whole state, at the start and after each relist. */
  readonly onList: (items: readonly Obj[]) => void;
  readonly onEvent: (type: 'ADDED' | 'MODIFIED' | 'DELETED', object: Obj) => void;
  /** Why the follower lists again (a 410, a failed list). */
  readonly log: (message: string) => void;
}

/** Starts following; resolves (after the first listing, or its failure) to the follower's `close`. */
export async function followKind(d: KindFollowerDeps): Promise<() => void> {
  let closed = false;
  // Each start is one generation: events of an older watch, arriving late, are dropped.
  let generation = 0;
  let stop: (() => void) | undefined;
  let retry: NodeJS.Timeout | undefined;

  const again = (why: string): void => {
    stop?.();
    stop = undefined;
    generation++;
    if (closed || retry) return;
    d.log(`${d.kind.plural}: ${why}; listing again in ${RELIST_DELAY_MS} ms`);
    retry = setTimeout(() => {
      retry = undefined;
      void start();
    }, RELIST_DELAY_MS);
    retry.unref();
  };

  const start = async (): Promise<void> => {
    const mine = ++generation;
    try {
      const page = await d.backend.list(d.kind, undefined, { labels: [], fields: [], limit: 0, continueToken: undefined });
      if (closed || mine !== generation) return;
      d.onList(page.items);
      const close = await d.backend.watch({
        kind: d.kind, namespace: undefined, labels: [], fields: [], resourceVersion: page.resourceVersion, sendInitialEvents: false, allowBookmarks: false,
      }, (e) => {
        if (closed || mine !== generation) return;
        if (e.type === 'ERROR') again(`watch ended: ${e.object.message ?? e.object.reason ?? 'error'}`);
        else if (e.type !== 'BOOKMARK') d.onEvent(e.type, e.object);
      });
      if (closed || mine !== generation) close();
      else stop = close;
    } catch (err) {
      if (mine === generation) again(`list or watch failed: ${(err as Error).message}`);
    }
  };

  await start();
  return () => {
    closed = true;
    if (retry) clearTimeout(retry);
    stop?.();
    stop = undefined;
  };
}
