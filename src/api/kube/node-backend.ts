/**
 * The `nodes` kind (core/v1 Node, cluster-scoped): a view of the container instances the EKS
 * cluster's node groups claimed (src/core/eks/nodes.ts), over the ECS side's instance records
 * (src/cluster/instance-records.ts). A node's resourceVersion is its instance record's store
 * modRevision: what Kubernetes users set on a node that Berth does not derive (annotations,
 * taints, the cordon) is kept on that record too (`kubeNode`), and labels are its custom ECS
 * attributes (src/core/kube/node-edit.ts), so one compare-and-set writes a node and one store
 * watch follows every node.
 *
 *   get / list ─▶ InstanceRecords.list(scope) ─▶ isNodeOf ─▶ nodeView (sorted by name)
 *              + each running Fargate pod's own node (core/kube/fargate-node.ts: a view of the
 *                pod, gone with it)
 *   update / patch of a Fargate node ─▶ editFargateNode (labels, annotations; 422 for what EKS
 *                sets) ─▶ the pod's task spec (CAS; 409 on a stale resourceVersion); delete: 405
 *   update / patch ─▶ editNode (422 when ECS cannot keep it) ─▶ replace (CAS; 409 on a stale resourceVersion)
 *   delete ─▶ the host leaves its node group (attributes and kubeNode removed): the node group
 *             controller may claim it again, as a kubelet re-registers its node
 *   watch ─▶ InstanceRecords.watch: ADDED (claimed), MODIFIED, DELETED (released, deregistered)
 *          + the Fargate pods' (fargate-pod-watch.ts): ADDED once a pod has its address, MODIFIED
 *            when its node's view changes, DELETED when it stops or goes; both watches' events
 *            merged in revision order
 *
 * Nodes are not created through the API (hosts join with `berth agent --join` and node groups
 * claim them): create is not a verb of the kind. Status is the view's: the status subresource
 * is read-only and a client's status on the main resource is ignored.
 */
import { isDeepStrictEqual } from 'node:util';
import type { ContainerInstanceRecord } from '../../core/ecs/container-instance.ts';
import type { HeldInstance, InstanceRecords } from '../../cluster/instance-records.ts';
import { withNodegroup } from '../../core/eks/nodes.ts';
import { editFargateNode, fargateNodeView } from '../../core/kube/fargate-node.ts';
import type { TaskSpec } from '../../core/workload/spec.ts';
import { editNode } from '../../core/kube/node-edit.ts';
import { isNodeOf, nodeName, nodeView, type NodeFacts } from '../../core/kube/node-view.ts';
import { matchesFields, matchesLabels } from '../../core/kube/selectors.ts';
import type { KubeClusterRef } from './contract.ts';
import { decodeContinue, encodeContinue } from './continue-token.ts';
import type { KindInfo } from './kinds.ts';
import type { Obj } from './kind-rules.ts';
import { badRequest, conflict, gone, invalid, methodNotAllowed, notFound, preconditionFailed } from './status.ts';
import { checkBodyName, checkPreconditions } from './write-identity.ts';
import type { FargatePod } from './pod-backend-reads.ts';
import type { FargatePodChange, FargatePodsWatch } from './fargate-pod-watch.ts';
import type { DeleteOptions, DeleteResult, ListOptions, ListPage, OutEvent, StorageBackend, UpdateOptions, WatchRequest } from './storage-backend.ts';
import { UPDATE_ATTEMPTS } from './generic-storage.ts';
import { bookmark, bookmarkEvery, startRevision, openFrom, startsWithState, tooOld } from './watch.ts';
import { CompactedError } from '../../store/store.ts';

export interface NodeBackendDeps {
  readonly instances: InstanceRecords;
  readonly cluster: KubeClusterRef;
  /** Epoch ms. */
  readonly now: () => number;
  /** The cluster's pods on Fargate capacity (pod-backend-reads.ts fargatePods): each is its own node's, a view of it. */
  readonly fargatePods?: () => Promise<readonly FargatePod[]>;
  /** Follows those pods from a revision (fargate-pod-watch.ts watchFargatePods), for watches of nodes. */
  readonly watchFargatePods?: (from: number, listener: (change: FargatePodChange) => void) => Promise<FargatePodsWatch>;
  /** Writes such a pod's task spec if unchanged since read (fargate-pod-watch.ts writeFargatePodSpec): its node's labels and annotations. */
  readonly writeFargatePod?: (pod: FargatePod, spec: TaskSpec) => Promise<number | undefined>;
}

/** Whether a node matches a list's or watch's selectors; an absent spec.unschedulable is "false" to a field selector, as the server's node fields say. */
function selects(options: Pick<ListOptions, 'labels' | 'fields'>, o: Obj): boolean {
  const spec = (o.spec ?? {}) as Record<string, unknown>;
  return matchesLabels(options.labels, o.metadata.labels) && matchesFields(options.fields, { ...o, spec: { ...spec, unschedulable: spec.unschedulable === true } });
}

/** A node as read: a host (its instance record), or a Fargate pod's own node (the view of that pod). */
interface HeldNode {
  readonly held?: HeldInstance;
  readonly fargate?: Obj;
  /** A Fargate node's pod. */
  readonly pod?: FargatePod;
  readonly name: string;
}

/** The watch key of a Fargate node (no instance key: a view of its pod, whose task id names it). */
const fargateKey = (taskId: string): string => `fargate:${taskId}`;

/** Whether two views of a node differ in more than their resourceVersion and heartbeat times (a view's heartbeat is the time it was made). */
function sameNode(a: Obj, b: Obj): boolean {
  const plain = (o: Obj) => {
    const status = (o.status ?? {}) as { conditions?: Record<string, unknown>[] };
    const { resourceVersion: _rv, ...metadata } = o.metadata;
    return { ...o, metadata, status: { ...status, conditions: status.conditions?.map(({ lastHeartbeatTime: _t, ...c }) => c) } };
  };
  return isDeepStrictEqual(plain(a), plain(b));
}

export class NodeBackend implements StorageBackend {
  readonly #d: NodeBackendDeps;

  constructor(deps: NodeBackendDeps) {
    this.#d = deps;
  }

  #facts(): NodeFacts {
    const c = this.#d.cluster;
    return { version: c.version, region: c.region, clusterName: c.name, clusterUid: c.uid, now: this.#d.now() };
  }

  #view(i: HeldInstance): Obj {
    return nodeView(i.record, this.#facts(), i.modRevision) as unknown as Obj;
  }

  #object(n: HeldNode): Obj {
    return n.fargate ?? this.#view(n.held!);
  }

  /** The Fargate nodes of the cluster's running Fargate pods. */
  async #fargateNodes(): Promise<HeldNode[]> {
    if (!this.#d.fargatePods) return [];
    const facts = this.#facts();
    const out: HeldNode[] = [];
    for (const p of await this.#d.fargatePods()) {
      const node = fargateNodeView(p.spec, p.status, facts, p.revision);
      if (node) out.push({ name: node.metadata.name, fargate: node as unknown as Obj, pod: p });
    }
    return out;
  }

  /** The cluster's nodes, by name; two registrations of one host (same instance id) show once, the first in key order. */
  async #nodes(): Promise<{ nodes: HeldNode[]; revision: number }> {
    const c = this.#d.cluster;
    const { items, revision } = await this.#d.instances.list({ account: c.account, region: c.region });
    const byName = new Map<string, HeldNode>();
    for (const held of items) {
      if (!isNodeOf(held.record, c.name)) continue;
      const name = nodeName(held.record);
      if (!byName.has(name)) byName.set(name, { held, name });
    }
    for (const n of await this.#fargateNodes()) if (!byName.has(n.name)) byName.set(n.name, n);
    return { nodes: [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)), revision };
  }

  async #find(kind: KindInfo, name: string): Promise<HeldNode> {
    const node = (await this.#nodes()).nodes.find((n) => n.name === name);
    if (!node) throw notFound(kind, name);
    return node;
  }

  /** A host's node, to write: a Fargate node is its pod's view and goes with the pod (no write of its own). */
  async #findHost(kind: KindInfo, name: string): Promise<HeldInstance> {
    const node = await this.#find(kind, name);
    if (!node.held) throw methodNotAllowed();
    return node.held;
  }

  async get(kind: KindInfo, _namespace: string | undefined, name: string): Promise<Obj> {
    return this.#object(await this.#find(kind, name));
  }

  async list(_kind: KindInfo, _namespace: string | undefined, options: ListOptions): Promise<ListPage> {
    const page = await this.#page(options);
    return { items: page.entries.map((e) => e.object), resourceVersion: page.resourceVersion, continueToken: page.continueToken };
  }

  /** A page of the nodes matching the selectors, in name order, with the instance key of each. */
  async #page(options: ListOptions): Promise<{ entries: { key: string; object: Obj }[]; resourceVersion: string; continueToken: string | undefined }> {
    let after: string | undefined;
    let revision: number | undefined;
    if (options.continueToken !== undefined) {
      const token = decodeContinue(options.continueToken, this.#d.now());
      if (token === 'expired') throw gone('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
      if (token === undefined) throw badRequest('continue key is not valid: the continue token does not match this list');
      after = token.key;
      revision = token.revision;
    }
    const read = await this.#nodes();
    revision ??= read.revision;
    const want = options.limit > 0 ? options.limit : Infinity;
    const entries: { key: string; object: Obj }[] = [];
    for (const [i, n] of read.nodes.entries()) {
      if (after !== undefined && n.name <= after) continue;
      const object = this.#object(n);
      if (!selects(options, object)) continue;
      entries.push({ key: n.held?.key ?? fargateKey(n.pod!.spec.id), object });
      if (entries.length >= want) {
        const more = i < read.nodes.length - 1;
        return { entries, resourceVersion: String(revision), continueToken: more ? encodeContinue(revision, n.name, this.#d.now()) : undefined };
      }
    }
    return { entries, resourceVersion: String(revision), continueToken: undefined };
  }

  create(): Promise<Obj> {
    // Hosts become nodes by joining and being claimed by a node group, never by a create.
    return Promise.reject(methodNotAllowed());
  }

  async update(kind: KindInfo, _namespace: string | undefined, name: string, change: (current: Obj | undefined) => Obj | undefined, options: UpdateOptions): Promise<{ object: Obj; created: boolean }> {
    if (options.subresource !== undefined) throw methodNotAllowed();
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const found = await this.#find(kind, name);
      if (found.pod) {
        const done = await this.#updateFargate(kind, name, found.pod, change, options);
        if (done) return done;
        continue;
      }
      const held = found.held!;
      const current = this.#view(held);
      const next = change(structuredClone(current));
      if (!next) throw notFound(kind, name);
      checkBodyName(name, next);
      checkPreconditions(kind, name, current, next);
      const wanted = next.metadata.resourceVersion;
      const edited = editNode(held.record, this.#facts(), next as Parameters<typeof editNode>[2]);
      if ('errors' in edited) throw invalid(kind.group, kind.kind, name, edited.errors);
      if (isDeepStrictEqual(edited.record, held.record)) return { object: current, created: false };
      const after = { ...held, record: edited.record };
      if (options.dryRun) return { object: this.#view(after), created: false };
      const revision = await this.#d.instances.replace(held, edited.record);
      if (revision !== undefined) return { object: this.#view({ ...after, modRevision: revision }), created: false };
      // The instance changed meanwhile (its agent reported): a write that named no resourceVersion is decided again.
      if (wanted !== undefined && wanted !== '') throw conflict(kind, name);
    }
    throw conflict(kind, name);
  }

  /** A write of a Fargate node: its labels and annotations onto its pod's task spec; undefined when the pod changed meanwhile (decided again). */
  async #updateFargate(kind: KindInfo, name: string, pod: FargatePod, change: (current: Obj | undefined) => Obj | undefined, options: UpdateOptions): Promise<{ object: Obj; created: boolean } | undefined> {
    const facts = this.#facts();
    const current = fargateNodeView(pod.spec, pod.status, facts, pod.revision) as unknown as Obj;
    const next = change(structuredClone(current));
    if (!next) throw notFound(kind, name);
    checkBodyName(name, next);
    checkPreconditions(kind, name, current, next);
    const edited = editFargateNode(pod.spec, pod.status, facts, next as Parameters<typeof editFargateNode>[3]);
    if (!edited) throw notFound(kind, name);
    if ('errors' in edited) throw invalid(kind.group, kind.kind, name, edited.errors);
    if (isDeepStrictEqual(edited.spec, pod.spec)) return { object: current, created: false };
    const view = (revision: number) => fargateNodeView(edited.spec, pod.status, facts, revision) as unknown as Obj;
    if (options.dryRun) return { object: view(pod.revision), created: false };
    if (!this.#d.writeFargatePod) throw methodNotAllowed();
    const revision = await this.#d.writeFargatePod(pod, edited.spec);
    if (revision !== undefined) return { object: view(revision), created: false };
    // The pod changed meanwhile: a write that named no resourceVersion is decided again.
    const wanted = next.metadata.resourceVersion;
    if (wanted !== undefined && wanted !== '') throw conflict(kind, name);
    return undefined;
  }

  async delete(kind: KindInfo, _namespace: string | undefined, name: string, options: DeleteOptions): Promise<DeleteResult> {
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const held = await this.#findHost(kind, name);
      const current = this.#view(held);
      const p = options.preconditions;
      if (p?.uid !== undefined && p.uid !== current.metadata.uid) throw preconditionFailed(kind, name, 'UID', p.uid, current.metadata.uid);
      if (p?.resourceVersion !== undefined && p.resourceVersion !== current.metadata.resourceVersion) throw preconditionFailed(kind, name, 'ResourceVersion', p.resourceVersion, current.metadata.resourceVersion);
      if (options.dryRun) return { gone: true, object: current };
      if ((await this.#d.instances.replace(held, released(held.record))) !== undefined) return { gone: true, object: current };
    }
    throw conflict(kind, name);
  }

  async watch(req: WatchRequest, send: (e: OutEvent) => void): Promise<() => void> {
    const c = this.#d.cluster;
    // The nodes this watcher has been told of (matching its selectors), by instance key, with
    // the object last sent: a record deleted or released is DELETED with it. Bounded by the cluster's nodes.
    const inside = new Map<string, Obj>();
    const initial = startsWithState(req);
    const page = await this.#page({ labels: req.labels, fields: req.fields, limit: 0, continueToken: undefined });
    for (const { key, object } of page.entries) {
      inside.set(key, object);
      if (initial) send({ type: 'ADDED', object });
    }
    const listed = Number(page.resourceVersion);
    if (req.sendInitialEvents && req.allowBookmarks) send(bookmark(req.kind, listed, true));
    const from = startRevision(req, initial, listed, send);
    if (from === undefined) return () => undefined;
    let last = from;
    let closed = false;
    // Both watches' events, merged in revision order before they are told: their histories come
    // one watch after the other, their live events in commit order (one store). Bounded by the
    // events of one turn of the event loop (told at the next setImmediate).
    let pending: { revision: number; tell: () => void }[] = [];
    let flushing = false;
    const enqueue = (revision: number, tell: () => void): void => {
      pending.push({ revision, tell });
      if (flushing) return;
      flushing = true;
      setImmediate(() => {
        flushing = false;
        const batch = pending.sort((a, b) => a.revision - b.revision);
        pending = [];
        for (const p of batch) {
          if (closed) return;
          last = Math.max(last, p.revision);
          p.tell();
        }
      });
    };
    const onFargate = (c: FargatePodChange): void => enqueue(c.revision, () => {
      const key = fargateKey(c.id);
      const was = inside.get(key);
      const o = c.pod && fargateNodeView(c.pod.spec, c.pod.status, this.#facts(), c.pod.revision) as unknown as Obj | undefined;
      if (o && selects(req, o)) {
        if (was && sameNode(was, o)) return;
        inside.set(key, o);
        send({ type: was ? 'MODIFIED' : 'ADDED', object: o });
      } else if (was) {
        inside.delete(key);
        send({ type: 'DELETED', object: { ...was, metadata: { ...was.metadata, resourceVersion: String(c.revision) } } });
      }
    });
    // The Fargate pods first: its history and the instances' both come before any live event.
    let fargate: FargatePodsWatch | undefined;
    try {
      fargate = await this.#d.watchFargatePods?.(from, onFargate);
    } catch (err) {
      if (!(err instanceof CompactedError)) throw err;
      send(tooOld(from, err));
      return () => undefined;
    }
    // A Fargate node this watch started with whose pod was gone by the time its follow began.
    for (const key of [...inside.keys()]) {
      if (fargate && key.startsWith(fargateKey('')) && !fargate.seeded.has(key.slice(fargateKey('').length))) onFargate({ id: key.slice(fargateKey('').length), revision: from, pod: undefined });
    }
    const watch = openFrom(from, () => this.#d.instances.watch({ account: c.account, region: c.region }, from, (e) => enqueue(e.revision, () => {
        const key = e.type === 'put' ? e.instance.key : e.key;
        const was = inside.get(key);
        const o = e.type === 'put' && isNodeOf(e.instance.record, c.name) ? this.#view(e.instance) : undefined;
        if (o && selects(req, o)) {
          inside.set(key, o);
          send({ type: was ? 'MODIFIED' : 'ADDED', object: o });
        } else if (was) {
          inside.delete(key);
          // Gone from this watch: the last state, at the revision it left.
          send({ type: 'DELETED', object: o ?? { ...was, metadata: { ...was.metadata, resourceVersion: String(e.revision) } } });
        }
    })), send);
    if (!watch) {
      fargate?.close();
      return () => undefined;
    }
    const stopBookmarks = bookmarkEvery(req, () => last, send);
    return () => {
      closed = true;
      stopBookmarks();
      watch.close();
      fargate?.close();
    };
  }
}

/** The instance once its node is deleted: out of its node group, without the node's Kubernetes fields. */
export function released(record: ContainerInstanceRecord): ContainerInstanceRecord {
  const { kubeNode: _fields, ...rest } = record;
  return { ...rest, attributes: withNodegroup(record.attributes, undefined) };
}
