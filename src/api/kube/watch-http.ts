/**
 * A watch over HTTP: newline-delimited JSON events on a chunked response, objects as Tables
 * when the client asked for them (kubectl get -w). Bounded: at most MAX_WATCHERS per server,
 * and a watcher whose unsent bytes pass MAX_WATCH_BUFFERED_BYTES gets an ERROR event and is
 * closed (it relists), so a slow client never grows the server's memory.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { ResourceRoute } from './route.ts';
import { listOptionsOf } from './rest.ts';
import { StatusError, badRequest } from './status.ts';
import type { StorageBackend } from './storage-backend.ts';
import { representationOf, toPartial, toTable, type IncludeObject } from './table.ts';
import type { OutEvent } from './storage-backend.ts';
import type { Obj } from './kind-rules.ts';

/** Watches open at once per server: each holds a store watch and a socket. */
export const MAX_WATCHERS = 1000;
/** Unsent bytes a watcher may have queued before it is dropped: a few thousand events. */
export const MAX_WATCH_BUFFERED_BYTES = 8 * 1024 * 1024;
/** A watch's lifetime when the client names none (the server's --min-request-timeout, 1800 s). */
export const DEFAULT_WATCH_TIMEOUT_S = 1800;

export class WatcherCount {
  readonly #open = new Set<() => void>();
  get size(): number {
    return this.#open.size;
  }
  add(close: () => void): void {
    this.#open.add(close);
  }
  delete(close: () => void): void {
    this.#open.delete(close);
  }
  closeAll(): void {
    for (const c of [...this.#open]) c();
  }
}

export interface WatchHttpDeps {
  readonly storage: StorageBackend;
  readonly now: () => number;
  readonly watchers: WatcherCount;
}

export async function serveWatch(deps: WatchHttpDeps, route: ResourceRoute, q: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (deps.watchers.size >= MAX_WATCHERS) throw new StatusError(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds: 1 });
  const list = listOptionsOf(route.kind, q);
  const sendInitialEvents = q.get('sendInitialEvents') === 'true';
  if (sendInitialEvents && q.get('resourceVersionMatch') !== 'NotOlderThan') {
    throw badRequest('resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
  }
  const timeout = Number(q.get('timeoutSeconds') ?? DEFAULT_WATCH_TIMEOUT_S);
  const as = representationOf(req.headers.accept);
  const include = (q.get('includeObject') ?? 'Metadata') as IncludeObject;
  const contentType = as === 'table' ? 'application/json;as=Table;v=v1;g=meta.k8s.io' : as === 'metadata' ? 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io' : 'application/json';
  let closed = false;
  let stop: (() => void) | undefined;
  const finish = (): void => {
    if (closed) return;
    closed = true;
    stop?.();
    deps.watchers.delete(finish);
    clearTimeout(timer);
    res.end();
  };
  const shape = (e: OutEvent): object => {
    if (e.type === 'ERROR' || e.type === 'BOOKMARK' || as === 'object') return e;
    if (as === 'metadata') return { type: e.type, object: toPartial(e.object) };
    return { type: e.type, object: toTable(route.kind, [e.object as Obj], include, deps.now(), { resourceVersion: e.object.metadata.resourceVersion }) };
  };
  const write = (e: OutEvent): void => {
    if (closed) return;
    if (res.writableLength > MAX_WATCH_BUFFERED_BYTES) {
      res.write(`${JSON.stringify({ type: 'ERROR', object: new StatusError(410, 'Expired', 'watch dropped: the client did not keep up with its events; list again and watch from the list').toStatus() })}\n`);
      finish();
      return;
    }
    if (as === 'object' && e.type !== 'ERROR' && e.type !== 'BOOKMARK' && e.raw !== undefined) res.write(typeof e.raw === 'string' ? `{"type":"${e.type}","object":${e.raw}}\n` : eventLine(e.type, e.raw));
    else res.write(`${JSON.stringify(shape(e))}\n`);
  };
  deps.watchers.add(finish);
  const timer = setTimeout(finish, Math.max(1, timeout) * 1000);
  // No Transfer-Encoding: HTTP/1.1 chunks a response without a length by itself, and h2 forbids the header.
  res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-cache, private', 'Audit-Id': randomUUID() });
  res.flushHeaders();
  if (req.httpVersionMajor === 1) req.socket.setNoDelay(true);
  res.on('close', finish);
  try {
    stop = await deps.storage.watch({
      kind: route.kind, namespace: route.namespace, labels: list.labels, fields: list.fields,
      resourceVersion: q.get('resourceVersion') ?? undefined, sendInitialEvents, allowBookmarks: q.get('allowWatchBookmarks') === 'true',
    }, write);
    if (closed) stop();
  } catch (err) {
    const status = err instanceof StatusError ? err : new StatusError(500, 'InternalError', `Internal error occurred: ${(err as Error).message}`);
    write({ type: 'ERROR', object: status.toStatus() });
    finish();
  }
}

/**
 * Event lines made around kept answers, by the answer's bytes: every watcher of an event is
 * handed the same answer Buffer, so the first makes the line and the other 99 write it as it
 * is. Bounded by the answers themselves (a WeakMap: a line goes when its answer does).
 */
const lines = new WeakMap<Buffer, { readonly type: string; readonly line: Buffer }>();

/** A watch event's line around an object's JSON bytes (a pod's kept answer): one copy, no UTF-8 decode and encode, shared by the event's watchers. */
function eventLine(type: string, raw: Buffer): Buffer {
  const kept = lines.get(raw);
  if (kept?.type === type) return kept.line;
  const head = `{"type":"${type}","object":`;
  const out = Buffer.allocUnsafe(head.length + raw.length + 2);
  out.write(head, 0, 'latin1');
  raw.copy(out, head.length);
  out.write('}\n', head.length + raw.length, 'latin1');
  lines.set(raw, { type, line: out });
  return out;
}
