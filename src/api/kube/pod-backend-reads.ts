/**
 * Reading pods: a page of a cluster's pods in namespace and name order (the name keys'
 * order, so limit/continue work as the generic list's), and a watch that follows the pods'
 * tasks. One store watch over the task halves of the account and region
 * (task-store.ts taskHalvesPrefix) sees a pod's spec writes (the API's, the scheduler's) and
 * its status writes (its agent's reports) in commit order; each changes the Pod:
 *
 *   spec put, first version ───────────────▶ ADDED (once its status, same transaction, is in)
 *   spec or status put ────────────────────▶ MODIFIED (one event per transaction and pod)
 *   spec deleted, or no longer a pod of it ▶ DELETED with the last object sent
 *   selector stops / starts matching ──────▶ DELETED / ADDED, as the server's watch cache
 */
import type { KeyValue, WatchEvent } from '../../store/store.ts';
import { matchesFields, matchesLabels } from '../../core/kube/selectors.ts';
import { POD_ECS_CLUSTER, podNamesPrefix } from '../../core/kube/pod/hosting.ts';
import { readTaskAt, taskHalfOfKey, taskHalvesPrefix, type ValueParser } from '../../core/workload/task-store.ts';
import type { WatchListings } from './pod-watch-share.ts';
import type { TaskSpec } from '../../core/workload/spec.ts';
import type { TaskStatus } from '../../core/workload/status.ts';
import { fargatePodNode, isFargatePod } from '../../core/kube/fargate-node.ts';
import type { PodNode } from '../../core/kube/pod/status-view.ts';
import { decodeContinue, encodeContinue } from './continue-token.ts';
import { LIST_READ_PAGE } from './generic-storage.ts';
import type { Obj } from './kind-rules.ts';
import { holdTask, podObject, scopeOf, type HeldPod, type NameEntry, type PodBackendDeps } from './pod-backend-names.ts';
import type { KeptPods, PodAnswers } from './pod-answers.ts';
import { badRequest, gone } from './status.ts';
import type { ListOptions, OutEvent, WatchRequest } from './storage-backend.ts';
import { bookmark, bookmarkEvery, startRevision, openFrom, startsWithState } from './watch.ts';

const EXPIRED_CONTINUE = 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

const plainParse: ValueParser = (_key, value) => JSON.parse(value);

/** Whether a pod matches a list's or watch's selectors; an unscheduled pod's spec.nodeName is "" (`spec.nodeName=` finds them). */
export function selectsPod(options: Pick<ListOptions, 'labels' | 'fields'>, o: Obj): boolean {
  return matchesLabels(options.labels, o.metadata.labels) && matchesFields(options.fields, o);
}

export interface PodPage {
  readonly entries: { held: HeldPod; object: Obj }[];
  readonly resourceVersion: string;
  readonly continueToken: string | undefined;
}

/**
 * A page of the cluster's pods (in `namespace`, or all) matching the selectors, in namespace and name order.
 * `parse`: the backend's shared parser, `kept`: its kept Pod objects, frozen (the controllers
 * list every pod on every pass: a pod unchanged since is neither parsed nor viewed again).
 */
export async function listPods(d: PodBackendDeps, namespace: string | undefined, options: ListOptions, parse: ValueParser = plainParse, kept?: KeptPods): Promise<PodPage> {
  const page = await pagePods(d, namespace, options, async (kv) => {
    const held = await holdTask(d, kv.key, kv.modRevision, await readTaskAt(d.store, (JSON.parse(kv.value) as NameEntry).task, parse));
    if (!held) return undefined;
    const object = kept ? kept.objectOf(held) : podObject(held);
    return selectsPod(options, object) ? { held, object } : undefined;
  });
  return { entries: page.items, resourceVersion: page.resourceVersion, continueToken: page.continueToken };
}

/**
 * A page of what `take` makes of each name key under the cluster's (or namespace's) prefix,
 * skipping those it makes nothing of: limit and continue as the generic list's.
 */
export async function pagePods<T>(d: PodBackendDeps, namespace: string | undefined, options: Pick<ListOptions, 'limit' | 'continueToken'>, take: (nameKey: KeyValue) => Promise<T | undefined>): Promise<{ items: T[]; resourceVersion: string; continueToken: string | undefined }> {
  const prefix = podNamesPrefix(d.cluster.uid, namespace);
  let after: string | undefined;
  let revision: number | undefined;
  if (options.continueToken !== undefined) {
    const token = decodeContinue(options.continueToken, d.now());
    if (token === 'expired') throw gone(EXPIRED_CONTINUE);
    if (token === undefined || !token.key.startsWith(prefix)) throw badRequest('continue key is not valid: the continue token does not match this list');
    after = token.key;
    revision = token.revision;
  }
  const want = options.limit > 0 ? options.limit : Infinity;
  const items: T[] = [];
  for (;;) {
    const page = await d.store.list(prefix, { limit: LIST_READ_PAGE, ...(after !== undefined && { after }) });
    revision ??= page.revision;
    for (const [i, kv] of page.items.entries()) {
      after = kv.key;
      const item = await take(kv);
      if (item === undefined) continue;
      items.push(item);
      if (items.length >= want) {
        const more = page.more || i < page.items.length - 1;
        return { items, resourceVersion: String(revision), continueToken: more ? encodeContinue(revision, kv.key, d.now()) : undefined };
      }
    }
    if (!page.more) return { items, resourceVersion: String(revision), continueToken: undefined };
  }
}

/** A pod on Fargate capacity as read: its node is a view of it (core/kube/fargate-node.ts). */
export interface FargatePod {
  readonly spec: TaskSpec;
  readonly status: TaskStatus;
  /** The pod's resourceVersion (the later of its halves' revisions): its node's. */
  readonly revision: number;
  /** Its task's key and spec revision: what a write of its node's labels is compared with. */
  readonly task: { readonly key: string; readonly specRevision: number };
}

/** The cluster's pods placed on Fargate capacity (a read of every pod: bounded by the cluster's pods). */
export async function fargatePods(d: PodBackendDeps): Promise<FargatePod[]> {
  const { entries } = await listPods(d, undefined, { labels: [], fields: [], limit: 0, continueToken: undefined });
  return entries.filter((e) => isFargatePod(e.held.spec))
    .map((e) => ({ spec: e.held.spec, status: e.held.status, revision: Math.max(e.held.task.specRevision, e.held.task.statusRevision), task: { key: e.held.task.key, specRevision: e.held.task.specRevision } }));
}

/** A pod a watch follows: its task's key and both halves as last seen (the pods watch here, the Fargate nodes' in fargate-pod-watch.ts). */
export interface FollowedHalves {
  readonly key: string;
  spec: TaskSpec;
  specRevision: number;
  status: TaskStatus | undefined;
  statusRevision: number;
}

/** A pod the pods watch follows, with the object last sent (undefined: not inside the watch; made when asked). */
interface Followed extends FollowedHalves {
  sent: (() => Obj) | undefined;
}

/**
 * Starts a watch of the cluster's pods. The pods it follows (every pod of the namespace or
 * cluster, to pair a status write with its spec) are held in memory while it runs: bounded by
 * the cluster's pods, one spec and status each.
 */

/** What a backend's watches share: the halves' parser and the listing they start from (pod-watch-share.ts). */
export interface WatchShare {
  readonly parse: ValueParser;
  readonly listings: WatchListings<HeldPod>;
}

export async function watchPods(d: PodBackendDeps, req: WatchRequest, send: (e: OutEvent) => void, answers?: PodAnswers, share?: WatchShare): Promise<() => void> {
  const parse = share?.parse ?? plainParse;
  const uid = d.cluster.uid;
  // Without selectors every pod is inside: an event whose answer is kept (another watcher's) makes no object at all.
  const plain = req.labels.length === 0 && req.fields.length === 0;
  const followed = new Map<string, Followed>();
  const initial = startsWithState(req);
  // Every pod of the watch's range, matching or not: a later write may make one match.
  // Without selectors and without the initial state no object is made here (100 watchers of 1,000 pods opened at once).
  const listAll = () => pagePods(d, req.namespace, { limit: 0, continueToken: undefined }, async (kv) => holdTask(d, kv.key, kv.modRevision, await readTaskAt(d.store, (JSON.parse(kv.value) as NameEntry).task, parse)));
  // Watches opened while nothing was written start from one listing (held pods are read, never changed).
  const all = share ? await share.listings.of(podNamesPrefix(uid, req.namespace), () => d.store.revision(), listAll) : await listAll();
  for (const held of all.items) {
    let made: Obj | undefined;
    const object = (): Obj => (made ??= podObject(held));
    const inside = plain || selectsPod(req, object());
    followed.set(held.spec.id, { key: held.task.key, spec: held.spec, specRevision: held.task.specRevision, status: held.status, statusRevision: held.task.statusRevision, sent: inside ? object : undefined });
    if (inside && initial) send({ type: 'ADDED', object: object() });
  }
  const listed = Number(all.resourceVersion);
  if (req.sendInitialEvents && req.allowBookmarks) send(bookmark(req.kind, listed, true));
  const from = startRevision(req, initial, listed, send);
  if (from === undefined) return () => undefined;
  let last = from;
  // The pods a transaction changed, sent once it is over (its events come one after another, at one revision).
  const dirty = new Map<string, { added: boolean; removedAt?: number }>();
  let dirtyRevision = 0;
  let flushQueued = false;
  // Node names by instance ARN (an instance's name never changes): bounded by the cluster's hosts.
  const nodes = new Map<string, PodNode | undefined>();
  const nodeFor = async (spec: TaskSpec, status: TaskStatus): Promise<PodNode | undefined> => {
    // A Fargate pod's node is its own, named by its address (no host record to read).
    if (isFargatePod(spec)) return fargatePodNode(spec, status, d.cluster.region);
    const arn = spec.placement.instanceArn;
    if (arn === undefined || !d.nodeOf) return undefined;
    // A read that fails shows no node for now (the next event of the pod reads again).
    if (!nodes.has(arn)) {
      const node = await d.nodeOf(arn).catch(() => undefined);
      if (!node) return undefined;
      nodes.set(arn, node);
    }
    return nodes.get(arn);
  };
  // Events go out in commit order: each transaction's after the one before (a node name may need a read).
  let sending: Promise<void> = Promise.resolve();
  let closed = false;
  const flush = (): void => {
    flushQueued = false;
    const changes = [...dirty].map(([id, change]) => {
      const f = followed.get(id);
      return { id, change, f, spec: f?.spec, status: f?.status, specRevision: f?.specRevision ?? 0, statusRevision: f?.statusRevision ?? 0 };
    });
    dirty.clear();
    for (const c of changes) if (c.change.removedAt !== undefined) followed.delete(c.id);
    sending = sending.then(async () => {
      for (const { change, f, spec, status, specRevision, statusRevision } of changes) {
        if (!f || !spec || closed) continue;
        if (change.removedAt !== undefined) {
          const last = f.sent?.();
          if (last) send({ type: 'DELETED', object: { ...last, metadata: { ...last.metadata, resourceVersion: String(change.removedAt) } } });
          f.sent = undefined;
          continue;
        }
        if (!status) continue;
        const held = { spec, status, node: await nodeFor(spec, status), task: { key: f.key, specRevision, statusRevision } as HeldPod['task'] };
        if (closed) return;
        let made: Obj | undefined;
        const object = (): Obj => (made ??= podObject(held));
        const inside = plain || selectsPod(req, object());
        if (inside) {
          const raw = answers && (answers.kept(f.key, held.task) ?? answers.answerOf(held, object()));
          send({ type: f.sent && !change.added ? 'MODIFIED' : 'ADDED', get object(): Obj { return object(); }, ...(raw && { raw }) });
        } else if (f.sent) send({ type: 'DELETED', object: object() });
        f.sent = inside ? object : undefined;
      }
    }).catch(() => undefined);
  };
  const mark = (id: string, revision: number, change: { added?: boolean; removedAt?: number }): void => {
    if (dirty.size > 0 && revision !== dirtyRevision) flush();
    dirtyRevision = revision;
    const was = dirty.get(id);
    dirty.set(id, { added: (was?.added ?? false) || (change.added ?? false), ...(change.removedAt !== undefined && { removedAt: change.removedAt }) });
    if (!flushQueued) {
      flushQueued = true;
      queueMicrotask(flush);
    }
  };
  const onEvent = (e: WatchEvent): void => {
    last = e.revision;
    const at = taskHalfOfKey(e.kv.key);
    if (!at || at.ref.cluster !== POD_ECS_CLUSTER) return;
    const id = at.ref.id;
    const f = followed.get(id);
    if (at.half === 'status') {
      if (!f || e.type === 'delete') return;
      f.status = parse(e.kv.key, e.kv.value) as TaskStatus;
      f.statusRevision = e.kv.modRevision;
      mark(id, e.revision, {});
      return;
    }
    // A spec of another cluster's pod, or an ECS task's, is not parsed.
    const spec = e.type === 'put' && e.kv.value.includes(uid) ? parse(e.kv.key, e.kv.value) as TaskSpec : undefined;
    const ours = spec?.kube?.clusterUid === uid && (req.namespace === undefined || spec.kube.namespace === req.namespace);
    if (!ours) {
      // Deleted, or no longer a pod of this cluster (a forced delete leaves its task to stop as an ECS task).
      if (f) mark(id, e.revision, { removedAt: e.revision });
      return;
    }
    if (f) {
      f.spec = spec;
      f.specRevision = e.kv.modRevision;
      mark(id, e.revision, { added: e.kv.version === 1 });
    } else {
      followed.set(id, { key: e.kv.key, spec, specRevision: e.kv.modRevision, status: undefined, statusRevision: 0, sent: undefined });
      mark(id, e.revision, { added: true });
    }
  };
  const watch = openFrom(from, () => d.store.watch(taskHalvesPrefix(scopeOf(d.cluster)), from, onEvent), send);
  if (!watch) return () => undefined;
  const stopBookmarks = bookmarkEvery(req, () => last, send);
  return () => {
    closed = true;
    stopBookmarks();
    watch.close();
  };
}
