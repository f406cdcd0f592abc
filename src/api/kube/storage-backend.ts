/**
 * What a kind's storage does for the API handlers. The generic backend (generic-storage.ts)
 * keeps objects as JSON under the cluster's keys; a kind kept elsewhere (pods as tasks of
 * the workload model, nodes as container instances) implements the same interface over its
 * own records and is named by the kind's `backend` in kinds.ts. Handlers (rest.ts) parse the
 * request, call one of these, and shape the answer.
 */
import type { FieldSelector, LabelSelector } from '../../core/kube/selectors.ts';
import type { KindInfo } from './kinds.ts';
import type { KubeUser } from './contract.ts';
import type { Obj } from './kind-rules.ts';
import type { StatusObject } from './status.ts';

/** What a watch sends its client. */
export type OutEvent =
  /** `raw`, when given, is the object's JSON (text, or its UTF-8 bytes): a plain watch writes it without serializing `object`. */
  | { readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly object: Obj; readonly raw?: string | Buffer }
  | { readonly type: 'BOOKMARK'; readonly object: Obj }
  | { readonly type: 'ERROR'; readonly object: StatusObject };

export interface WatchRequest {
  readonly kind: KindInfo;
  readonly namespace: string | undefined;
  readonly labels: LabelSelector;
  readonly fields: FieldSelector;
  /** undefined or '0': the current state first, as ADDED events. */
  readonly resourceVersion: string | undefined;
  readonly sendInitialEvents: boolean;
  readonly allowBookmarks: boolean;
}

export interface WriteOptions {
  readonly dryRun: boolean;
  readonly fieldManager: string;
  /** Server-side apply: the object carries the managedFields KubeSchemas.apply computed. */
  readonly applied?: boolean;
  /** Who asks: what review kinds (reviews.ts) answer about. */
  readonly user?: KubeUser;
}

export interface UpdateOptions extends WriteOptions {
  /** `status`, `finalize`: what the write may change (kind-rules.ts). */
  readonly subresource?: string;
}

export interface ListOptions {
  readonly labels: LabelSelector;
  readonly fields: FieldSelector;
  /** At most this many items (0: all). */
  readonly limit: number;
  /** A continue token of an earlier page. */
  readonly continueToken: string | undefined;
}

export interface ListPage {
  readonly items: Obj[];
  readonly resourceVersion: string;
  readonly continueToken: string | undefined;
}

/** A list page of objects' JSON (text, or its UTF-8 bytes), as answered. */
export interface RawListPage {
  readonly items: readonly (string | Buffer)[];
  readonly resourceVersion: string;
  readonly continueToken: string | undefined;
}

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

export interface DeleteOptions extends Pick<WriteOptions, 'dryRun'> {
  readonly propagationPolicy: PropagationPolicy | undefined;
  readonly preconditions: { uid?: string; resourceVersion?: string } | undefined;
  /** Seconds a pod's containers get to stop (0 with force: removed at once); undefined: the object's own. Kinds without grace ignore it. */
  readonly gracePeriodSeconds?: number;
}

/** A deleted object (gone now) or the object as it stays, with deletionTimestamp, until its finalizers go. */
export type DeleteResult = { readonly gone: true; readonly object: Obj } | { readonly gone: false; readonly object: Obj };

export interface StorageBackend {
  get(kind: KindInfo, namespace: string | undefined, name: string): Promise<Obj>;
  list(kind: KindInfo, namespace: string | undefined, options: ListOptions): Promise<ListPage>;
  /**
   * Optional fast paths for plain JSON answers: the objects' JSON without parsing them (lists
   * without selectors), as text or as its UTF-8 bytes (the generic backend's answer cache).
   */
  getRaw?(kind: KindInfo, namespace: string | undefined, name: string): Promise<string | Buffer>;
  listRaw?(kind: KindInfo, namespace: string | undefined, options: ListOptions): Promise<RawListPage>;
  create(kind: KindInfo, namespace: string | undefined, object: Obj, options: WriteOptions): Promise<Obj>;
  /** Replaces the object; `change` turns the current object into the new one (an update's body, or a patch applied). */
  update(kind: KindInfo, namespace: string | undefined, name: string, change: (current: Obj | undefined) => Obj | undefined, options: UpdateOptions): Promise<{ object: Obj; created: boolean }>;
  delete(kind: KindInfo, namespace: string | undefined, name: string, options: DeleteOptions): Promise<DeleteResult>;
  /** Starts a watch (`req.kind` is this backend's); `send` gets every event in order. Resolves to its `close`. */
  watch(req: WatchRequest, send: (e: OutEvent) => void): Promise<() => void>;
}
