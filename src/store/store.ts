/**
 * The one store interface every Berth component writes through, and every backend
 * (SQLite embedded, etcd distributed) implements. It is modelled on etcd's data model
 * so that etcd is a drop-in:
 *
 * - a flat, ordered key space of string keys to string values (callers encode JSON);
 * - one global revision that every successful write transaction increments by exactly one;
 * - each key remembers the revision that created it and the one that last modified it,
 *   so writes can be compare-and-set on `modRevision` (0 means "must not exist");
 * - watchers receive every change after a given revision, in revision order, with nothing
 *   skipped — which is what lets controllers and agents resume after a restart.
 *
 * Contract: when a write's promise resolves, the write is durable (it survives kill -9 of
 * the process). A transaction is atomic: all of its operations apply, or none do.
 */
export interface Store {
  /** The value of one key, or undefined. */
  get(key: string): Promise<KeyValue | undefined>;

  /**
   * The modRevision of one key, or undefined if it does not exist: how a reader holding
   * something derived from a value (a serialized answer) checks it is current without
   * reading the value again.
   */
  modRevision(key: string): Promise<number | undefined>;

  /** Keys starting with `prefix`, in key order (or reverse), a page at a time. */
  list(prefix: string, options?: ListOptions): Promise<ListResult>;

  /**
   * Applies `ops` atomically if every condition holds; otherwise changes nothing.
   * Resolves once the outcome is durable.
   */
  txn(txn: Txn): Promise<TxnResult>;

  /**
   * Calls `listener` with every change to keys under `prefix` whose revision is greater
   * than `afterRevision`, in order: first the recorded history, then live changes.
   * Throws {@link CompactedError} if history before `afterRevision` has been discarded.
   */
  watch(prefix: string, afterRevision: number, listener: (event: WatchEvent) => void): Watch;

  /** The revision of the latest durable write. */
  revision(): Promise<number>;

  close(): Promise<void>;
}

export interface KeyValue {
  readonly key: string;
  readonly value: string;
  /** Revision of the write that created this key (since its last deletion). */
  readonly createRevision: number;
  /** Revision of the write that last changed it. */
  readonly modRevision: number;
  /** Number of writes to this key since it was created (1 after the first put). */
  readonly version: number;
}

export interface ListOptions {
  /** At most this many items (default: all). */
  limit?: number;
  /** Start strictly after this key (strictly before it when `reverse`): the page cursor. */
  after?: string;
  /** Newest key first. */
  reverse?: boolean;
  /**
   * Keys and revisions only: every item's `value` is '' (etcd's `keys_only`). For a reader
   * that holds what it needs of the values already, keyed by modRevision (the Kubernetes
   * API's answer cache), so a page does not copy every value out of the backend.
   */
  keysOnly?: boolean;
}

export interface ListResult {
  readonly items: KeyValue[];
  /** True when more keys match beyond this page; continue with `after` = last item's key. */
  readonly more: boolean;
  /** The store revision this page was read at. */
  readonly revision: number;
}

/** A condition on one key: its modRevision must equal this (0: the key must not exist). */
export interface Condition {
  readonly key: string;
  readonly modRevision: number;
}

export type Op =
  | { readonly type: 'put'; readonly key: string; readonly value: string }
  | { readonly type: 'delete'; readonly key: string }
  /** Deletes every key starting with `prefix`. */
  | { readonly type: 'deletePrefix'; readonly prefix: string };

export interface Txn {
  readonly if?: readonly Condition[];
  readonly ops: readonly Op[];
}

export type TxnResult =
  | { readonly ok: true; readonly revision: number }
  /** `failed` lists the keys whose condition did not hold. */
  | { readonly ok: false; readonly revision: number; readonly failed: readonly string[] };

export interface WatchEvent {
  readonly type: 'put' | 'delete';
  readonly revision: number;
  /** For a put, the new value; for a delete, the key with an empty value and the deleting revision. */
  readonly kv: KeyValue;
}

export interface Watch {
  close(): void;
}

/** The history a watcher asked for is gone; it must re-list and watch from the list's revision. */
export class CompactedError extends Error {
  readonly compactRevision: number;
  constructor(requested: number, compactRevision: number) {
    super(`revision ${requested} has been compacted; history starts after ${compactRevision}`);
    this.name = 'CompactedError';
    this.compactRevision = compactRevision;
  }
}
