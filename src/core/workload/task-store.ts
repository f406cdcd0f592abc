/**
 * The one owner of a task's store keys: every module that reads or writes a stored task
 * goes through these functions, never through `keys.task(...)` itself (architecture:
 * "modules use each other's exported service, not each other's store keys"), so the
 * layout of a task in the store (one record today; spec and status under keys of their
 * own next, README "Next: spec and status under keys of their own") changes here alone.
 *
 *   readTask / readTaskAt ──▶ StoredTask { key, record (the ECS join), specRevision, statusRevision }
 *   listTasks (a cluster's, a page at a time)                        │
 *   taskPins(t) ──▶ the compare-and-set conditions on what was read ◀┘
 *
 * A reader gets the task as the ECS API shows it (`record`, a TaskRecord) and the revision
 * of each half, so a writer can pin what it decided on. While a task is one record both
 * revisions are that record's.
 */
import type { Condition, KeyValue, ListOptions, Store } from '../../store/store.ts';
import { parseArn } from '../arn.ts';
import { keys } from '../ecs/keys.ts';
import type { Scope } from '../ecs/scope.ts';
import type { TaskRecord } from '../ecs/task.ts';

/** A task's place in the store: its account and region, cluster and id (32 hex digits). */
export interface TaskRef {
  readonly scope: Scope;
  readonly cluster: string;
  readonly id: string;
}

/** A stored task as its readers see it: the join of its spec and status, and each one's revision. */
export interface StoredTask {
  /** The task's key: what the cluster state's TaskSummary holds as `key`. */
  readonly key: string;
  readonly record: TaskRecord;
  /** The modRevision of the spec (what the control plane wrote). */
  readonly specRevision: number;
  /** The modRevision of the status (what the agent reported). */
  readonly statusRevision: number;
}

/** Parses a stored value (the placer's and gateway's ParsedValues give the object they wrote instead). */
export type ValueParser = (key: string, value: string) => unknown;

const plainParse: ValueParser = (_key, value) => JSON.parse(value);

/** The task's key (its spec's). */
export function taskKey(ref: TaskRef): string {
  return keys.task(ref.scope, ref.cluster, ref.id);
}

/** The prefix of a cluster's task keys. */
export function clusterTasksPrefix(scope: Scope, cluster: string): string {
  return keys.tasks(scope, cluster);
}

const TASK_KEY = /^\/ecs\/([^/]+)\/([^/]+)\/tasks\/([^/]+)\/([^/]+)$/;

/** The task a key names, or undefined for any other key. */
export function taskRefOfKey(key: string): TaskRef | undefined {
  const m = TASK_KEY.exec(key);
  return m ? { scope: { account: m[1]!, region: m[2]! }, cluster: m[3]!, id: m[4]! } : undefined;
}

/** A task ARN as Berth makes them: `arn:aws:ecs:<region>:<account>:task/<cluster>/<id>`. */
const TASK_RESOURCE = /^task\/([A-Za-z0-9_-]{1,255})\/([a-f0-9]{32})$/;

/** The task an ARN names (its scope and cluster are in the ARN), or undefined for anything else. */
export function taskRefOfArn(taskArn: unknown): TaskRef | undefined {
  const a = typeof taskArn === 'string' ? parseArn(taskArn) : undefined;
  const m = a?.service === 'ecs' ? TASK_RESOURCE.exec(a.resource) : null;
  return a && m ? { scope: { account: a.account, region: a.region }, cluster: m[1]!, id: m[2]! } : undefined;
}

/** A stored task from the key-value of its one record. */
export function storedTaskOf(kv: KeyValue, parse: ValueParser = plainParse): StoredTask {
  return { key: kv.key, record: parse(kv.key, kv.value) as TaskRecord, specRevision: kv.modRevision, statusRevision: kv.modRevision };
}

/** The task at `ref`, or undefined when there is none. */
export function readTask(store: Store, ref: TaskRef, parse?: ValueParser): Promise<StoredTask | undefined> {
  return readTaskAt(store, taskKey(ref), parse);
}

/** The task whose key is `key` (a TaskSummary's), or undefined when there is none. */
export async function readTaskAt(store: Store, key: string, parse?: ValueParser): Promise<StoredTask | undefined> {
  const kv = await store.get(key);
  return kv && storedTaskOf(kv, parse);
}

/** A page of a cluster's tasks in id order (`after` and `limit` as the store's list takes them, `after` a task key). */
export async function listTasks(store: Store, scope: Scope, cluster: string, options?: ListOptions): Promise<{ items: StoredTask[]; more: boolean; revision: number }> {
  const page = await store.list(clusterTasksPrefix(scope, cluster), options);
  return { items: page.items.map((kv) => storedTaskOf(kv)), more: page.more, revision: page.revision };
}

/** Conditions that hold while the task is as read (both halves): a write pinned to them lands only then. */
export function taskPins(t: StoredTask): Condition[] {
  return [{ key: t.key, modRevision: t.specRevision }];
}
