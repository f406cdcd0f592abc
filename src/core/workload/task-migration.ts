/**
 * The migration to spec and status under keys of their own (README "Next: spec and status
 * under keys of their own"): every task stored as one whole record (it has `taskArn` at its
 * top) becomes its spec, made from its definition (`specOf`) or, when that revision is gone,
 * from what the record holds (`definitionFactsOf`), and its status (`statusOf`), put in one
 * transaction per task, compare-and-set on the record as read and on the status key being
 * new. Through the Store interface, so etcd migrates the same way; idempotent: a crash
 * midway just resumes, and a task already split is left as it is.
 *
 *   for each account/region under /ecs/ ─▶ its tasks/ keys, a page at a time
 *     whole record? ─▶ txn if (task key @ rev, task-status key absent): put spec, put status
 */
import { getJson } from '../../store/json.ts';
import type { Store } from '../../store/store.ts';
import { Lru } from '../../lib/lru.ts';
import { keys } from '../ecs/keys.ts';
import type { Scope } from '../ecs/scope.ts';
import { parseTaskDefinitionRef, type TaskDefinitionRecord } from '../ecs/task-definition.ts';
import { definitionFactsOf, specOf, statusOf, type DefinitionFacts } from '../ecs/task-model.ts';
import type { TaskRecord } from '../ecs/task.ts';
import { isWholeRecord, splitTaskOps, taskRefOfKey, taskStatusKey } from './task-store.ts';

/** Task keys read per page: one page's values in memory at once (records are 1-3 KB). */
export const MIGRATION_PAGE = 500;
/** Definitions kept parsed while migrating: the revisions a region's tasks were started from (a cluster runs tens to hundreds). */
export const MIGRATION_DEFINITIONS_CACHED = 1_000;
/** Attempts for one task whose record changed between its read and its transaction (another control plane writing it). */
const ATTEMPTS = 5;

export interface MigrationResult {
  /** Tasks split now. */
  readonly migrated: number;
  /** Of those, tasks whose definition revision was gone (their spec made from the record). */
  readonly withoutDefinition: number;
}

export async function migrateTaskRecords(store: Store): Promise<MigrationResult> {
  const definitions = new Lru<string, DefinitionFacts | null>(MIGRATION_DEFINITIONS_CACHED);
  const definitionOf = async (t: TaskRecord): Promise<DefinitionFacts | undefined> => {
    const cached = definitions.get(t.taskDefinitionArn);
    if (cached !== undefined) return cached ?? undefined;
    let td: TaskDefinitionRecord | undefined;
    try {
      const ref = parseTaskDefinitionRef(t.taskDefinitionArn);
      const scope = scopeOfArn(t.taskDefinitionArn);
      td = ref.revision === undefined || !scope ? undefined : (await getJson<TaskDefinitionRecord>(store, keys.taskDefinition(scope, ref.family, ref.revision)))?.value;
    } catch {
      td = undefined;
    }
    definitions.set(t.taskDefinitionArn, td ?? null);
    return td;
  };
  let migrated = 0;
  let withoutDefinition = 0;
  for (const scope of await scopes(store)) {
    const prefix = `${keys.scope(scope)}tasks/`;
    let after: string | undefined;
    for (;;) {
      const page = await store.list(prefix, { limit: MIGRATION_PAGE, ...(after !== undefined && { after }) });
      for (const first of page.items) {
        for (let attempt = 0, kv: typeof first | undefined = first; kv && attempt < ATTEMPTS; attempt++) {
          const ref = taskRefOfKey(kv.key);
          const record = JSON.parse(kv.value) as unknown;
          if (!ref || !isWholeRecord(record)) break;
          const td = await definitionOf(record);
          const spec = specOf(record, td ?? definitionFactsOf(record));
          const ops = splitTaskOps(ref, spec, statusOf(record));
          const r = await store.txn({ if: [{ key: kv.key, modRevision: kv.modRevision }, { key: taskStatusKey(ref), modRevision: 0 }], ops });
          if (r.ok) {
            migrated++;
            if (!td) withoutDefinition++;
            break;
          }
          kv = await store.get(kv.key);
        }
      }
      if (!page.more || page.items.length === 0) break;
      after = page.items[page.items.length - 1]!.key;
    }
  }
  return { migrated, withoutDefinition };
}

/** Every account and region with ECS state: one read each, skipping past the previous one's keys. */
async function scopes(store: Store): Promise<Scope[]> {
  const out: Scope[] = [];
  let after: string | undefined;
  for (;;) {
    const first = (await store.list(keys.all(), { limit: 1, ...(after !== undefined && { after }) })).items[0];
    if (!first) return out;
    const [account, region] = first.key.slice(keys.all().length).split('/');
    if (!account || !region) return out;
    out.push({ account, region });
    // '\uffff' sorts after every character a key holds: the next item is in another scope.
    after = `${keys.scope({ account, region })}\uffff`;
  }
}

/** The account and region of an ECS ARN (`arn:aws:ecs:<region>:<account>:…`). */
function scopeOfArn(arn: string): Scope | undefined {
  const parts = arn.split(':');
  return parts.length >= 6 && parts[3] && parts[4] ? { account: parts[4], region: parts[3] } : undefined;
}
