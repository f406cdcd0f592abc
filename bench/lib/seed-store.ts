/**
 * Seeds a data dir with task definitions straight through the store, before `berth up`
 * opens it: 500,000 RegisterTaskDefinition calls over HTTP would take the better part of
 * a run (~2,000-5,000/s here), and what is measured afterwards is the reads.
 *
 * What lands on disk is what RegisterTaskDefinition writes: the same SQLite store
 * (openSqliteStore, the same schema, one store revision per registration with its watch
 * history), the same keys, records built by the same core function (buildTaskDefinition,
 * from the bench's request bodies) and the same family records. Only the HTTP front door,
 * SigV4 and the per-family compare-and-set are skipped: this process is the only writer.
 */

import { keys } from '../../src/core/ecs/keys.ts';
import { rootPrincipal, type Scope } from '../../src/core/ecs/scope.ts';
import { buildTaskDefinition, type RegisterInput } from '../../src/core/ecs/task-definition.ts';
import type { FamilyRecord } from '../../src/api/ecs/task-definitions.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Txn } from '../../src/store/store.ts';
import { familyName, registerInput } from './task-definitions.ts';

/** Registrations submitted together: the store group-commits them as one SQLite transaction and one fsync. */
const BATCH = 2_000;

export interface SeedPlan {
  readonly scope: Scope;
  readonly prefix: string;
  readonly families: number;
  readonly revisions: number;
  /** Epoch seconds recorded as registeredAt. */
  readonly nowSeconds: number;
}

/**
 * Registers revision 1 of every family, then revision 2 of every family, and so on (each
 * family's revisions from different moments, as the HTTP seeding does), one store
 * transaction per registration. `progress` hears the count after each batch.
 */
export async function seedStore(path: string, plan: SeedPlan, progress: (done: number) => void = () => {}): Promise<void> {
  const store = await openSqliteStore(path);
  try {
    const total = plan.families * plan.revisions;
    for (let start = 0; start < total; start += BATCH) {
      const txns: Promise<unknown>[] = [];
      for (let i = start; i < Math.min(total, start + BATCH); i++) {
        txns.push(store.txn(registration(plan, i % plan.families, Math.floor(i / plan.families) + 1)).then((r) => {
          if (!(r as { ok: boolean }).ok) throw new Error(`seeding: registration ${i} was refused by the store`);
        }));
      }
      await Promise.all(txns);
      progress(Math.min(total, start + BATCH));
    }
  } finally {
    await store.close();
  }
}

function registration({ scope, prefix, nowSeconds }: SeedPlan, f: number, revision: number): Txn {
  const family = familyName(prefix, f);
  const input = registerInput(family, f + revision - 1) as unknown as RegisterInput;
  const record = buildTaskDefinition(scope, input, revision, nowSeconds, rootPrincipal(scope));
  const fam: FamilyRecord = { family, latestRevision: revision, activeRevisions: revision };
  return {
    ops: [
      { type: 'put', key: keys.taskDefinition(scope, family, revision), value: JSON.stringify(record) },
      { type: 'put', key: keys.family(scope, family), value: JSON.stringify(fam) },
    ],
  };
}
