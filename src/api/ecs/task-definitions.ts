import { ApiError, fail } from '../../core/errors.ts';
import { keys } from '../../core/ecs/keys.ts';
import { rootPrincipal, type Scope } from '../../core/ecs/scope.ts';
import { validateTags } from '../../core/ecs/tags.ts';
import {
  buildTaskDefinition, parseTaskDefinitionRef, taskDefinitionView,
  type RegisterInput, type TaskDefinitionRecord, type TaskDefinitionStatus,
} from '../../core/ecs/task-definition.ts';
import { decodeToken, encodeToken, pageSize } from '../../core/pagination.ts';
import { KeyedBatcher } from '../../lib/keyed-batcher.ts';
import { Lru } from '../../lib/lru.ts';
import { getJson } from '../../store/json.ts';
import type { Op, Store } from '../../store/store.ts';
import { RawJson, type RequestContext } from '../aws/service.ts';
import { scopeOf, seconds, type EcsDeps } from './deps.ts';

/** Per family: the last revision ever given out (never reused) and how many are ACTIVE. */
export interface FamilyRecord {
  family: string;
  latestRevision: number;
  activeRevisions: number;
}

/** Revisions per family (ECS service quota). */
const MAX_REVISIONS = 1_000_000;
/** DeleteTaskDefinitions takes at most this many (ECS API reference). */
const MAX_DELETE = 10;
/**
 * DescribeTaskDefinition answers kept serialized, per revision, at most this many bytes:
 * room for 10,000 answers of ~3 KB, the hot set of a large account. An entry is used only
 * while its revision's modRevision is unchanged. Bounded by bytes, not entries: a 64 KiB
 * revision (ECS's largest) weighs twenty 3 KB ones.
 */
const VIEW_CACHE_BYTES = 32 * 1024 * 1024;
/** Most entries in that cache. */
const VIEW_CACHE_ENTRIES = 20_000;
/** What an entry costs besides its characters: the object, three string headers, the map slot. */
const VIEW_ENTRY_OVERHEAD_BYTES = 120;

interface CachedView {
  modRevision: number;
  status: TaskDefinitionStatus;
  view: string;
  tags: string;
}

interface Registration {
  input: RegisterInput;
  scope: Scope;
  now: number;
  registeredBy: string;
}

/** Bounds of the serialized answers kept; tests make them small to exercise eviction. */
export interface TaskDefinitionCacheLimits {
  readonly viewCacheBytes?: number;
}

export function taskDefinitionOperations({ store }: Pick<EcsDeps, 'store'>, limits: TaskDefinitionCacheLimits = {}) {
  // Concurrent registrations of one family are committed together: one compare-and-set
  // on the family record gives each its own revision, in arrival order.
  const registrations = new KeyedBatcher<Registration, TaskDefinitionRecord>((_key, batch) => registerBatch(store, batch));
  const views = new Lru<string, CachedView>({
    maxEntries: VIEW_CACHE_ENTRIES,
    maxWeight: limits.viewCacheBytes ?? VIEW_CACHE_BYTES,
    // One byte per character: V8 keeps ASCII and Latin-1 strings that way; answers are ASCII but for user text.
    weigh: (v, key) => key.length + v.view.length + v.tags.length + VIEW_ENTRY_OVERHEAD_BYTES,
  });
  const cachedView = async (key: string): Promise<CachedView | undefined> => {
    // A kept answer is checked with the revision's modRevision alone: the stored value is
    // neither read nor kept a second time in the store's cache.
    const hit = views.get(key);
    if (hit && hit.modRevision === await store.modRevision(key)) return hit;
    const kv = await store.get(key);
    if (!kv) {
      views.delete(key);
      return undefined;
    }
    const r = JSON.parse(kv.value) as TaskDefinitionRecord;
    const entry = { modRevision: kv.modRevision, status: r.status, view: JSON.stringify(taskDefinitionView(r)), tags: JSON.stringify(r.tags) };
    views.set(key, entry);
    return entry;
  };

  return {
    async RegisterTaskDefinition(input: RegisterInput, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      validateTags(input.tags ?? []);
      // Checked here too so a bad request never waits behind its family's batch.
      buildTaskDefinition(scope, input, 1, 0, '');
      const record = await registrations.submit(keys.family(scope, input.family), { input, scope, now: seconds(ctx), registeredBy: rootPrincipal(scope) });
      return { taskDefinition: taskDefinitionView(record), ...(record.tags.length > 0 && { tags: record.tags }) };
    },

    /** The hottest read: answered from serialized views, without parsing the stored revision. */
    async DescribeTaskDefinition(input: { taskDefinition: string; include?: string[] }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const ref = parseTaskDefinitionRef(input.taskDefinition);
      let entry: CachedView | undefined;
      if (ref.revision !== undefined) entry = await cachedView(keys.taskDefinition(scope, ref.family, ref.revision));
      else {
        const fam = await getJson<FamilyRecord>(store, keys.family(scope, ref.family));
        if (fam && fam.value.activeRevisions > 0) {
          entry = await cachedView(keys.taskDefinition(scope, ref.family, fam.value.latestRevision));
          if (entry?.status !== 'ACTIVE') {
            const found = await resolve(store, scope, input.taskDefinition);
            entry = found && await cachedView(keys.taskDefinition(scope, ref.family, found.value.revision));
          }
        }
      }
      if (!entry) fail('ClientException', `Unable to describe task definition: '${input.taskDefinition}' does not exist. Check the family and revision with ListTaskDefinitions.`);
      // AWS sends tags even unasked, empty (describe-task-definition in the AWS CLI examples).
      return new RawJson(`{"taskDefinition":${entry.view},"tags":${input.include?.includes('TAGS') ? entry.tags : '[]'}}`);
    },

    async DeregisterTaskDefinition(input: { taskDefinition: string }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const ref = parseTaskDefinitionRef(input.taskDefinition);
      if (ref.revision === undefined) fail('ClientException', `Deregistering needs a revision: pass family:revision or the full ARN, not just '${ref.family}'.`);
      for (;;) {
        const key = keys.taskDefinition(scope, ref.family, ref.revision);
        const [td, fam] = await Promise.all([getJson<TaskDefinitionRecord>(store, key), getJson<FamilyRecord>(store, keys.family(scope, ref.family))]);
        if (!td || !fam) fail('ClientException', `The specified task definition does not exist: '${input.taskDefinition}'.`);
        if (td.value.status !== 'ACTIVE') return { taskDefinition: taskDefinitionView(td.value) };
        const next: TaskDefinitionRecord = { ...td.value, status: 'INACTIVE', deregisteredAt: seconds(ctx) };
        const family: FamilyRecord = { ...fam.value, activeRevisions: fam.value.activeRevisions - 1 };
        const r = await store.txn({
          if: [{ key, modRevision: td.modRevision }, { key: keys.family(scope, ref.family), modRevision: fam.modRevision }],
          ops: [{ type: 'put', key, value: JSON.stringify(next) }, { type: 'put', key: keys.family(scope, ref.family), value: JSON.stringify(family) }],
        });
        if (r.ok) return { taskDefinition: taskDefinitionView(next) };
      }
    },

    /** Moves INACTIVE revisions to DELETE_IN_PROGRESS; each other one gets a failure entry. */
    async DeleteTaskDefinitions(input: { taskDefinitions: string[] }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      if (input.taskDefinitions.length === 0 || input.taskDefinitions.length > MAX_DELETE) {
        fail('InvalidParameterException', `DeleteTaskDefinitions takes 1 to ${MAX_DELETE} task definitions; ${input.taskDefinitions.length} were given.`);
      }
      const taskDefinitions = [];
      const failures = [];
      for (const arn of input.taskDefinitions) {
        let ref;
        try {
          ref = parseTaskDefinitionRef(arn);
        } catch (e) {
          failures.push({ arn, reason: 'TASK_DEFINITION_INVALID', detail: (e as Error).message });
          continue;
        }
        if (ref.revision === undefined) {
          failures.push({ arn, reason: 'The specified task definition does not exist.', detail: 'Pass family:revision or the full ARN.' });
          continue;
        }
        const key = keys.taskDefinition(scope, ref.family, ref.revision);
        const td = await getJson<TaskDefinitionRecord>(store, key);
        if (!td) failures.push({ arn, reason: 'The specified task definition does not exist.' });
        else if (td.value.status === 'ACTIVE') failures.push({ arn, reason: 'The specified task definition is still in ACTIVE status. Please deregister the target and try again.' });
        else {
          const next: TaskDefinitionRecord = { ...td.value, status: 'DELETE_IN_PROGRESS' };
          const r = await store.txn({ if: [{ key, modRevision: td.modRevision }], ops: [{ type: 'put', key, value: JSON.stringify(next) }] });
          if (r.ok) taskDefinitions.push(taskDefinitionView(next));
          else failures.push({ arn, reason: 'The task definition changed while it was being deleted; try again.' });
        }
      }
      return { taskDefinitions, failures };
    },

    async ListTaskDefinitions(input: { familyPrefix?: string; status?: TaskDefinitionStatus; sort?: 'ASC' | 'DESC'; nextToken?: string; maxResults?: number }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      // Despite its name, familyPrefix is a whole family name (ECS API reference).
      const prefix = input.familyPrefix ? keys.taskDefinitionsOf(scope, input.familyPrefix) : keys.taskDefinitions(scope);
      const status = input.status ?? 'ACTIVE';
      const { items, nextToken } = await scan(store, prefix, input, input.sort === 'DESC', (v: TaskDefinitionRecord) => (v.status === status ? v.taskDefinitionArn : undefined));
      return { taskDefinitionArns: items, ...(nextToken && { nextToken }) };
    },

    async ListTaskDefinitionFamilies(input: { familyPrefix?: string; status?: 'ACTIVE' | 'INACTIVE' | 'ALL'; nextToken?: string; maxResults?: number }, ctx: RequestContext) {
      const prefix = keys.families(scopeOf(ctx)) + (input.familyPrefix ?? '');
      const status = input.status ?? 'ACTIVE';
      const { items, nextToken } = await scan(store, prefix, input, false, (f: FamilyRecord) =>
        status === 'ALL' || (status === 'ACTIVE') === f.activeRevisions > 0 ? f.family : undefined);
      return { families: items, ...(nextToken && { nextToken }) };
    },
  };
}

/** One family's batch: one transaction, retried whole if another writer got there first. */
async function registerBatch(store: Store, batch: readonly Registration[]): Promise<(TaskDefinitionRecord | Error)[]> {
  const { scope, input: { family } } = batch[0]!;
  const familyKey = keys.family(scope, family);
  for (;;) {
    const cur = await getJson<FamilyRecord>(store, familyKey);
    const fam: FamilyRecord = cur ? { ...cur.value } : { family, latestRevision: 0, activeRevisions: 0 };
    const results: (TaskDefinitionRecord | Error)[] = [];
    const ops: Op[] = [];
    for (const r of batch) {
      try {
        if (fam.latestRevision >= MAX_REVISIONS) fail('ClientException', `Family '${family}' has reached ${MAX_REVISIONS} revisions, the most ECS allows. Register under a new family name.`);
        const record = buildTaskDefinition(r.scope, r.input, fam.latestRevision + 1, r.now, r.registeredBy);
        fam.latestRevision++;
        fam.activeRevisions++;
        ops.push({ type: 'put', key: keys.taskDefinition(scope, family, record.revision), value: JSON.stringify(record) });
        results.push(record);
      } catch (e) {
        results.push(e instanceof Error ? e : new ApiError('ServerException', String(e)));
      }
    }
    if (ops.length === 0) return results;
    ops.push({ type: 'put', key: familyKey, value: JSON.stringify(fam) });
    const r = await store.txn({ if: [{ key: familyKey, modRevision: cur?.modRevision ?? 0 }], ops });
    if (r.ok) return results;
  }
}

/** The task definition a reference names, or undefined; a bare family means its latest ACTIVE revision. */
export async function resolveTaskDefinition(store: Store, scope: Scope, ref: string): Promise<TaskDefinitionRecord | undefined> {
  return (await resolve(store, scope, ref))?.value;
}

/** The revision a reference names; a bare family means its latest ACTIVE revision. */
async function resolve(store: Store, scope: Scope, ref: string) {
  const { family, revision } = parseTaskDefinitionRef(ref);
  if (revision !== undefined) return getJson<TaskDefinitionRecord>(store, keys.taskDefinition(scope, family, revision));
  // Usually the latest revision is the ACTIVE one: two point reads. Else scan down from it.
  const fam = await getJson<FamilyRecord>(store, keys.family(scope, family));
  if (!fam || fam.value.activeRevisions === 0) return undefined;
  const latest = await getJson<TaskDefinitionRecord>(store, keys.taskDefinition(scope, family, fam.value.latestRevision));
  if (latest?.value.status === 'ACTIVE') return latest;
  let after: string | undefined;
  for (;;) {
    const page = await store.list(keys.taskDefinitionsOf(scope, family), { reverse: true, limit: 100, ...(after !== undefined && { after }) });
    for (const kv of page.items) {
      const v = JSON.parse(kv.value) as TaskDefinitionRecord;
      if (v.status === 'ACTIVE') return { value: v, modRevision: kv.modRevision };
    }
    if (!page.more) return undefined;
    after = page.items[page.items.length - 1]!.key;
  }
}

/** Pages through a key range, keeping what `pick` returns, until the page is full. */
async function scan<T>(store: Store, prefix: string, input: { nextToken?: string; maxResults?: number }, reverse: boolean, pick: (v: T) => string | undefined) {
  const limit = pageSize(input.maxResults, 100);
  const items: string[] = [];
  let after = decodeToken(input.nextToken, prefix);
  for (;;) {
    const page = await store.list(prefix, { limit: Math.max(limit - items.length, 100), reverse, ...(after !== undefined && { after }) });
    for (const kv of page.items) {
      const v = pick(JSON.parse(kv.value) as T);
      if (v !== undefined) items.push(v);
      if (items.length === limit) {
        const more = kv !== page.items[page.items.length - 1] || page.more;
        return { items, nextToken: more ? encodeToken(kv.key) : undefined };
      }
    }
    if (!page.more) return { items, nextToken: undefined };
    after = page.items[page.items.length - 1]!.key;
  }
}
