/**
 * A watch of one kind (in one namespace or all), from the store's watch of its key range:
 * ADDED (a key's first version), MODIFIED, DELETED (the object's last state, from the
 * `~deleted` key written in the same transaction, at the deleting revision), BOOKMARK, ERROR
 * (410 Expired when the revision asked for is compacted). Selectors filter events by the
 * object's new state.
 */
import { CompactedError, type Store, type WatchEvent } from '../../store/store.ts';
import { matchesFields, matchesLabels } from '../../core/kube/selectors.ts';
import { apiVersionOf, type KindInfo } from './kinds.ts';
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

/** A BOOKMARK at `rv`; `initialEnd` marks the end of the initial events (sendInitialEvents). */
export function bookmark(kind: KindInfo, rv: number, initialEnd = false): OutEvent {
  return {
    type: 'BOOKMARK',
    object: { kind: kind.kind, apiVersion: apiVersionOf(kind), metadata: { resourceVersion: String(rv), ...(initialEnd && { annotations: { 'k8s.io/initial-events-end': 'true' } }) } },
  };
}

/** Whether a watch starts with the current state as ADDED events (no resourceVersion, '0', or sendInitialEvents). */
export const startsWithState = (req: WatchRequest): boolean => req.sendInitialEvents || req.resourceVersion === undefined || req.resourceVersion === '' || req.resourceVersion === '0';

/** The revision a watch from `resourceVersion` resumes after, or undefined (send {@link tooOld}) when it is no revision. */
export function resumeRevision(resourceVersion: string | undefined): number | undefined {
  const from = Number(resourceVersion);
  return Number.isSafeInteger(from) && from >= 0 ? from : undefined;
}

/**
 * Where a watch goes on from: after the state it listed (`listed`) when it started with it,
 * else after the client's resourceVersion. Undefined once the client has been told that
 * resourceVersion is no revision (the watch then ends).
 */
export function startRevision(req: WatchRequest, initial: boolean, listed: number, send: (e: OutEvent) => void): number | undefined {
  if (initial) return listed;
  const resume = resumeRevision(req.resourceVersion);
  if (resume === undefined) send(tooOld(String(req.resourceVersion)));
  return resume;
}

/** The ERROR event of a watch from a revision the store no longer has (410 Expired: the client lists again). */
export function tooOld(resourceVersion: string | number, compacted?: CompactedError): OutEvent {
  const message = compacted ? `too old resource version: ${resourceVersion} (${compacted.compactRevision + 1})` : `too old resource version: ${resourceVersion}`;
  return { type: 'ERROR', object: gone(message).toStatus() };
}

/**
 * Opens a watch from `from` (`open`, over whatever the kind is kept in); when the store has
 * compacted past `from`, sends the 410 instead and answers undefined (the watch has ended).
 */
export function openFrom(from: number, open: () => { close(): void }, send: (e: OutEvent) => void): { close(): void } | undefined {
  try {
    return open();
  } catch (err) {
    if (!(err instanceof CompactedError)) throw err;
    send(tooOld(from, err));
    return undefined;
  }
}

/** Sends a BOOKMARK at `last()` every BOOKMARK_INTERVAL_MS while the watch allows them; returns its stop. */
export function bookmarkEvery(req: WatchRequest, last: () => number, send: (e: OutEvent) => void): () => void {
  if (!req.allowBookmarks) return () => undefined;
  const timer = setInterval(() => send(bookmark(req.kind, last())), BOOKMARK_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** Starts a watch; `send` gets every event in order. Resolves to its `close`. */
export async function startWatch(deps: WatchDeps, req: WatchRequest, send: (e: OutEvent) => void): Promise<() => void> {
  const { kind } = req;
  const matches = (o: Obj): boolean => matchesLabels(req.labels, o.metadata.labels) && matchesFields(req.fields, o);
  let from: number;
  const initial = startsWithState(req);
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
    if (req.sendInitialEvents && req.allowBookmarks) send(bookmark(kind, from, true));
  } else from = 0;
  const start = startRevision(req, initial, from, send);
  if (start === undefined) return () => undefined;
  from = start;
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
  const watch = openFrom(from, () => deps.store.watch(listPrefix(deps.clusterUid, kind, req.namespace), from, onEvent), send);
  if (!watch) return () => undefined;
  const stopBookmarks = bookmarkEvery(req, () => last, send);
  return () => {
    stopBookmarks();
    watch.close();
  };
}
