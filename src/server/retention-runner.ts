import { retentionSweep, type RetentionSnapshot } from '../controllers/retention.ts';
import type { Store } from '../store/store.ts';

/** The sweep runs this often: stopped tasks then live between one and one hour and five minutes. */
const SWEEP_INTERVAL_MS = 5 * 60_000;
const TASK_KEY = /^\/ecs\/[^/]+\/[^/]+\/tasks\//;
const TASKDEF_KEY = /^\/ecs\/[^/]+\/[^/]+\/taskdefs\//;

/** Loads the snapshot the retention sweep needs, applies its removals (each compare-and-set), and repeats. */
export function startRetention(store: Store, log: (line: string) => void, now = Date.now): { sweep(): Promise<number>; stop(): void } {
  const sweep = async (): Promise<number> => {
    const snap: { tasks: RetentionSnapshot['tasks'][number][]; deletingDefinitions: RetentionSnapshot['deletingDefinitions'][number][] } = { tasks: [], deletingDefinitions: [] };
    let after: string | undefined;
    for (;;) {
      const page = await store.list('/ecs/', { limit: 1000, ...(after !== undefined && { after }) });
      for (const kv of page.items) {
        if (TASK_KEY.test(kv.key)) {
          const t = JSON.parse(kv.value) as { taskDefinitionArn: string; lastStatus: string; stoppedAt?: number };
          snap.tasks.push({ key: kv.key, modRevision: kv.modRevision, taskDefinitionArn: t.taskDefinitionArn, lastStatus: t.lastStatus, ...(t.stoppedAt !== undefined && { stoppedAt: t.stoppedAt }) });
        } else if (TASKDEF_KEY.test(kv.key)) {
          const d = JSON.parse(kv.value) as { status: string; taskDefinitionArn: string };
          if (d.status === 'DELETE_IN_PROGRESS') snap.deletingDefinitions.push({ key: kv.key, modRevision: kv.modRevision, taskDefinitionArn: d.taskDefinitionArn });
        }
      }
      if (!page.more) break;
      after = page.items[page.items.length - 1]!.key;
    }
    let removed = 0;
    for (const r of retentionSweep(snap, now() / 1000)) {
      // A record that changed since the snapshot is left for the next sweep.
      if ((await store.txn({ if: [{ key: r.key, modRevision: r.modRevision }], ops: [{ type: 'delete', key: r.key }] })).ok) removed++;
    }
    return removed;
  };
  const timer = setInterval(() => void sweep().catch((e: Error) => log(`retention sweep: ${e.message}`)), SWEEP_INTERVAL_MS);
  timer.unref();
  return { sweep, stop: () => clearInterval(timer) };
}
