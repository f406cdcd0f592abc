/**
 * A watch of one kind (in one namespace or all), from the store's watch of its key range:
 * ADDED (a key's first version), MODIFIED, DELETED (the object's last state, from the
 * `~deleted` key written in the same transaction, at the deleting revision), BOOKMARK, ERROR
 * (410 Expired when the revision asked for is compacted). Selectors filter events by the
 * object's new state.
 */
import { CompactedError, type Store, type WatchEvent } from '../../store/store.ts';
import { matchesFields, matchesLabels } from '../../core/kube/selectors.ts';
import { apiVersionOf } from './kinds.ts';
import type { Obj } from './kind-rules.ts';
import { isTombstone, listPrefix } from './keys.ts';
import { decode, withResourceVersion } from './stored-object.ts';
import type { OutEvent, StorageBackend, WatchRequest } from './storage-backend.ts';
import { gone } from './status.ts';

/** How often an idle watch that allows bookmarks gets one (the real server: about every minute). */
export const BOOKMARK_INTERVAL_MS = 60_000;

export interface WatchDeps {
  readonly store: Store;
  readonly clusterUid: string;
  readonly storage: StorageBackend;
}

/** Starts a watch; `send` gets every event in order. Resolves to its `close`. */
export async function startWatch(deps: WatchDeps, req: WatchRequest, send: (e: OutEvent) => void): Promise<() => void> {
  const { kind } = req;
  const matches = (o: Obj): boolean => matchesLabels(req.labels, o.metadata.labels) && matchesFields(req.fields, o);
  const bookmark = (rv: number, initialEnd = false): OutEvent => ({
    type: 'BOOKMARK',
    object: { kind: kind.kind, apiVersion: apiVersionOf(kind), metadata: { resourceVersion: String(rv), ...(initialEnd && { annotations: { 'k8s.io/initial-events-end': 'true' } }) } },
  });
  let from: number;
  const initial = req.sendInitialEvents || req.resourceVersion === undefined || req.resourceVersion === '' || req.resourceVersion === '0';
  // With a selector, an object that starts or stops matching is ADDED or DELETED for this
  // watcher, as the server's watch cache tells them apart: the keys matching now are tracked.
  const selective = req.labels.length > 0 || req.fields.length > 0;
  const inside = new Set<string>();
  const nameKey = (o: Obj): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
  if (initial || selective) {
    const page = await deps.storage.list(kind, req.namespace, { labels: req.labels, fields: req.fields, limit: 0, continueToken: undefined });
    if (selective) for (const o of page.items) inside.add(nameKey(o));
    if (initial) for (const o of page.items) send({ type: 'ADDED', object: o });
    from = Number(page.resourceVersion);
    if (req.sendInitialEvents && req.allowBookmarks) send(bookmark(from, true));
  } else from = 0;
  if (!initial) {
    from = Number(req.resourceVersion);
    if (!Number.isSafeInteger(from) || from < 0) {
      send({ type: 'ERROR', object: gone(`too old resource version: ${req.resourceVersion}`).toStatus() });
      return () => undefined;
    }
  }
  let last = from;
  let tombstone: { revision: number; value: string } | undefined;
  const onEvent = (e: WatchEvent): void => {
    last = e.revision;
    if (isTombstone(e.kv.key)) {
      if (e.type === 'put') tombstone = { revision: e.revision, value: e.kv.value };
      return;
    }
    if (e.type === 'delete') {
      const o = tombstone?.revision === e.revision ? decode(tombstone.value, e.revision) : undefined;
      tombstone = undefined;
      if (o && (selective ? inside.delete(nameKey(o)) : matches(o))) send({ type: 'DELETED', object: o });
      return;
    }
    if (!selective) {
      // Decoded only if someone reads it (a Table, a view): a plain watch writes the stored string.
      const { value, modRevision } = e.kv;
      let parsed: Obj | undefined;
      send({
        type: e.kv.version === 1 ? 'ADDED' : 'MODIFIED',
        get object(): Obj {
          return (parsed ??= decode(value, modRevision));
        },
        get raw(): string {
          return withResourceVersion(value, modRevision);
        },
      });
      return;
    }
    const o = decode(e.kv.value, e.kv.modRevision);
    const key = nameKey(o);
    const was = inside.has(key);
    const now = matches(o);
    if (now) inside.add(key);
    else inside.delete(key);
    if (now) send({ type: was && e.kv.version !== 1 ? 'MODIFIED' : 'ADDED', object: o });
    else if (was) send({ type: 'DELETED', object: o });
  };
  let watch: { close(): void };
  try {
    watch = deps.store.watch(listPrefix(deps.clusterUid, kind, req.namespace), from, onEvent);
  } catch (err) {
    if (!(err instanceof CompactedError)) throw err;
    send({ type: 'ERROR', object: gone(`too old resource version: ${from} (${err.compactRevision + 1})`).toStatus() });
    return () => undefined;
  }
  const timer = req.allowBookmarks ? setInterval(() => send(bookmark(last)), BOOKMARK_INTERVAL_MS) : undefined;
  timer?.unref();
  return () => {
    if (timer) clearInterval(timer);
    watch.close();
  };
}
