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
 *   newTaskOps(record) ─────▶ the puts of a task placed (the placer's transaction)
 *   splitTaskOps / taskStatusOps ─▶ both halves, or the status alone (a pod placed, or not yet)
 *   changeTask(ref, part, change) ─▶ read, change the join, write the part: compare-and-set
 *                                    on that part, retried on a conflict on it
 *   deleteTaskTxn(t) ───────▶ the task gone, if still as read (retention)
 *
 * A write names the half it changes (`TaskPart`): the control plane writes the spec
 * (StopTask, tags, protection, the service scheduler's and a Spot interruption's stop),
 * the agent's reports the status, and the control plane both for a task its agent cannot
 * report (instance health, Fargate capacity that never came).
 *
 * A reader gets the task as the ECS API shows it (`record`, a TaskRecord) and the revision
 * of each half, so a writer can pin what it decided on. While a task is one record both
 * revisions are that record's.
 */
import type { Condition, KeyValue, ListOptions, Op, Store, Txn, TxnResult } from '../../store/store.ts';
import { parseArn } from '../arn.ts';
import { keys } from '../ecs/keys.ts';
import type { Scope } from '../ecs/scope.ts';
import type { TaskRecord } from '../ecs/task.ts';
import { recordOf, writePart } from '../ecs/task-model.ts';
import type { TaskSpec } from './spec.ts';
import type { TaskStatus } from './status.ts';

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
  /** The two halves, when stored apart (a task written before the split is one record until migrated). */
  readonly spec?: TaskSpec;
  readonly status?: TaskStatus;
}

/**
 * Read-modify-write attempts of one task before a write gives up: each retry follows
 * another writer's commit to the same half of the same task, which has two or three
 * writers at most (its agent, the API, a controller), so this many in a row is a storm.
 */
export const MAX_TASK_WRITE_ATTEMPTS = 64;

/** Which half of a task a write changes: the control plane's spec, the agent's status, or both (a task its agent cannot report). */
export type TaskPart = 'spec' | 'status' | 'both';

/** Where a written value goes besides the store: the writer's ParsedValues (its watchers then take the object). */
export type ValueMemo = (key: string, value: string, parsed: unknown) => void;

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

/** A stored value is a whole task record (the layout before the split) when it has a task ARN at its top. */
export function isWholeRecord(v: unknown): v is TaskRecord {
  return typeof v === 'object' && v !== null && typeof (v as { taskArn?: unknown }).taskArn === 'string';
}

/** A stored value is a spec when it has the spec's `ecs` part and no task ARN at its top. */
function isSpec(v: unknown): v is TaskSpec {
  return typeof v === 'object' && v !== null && !isWholeRecord(v) && typeof (v as { ecs?: unknown }).ecs === 'object';
}

/** The key of a task's status (beside its spec's, under the same account, region and cluster). */
export function taskStatusKey(ref: TaskRef): string {
  return keys.taskStatus(ref.scope, ref.cluster, ref.id);
}

/** A task as held in the store: one whole record, or a spec and a status under keys of their own. */
type Held =
  | { readonly layout: 'record'; readonly kv: KeyValue; readonly record: TaskRecord }
  | { readonly layout: 'split'; readonly specKv: KeyValue; readonly spec: TaskSpec; readonly statusKv: KeyValue; readonly status: TaskStatus; readonly record: TaskRecord };

async function hold(store: Store, kv: KeyValue, parse: ValueParser): Promise<Held> {
  const v = parse(kv.key, kv.value);
  // Anything but a spec is read as a whole record, as before the split (a reader that
  // tolerates a damaged value, such as Fargate metering's, gets what its parser made of it).
  if (!isSpec(v)) return { layout: 'record', kv, record: v as TaskRecord };
  const ref = taskRefOfKey(kv.key);
  const statusKv = ref && await store.get(taskStatusKey(ref));
  // Both halves are put in one transaction and deleted in one: one alone is damage, not a state.
  if (!statusKv) throw new Error(`task store: ${kv.key} holds a spec and no status: restore the store from a backup`);
  const spec = v as TaskSpec;
  const status = parse(statusKv.key, statusKv.value) as TaskStatus;
  return { layout: 'split', specKv: kv, spec, statusKv, status, record: recordOf(spec, status) };
}

function storedOf(h: Held): StoredTask {
  return h.layout === 'record'
    ? { key: h.kv.key, record: h.record, specRevision: h.kv.modRevision, statusRevision: h.kv.modRevision }
    : { key: h.specKv.key, record: h.record, specRevision: h.specKv.modRevision, statusRevision: h.statusKv.modRevision, spec: h.spec, status: h.status };
}

async function holdAt(store: Store, key: string, parse: ValueParser): Promise<Held | undefined> {
  const kv = await store.get(key);
  return kv && hold(store, kv, parse);
}

/** The task at `ref`, or undefined when there is none. */
export function readTask(store: Store, ref: TaskRef, parse?: ValueParser): Promise<StoredTask | undefined> {
  return readTaskAt(store, taskKey(ref), parse);
}

/** The task whose key is `key` (a TaskSummary's), or undefined when there is none. */
export async function readTaskAt(store: Store, key: string, parse: ValueParser = plainParse): Promise<StoredTask | undefined> {
  const h = await holdAt(store, key, parse);
  return h && storedOf(h);
}

/** A page of a cluster's tasks in id order (`after` and `limit` as the store's list takes them, `after` a task key). */
export async function listTasks(store: Store, scope: Scope, cluster: string, options?: ListOptions): Promise<{ items: StoredTask[]; more: boolean; revision: number }> {
  const page = await store.list(clusterTasksPrefix(scope, cluster), options);
  const items: StoredTask[] = [];
  for (const kv of page.items) items.push(storedOf(await hold(store, kv, plainParse)));
  return { items, more: page.more, revision: page.revision };
}

/** Conditions that hold while the task is as read (both halves): a write pinned to them lands only then. */
export function taskPins(t: StoredTask): Condition[] {
  const ref = t.status && taskRefOfKey(t.key);
  return ref ? [{ key: t.key, modRevision: t.specRevision }, { key: taskStatusKey(ref), modRevision: t.statusRevision }] : [{ key: t.key, modRevision: t.specRevision }];
}

/** The puts of a task placed: its spec and status, for the placer's one transaction. */
export function newTaskOps(ref: TaskRef, record: TaskRecord, remember?: ValueMemo): Op[] {
  return [put(taskKey(ref), record, remember)];
}

/** The puts of a task as a spec and a status under keys of their own, in one transaction. */
export function splitTaskOps(ref: TaskRef, spec: TaskSpec, status: TaskStatus, remember?: ValueMemo): Op[] {
  return [put(taskKey(ref), spec, remember), put(taskStatusKey(ref), status, remember)];
}

/** The put of a task's status alone (the control plane's note on a task no agent has: why it is not placed yet). */
export function taskStatusOps(ref: TaskRef, status: TaskStatus, remember?: ValueMemo): Op[] {
  return [put(taskStatusKey(ref), status, remember)];
}

function put(key: string, v: unknown, remember: ValueMemo | undefined): Op {
  const value = JSON.stringify(v);
  remember?.(key, value, v);
  return { type: 'put', key, value };
}

/**
 * The transaction that deletes a task (both halves), if its spec is still as read. The
 * status is not compared: a STOPPED task's status never changes again (reports to it
 * change nothing), and only STOPPED tasks are deleted.
 */
export function deleteTaskTxn(t: Pick<StoredTask, 'key' | 'specRevision'>): Txn {
  const ref = taskRefOfKey(t.key);
  return { if: [{ key: t.key, modRevision: t.specRevision }], ops: [{ type: 'delete', key: t.key }, ...(ref ? [{ type: 'delete' as const, key: taskStatusKey(ref) }] : [])] };
}

/** What a task write came to. */
export type TaskWrite =
  | { readonly outcome: 'written'; readonly revision: number; readonly task: StoredTask }
  /** `change` answered undefined: the task as read is left as it is. */
  | { readonly outcome: 'unchanged'; readonly task: StoredTask }
  | { readonly outcome: 'missing' }
  /** A condition of `if` failed (not retried), or MAX_TASK_WRITE_ATTEMPTS conflicts on the task itself in a row. */
  | { readonly outcome: 'conflict'; readonly revision: number; readonly failed: readonly string[] };

export interface TaskWriteOptions {
  /** Conditions on other records the decision read: the write lands only while they hold, and is not retried when one fails. */
  readonly if?: readonly Condition[];
  /** Commits a transaction (default: the store's txn; the controller runner fences it with its lease). */
  readonly commit?: (txn: Txn) => Promise<TxnResult>;
  readonly parse?: ValueParser;
  readonly remember?: ValueMemo;
  /** Read-modify-write attempts at most (default MAX_TASK_WRITE_ATTEMPTS). */
  readonly attempts?: number;
}

/** {@link changeTask}'s options; `status`: see there. */
export interface ChangeTaskOptions extends TaskWriteOptions {
  /**
   * For a task stored as a spec and a status, with part 'status': its new status from the
   * halves themselves (undefined: leave it), instead of the status part of `change`'s record.
   * A pod's status keeps what the ECS join has no field for (restart counts, probe verdicts),
   * so an agent's report folds into the status as stored (applyStatusReport), not into the join.
   */
  readonly status?: (spec: TaskSpec, status: TaskStatus, record: TaskRecord) => TaskStatus | undefined;
}

/**
 * Changes one task: `change` gets the task as stored now (the join, as ECS shows it) and
 * answers what it becomes, or undefined to leave it; only `part` of the answer is written,
 * compare-and-set on that part, and a conflict on it reads and changes again. `change`
 * must be pure (it may run more than once).
 */
export async function changeTask(store: Store, ref: TaskRef | string, part: TaskPart, change: (current: TaskRecord) => TaskRecord | undefined, o: ChangeTaskOptions = {}): Promise<TaskWrite> {
  const key = typeof ref === 'string' ? ref : taskKey(ref);
  const commit = o.commit ?? ((txn: Txn) => store.txn(txn));
  let last: TxnResult | undefined;
  for (let attempt = 0; attempt < (o.attempts ?? MAX_TASK_WRITE_ATTEMPTS); attempt++) {
    const cur = await holdAt(store, key, o.parse ?? plainParse);
    if (!cur) return { outcome: 'missing' };
    let w: ReturnType<typeof writeOf>;
    if (cur.layout === 'split' && part === 'status' && o.status) {
      const status = o.status(cur.spec, cur.status, cur.record);
      if (status === undefined) return { outcome: 'unchanged', task: storedOf(cur) };
      w = statusWriteOf(cur, status, o.remember);
    } else {
      const next = change(cur.record);
      if (next === undefined) return { outcome: 'unchanged', task: storedOf(cur) };
      w = writeOf(cur, part, next, o.remember);
    }
    last = await commit({ if: [...w.pins, ...(o.if ?? [])], ops: w.ops });
    if (last.ok) return { outcome: 'written', revision: last.revision, task: w.stored(last.revision) };
    const failed = last.failed;
    if (failed.some((k) => !w.pins.some((c) => c.key === k))) return { outcome: 'conflict', revision: last.revision, failed };
  }
  return { outcome: 'conflict', revision: last?.revision ?? 0, failed: [key] };
}

/**
 * The write of `part` of a changed task: its puts, compare-and-set only on what it writes
 * (so the spec's writers and the status's never refuse each other), and the task as it
 * will be stored once written at a revision.
 */
function writeOf(cur: Held, part: TaskPart, next: TaskRecord, remember: ValueMemo | undefined): { ops: Op[]; pins: Condition[]; stored: (revision: number) => StoredTask } {
  if (cur.layout === 'record') {
    const key = cur.kv.key;
    return {
      ops: [put(key, next, remember)], pins: [{ key, modRevision: cur.kv.modRevision }],
      stored: (revision) => ({ key, record: next, specRevision: revision, statusRevision: revision }),
    };
  }
  const { spec, status } = writePart(cur.spec, cur.status, part, cur.record, next);
  const ops: Op[] = [];
  const pins: Condition[] = [];
  if (part !== 'status') { ops.push(put(cur.specKv.key, spec, remember)); pins.push({ key: cur.specKv.key, modRevision: cur.specKv.modRevision }); }
  if (part !== 'spec') { ops.push(put(cur.statusKv.key, status, remember)); pins.push({ key: cur.statusKv.key, modRevision: cur.statusKv.modRevision }); }
  return {
    ops, pins,
    stored: (revision) => ({
      key: cur.specKv.key, record: recordOf(spec, status), spec, status,
      specRevision: part === 'status' ? cur.specKv.modRevision : revision, statusRevision: part === 'spec' ? cur.statusKv.modRevision : revision,
    }),
  };
}

/** The write of a split task's new status alone, compare-and-set on the status as read. */
function statusWriteOf(cur: Extract<Held, { layout: 'split' }>, status: TaskStatus, remember: ValueMemo | undefined): ReturnType<typeof writeOf> {
  return {
    ops: [put(cur.statusKv.key, status, remember)], pins: [{ key: cur.statusKv.key, modRevision: cur.statusKv.modRevision }],
    stored: (revision) => ({ key: cur.specKv.key, record: recordOf(cur.spec, status), spec: cur.spec, status, specRevision: cur.specKv.modRevision, statusRevision: revision }),
  };
}

/** What a change of a split task's halves answers: the halves it changes (the others stay as read). */
export interface HalvesChange {
  readonly spec?: TaskSpec;
  readonly status?: TaskStatus;
}

/**
 * Changes a task stored as a spec and a status (a pod's: the Kubernetes part of the spec and a
 * status a client wrote are not fields of the ECS join that {@link changeTask} rewrites):
 * `change` gets both halves and answers the ones it changes, or undefined to leave the task;
 * each half written is compare-and-set on its own revision, and a conflict on it reads and
 * changes again. `change` must be pure (it may run more than once).
 */
export async function changeTaskHalves(store: Store, key: string, change: (spec: TaskSpec, status: TaskStatus, task: StoredTask) => HalvesChange | undefined, o: TaskWriteOptions = {}): Promise<TaskWrite> {
  const commit = o.commit ?? ((txn: Txn) => store.txn(txn));
  let last: TxnResult | undefined;
  for (let attempt = 0; attempt < (o.attempts ?? MAX_TASK_WRITE_ATTEMPTS); attempt++) {
    const cur = await holdAt(store, key, o.parse ?? plainParse);
    if (!cur) return { outcome: 'missing' };
    if (cur.layout !== 'split') throw new Error(`task store: ${key} is one record; only a task stored as a spec and a status changes by halves`);
    const next = change(cur.spec, cur.status, storedOf(cur));
    if (next === undefined || (next.spec === undefined && next.status === undefined)) return { outcome: 'unchanged', task: storedOf(cur) };
    const ops: Op[] = [];
    const pins: Condition[] = [];
    if (next.spec) { ops.push(put(cur.specKv.key, next.spec, o.remember)); pins.push({ key: cur.specKv.key, modRevision: cur.specKv.modRevision }); }
    if (next.status) { ops.push(put(cur.statusKv.key, next.status, o.remember)); pins.push({ key: cur.statusKv.key, modRevision: cur.statusKv.modRevision }); }
    last = await commit({ if: [...pins, ...(o.if ?? [])], ops });
    if (last.ok) {
      const spec = next.spec ?? cur.spec;
      const status = next.status ?? cur.status;
      return {
        outcome: 'written', revision: last.revision,
        task: { key: cur.specKv.key, record: recordOf(spec, status), spec, status, specRevision: next.spec ? last.revision : cur.specKv.modRevision, statusRevision: next.status ? last.revision : cur.statusKv.modRevision },
      };
    }
    const failed = last.failed;
    if (failed.some((k) => !pins.some((c) => c.key === k))) return { outcome: 'conflict', revision: last.revision, failed };
  }
  return { outcome: 'conflict', revision: last?.revision ?? 0, failed: [key] };
}

/**
 * The one store prefix under which every task's spec and status of an account and region
 * change (with other ECS keys beside them: {@link taskHalfOfKey} tells them apart), for a
 * watcher that follows both halves in commit order with one store watch.
 */
export function taskHalvesPrefix(scope: Scope): string {
  return `${keys.scope(scope)}task`;
}

const STATUS_KEY = /^\/ecs\/([^/]+)\/([^/]+)\/task-status\/([^/]+)\/([^/]+)$/;

/** The task and the half a key holds, or undefined for any other key. */
export function taskHalfOfKey(key: string): { ref: TaskRef; half: 'spec' | 'status' } | undefined {
  const spec = taskRefOfKey(key);
  if (spec) return { ref: spec, half: 'spec' };
  const m = STATUS_KEY.exec(key);
  return m ? { ref: { scope: { account: m[1]!, region: m[2]! }, cluster: m[3]!, id: m[4]! }, half: 'status' } : undefined;
}

/** The transaction that writes a task's spec (a split task's), if it is still as read: a writer that decided on one read. */
export function specWriteTxn(t: Pick<StoredTask, 'key' | 'specRevision'>, spec: TaskSpec): Txn {
  return { if: [{ key: t.key, modRevision: t.specRevision }], ops: [put(t.key, spec, undefined)] };
}
