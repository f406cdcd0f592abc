/**
 * Task and clientToken retention as a PeriodicJob: its loader gathers what retentionSweep (retention.ts,
 * pure) decides on, and every removal is a delete pinned to the revision it was decided on.
 *
 * Tasks come from the cluster state (its snapshots keep STOPPED tasks until they go), so no
 * task is read from the store; task definitions being deleted and clientTokens are listed per
 * account and region, and the accounts and regions are found by skipping from one to the next (one
 * store read each), never by reading every key.
 */
import type { ClusterState, TaskSummary } from '../cluster/types.ts';
import { keys } from '../core/ecs/keys.ts';
import type { Scope } from '../core/ecs/scope.ts';
import type { TaskDefinitionRecord } from '../core/ecs/task-definition.ts';
import { eachKey } from '../store/json.ts';
import { deleteTaskTxn, taskRefOfKey } from '../core/workload/task-store.ts';
import type { Store } from '../store/store.ts';
import type { TokenRecord } from '../scheduler/placer.ts';
import { retentionSweep, type RetentionSnapshot } from './retention.ts';
import type { PeriodicJob } from './types.ts';

/** The sweep runs this often: stopped tasks then live between one and one hour and five minutes. */
export const RETENTION_INTERVAL_MS = 5 * 60_000;
export function retentionJob({ store, state, everyMs = RETENTION_INTERVAL_MS, keep }: {
  store: Store; state: ClusterState; everyMs?: number;
  /**
   * Tasks another job still needs, kept past their hour until it says otherwise: the Fargate
   * metering job's `metered` (fargate-usage.ts), so no task goes before its usage is stored.
   */
  keep?: (task: TaskSummary) => boolean;
}): PeriodicJob<RetentionSnapshot> {
  return {
    name: 'task-retention',
    everyMs,
    async load() {
      // The records first: which task definitions are being deleted decides which running tasks matter.
      const deletingDefinitions: RetentionSnapshot['deletingDefinitions'][number][] = [];
      const clientTokens: RetentionSnapshot['clientTokens'][number][] = [];
      for (const scope of await scopesOf(store)) {
        await eachKey(store, keys.taskDefinitions(scope), (kv) => {
          const d = JSON.parse(kv.value) as TaskDefinitionRecord;
          if (d.status === 'DELETE_IN_PROGRESS') deletingDefinitions.push({ key: kv.key, modRevision: kv.modRevision, taskDefinitionArn: d.taskDefinitionArn });
        });
        await eachKey(store, keys.clientTokens(scope), (kv) => {
          const { createdAt } = JSON.parse(kv.value) as Pick<TokenRecord, 'createdAt'>;
          clientTokens.push({ key: kv.key, modRevision: kv.modRevision, createdAt });
        });
      }
      // Only the tasks the sweep decides on, from the indexes, never every task of every cluster
      // (100,000 summaries copied in one turn of the event loop held every API call behind it):
      // the stopped ones (a STOPPED task is desired STOPPED: applyReport, stoppedByControlPlane),
      // and those of the families with a revision being deleted, which may still use it.
      const families = new Set(deletingDefinitions.map((d) => familyOf(d.taskDefinitionArn)));
      const tasks: RetentionSnapshot['tasks'][number][] = [];
      const add = (t: TaskSummary) => tasks.push({
        key: t.key, modRevision: t.modRevision, taskDefinitionArn: t.taskDefinitionArn, group: t.group, lastStatus: t.lastStatus,
        ...(t.stoppedAt !== undefined && { stoppedAt: t.stoppedAt }), ...(keep?.(t) === true && { kept: true }),
      });
      for (const ref of state.clusters()) {
        const snap = state.snapshot(ref);
        if (!snap) continue;
        for (const t of snap.tasksWhere({ desiredStatus: 'STOPPED' })) add(t);
        for (const family of families) {
          for (const t of snap.tasksWhere({ family })) if (t.desiredStatus !== 'STOPPED') add(t);
        }
      }
      return { tasks, deletingDefinitions, clientTokens };
    },
    reconcile(snapshot, now) {
      return {
        actions: retentionSweep(snapshot, now / 1000).map((r) => ({
          type: 'txn' as const,
          // A record that changed since the snapshot is left for the next sweep; a task goes
          // through the task store (all of it, in one transaction).
          txn: taskRefOfKey(r.key)
            ? deleteTaskTxn({ key: r.key, specRevision: r.modRevision })
            : { if: [{ key: r.key, modRevision: r.modRevision }], ops: [{ type: 'delete' as const, key: r.key }] },
          why: `retention: ${r.key}`,
        })),
      };
    },
  };
}


/** The family of a task definition ARN (`…:task-definition/<family>:<revision>`). */
function familyOf(taskDefinitionArn: string): string {
  const name = taskDefinitionArn.slice(taskDefinitionArn.lastIndexOf('/') + 1);
  return name.slice(0, name.lastIndexOf(':'));
}

/** Every account and region with ECS state: one read each, skipping past the previous one's keys. */
export async function scopesOf(store: Store): Promise<Scope[]> {
  const out: Scope[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.list(keys.all(), { limit: 1, ...(after !== undefined && { after }) });
    const first = page.items[0];
    if (!first) return out;
    const [account, region] = first.key.slice(keys.all().length).split('/');
    if (account === undefined || region === undefined) return out;
    out.push({ account, region });
    // '\uffff' sorts after every character a key holds: the next item is in another scope.
    after = `${keys.scope({ account, region })}\uffff`;
  }
}
