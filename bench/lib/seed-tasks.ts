/**
 * Seeds RUNNING tasks onto a cluster's container instances straight through the store,
 * while `berth up` is stopped: 100,000 RunTask calls, each answered once the simulated
 * agent has reported its task, would take a large part of a run on this build, and what is
 * measured afterwards is placement and reads on top of them.
 *
 * What lands on disk is what RunTask and then the agent's RUNNING report write: the same
 * SQLite store (openSqliteStore), the same keys, task records built by the same core
 * function (newTask) from the task definition RegisterTaskDefinition stored, then moved to
 * RUNNING with their containers RUNNING and the lifecycle timestamps a report sets. Only
 * placement (tasks go round-robin over the instances, which must all have room), HTTP and
 * the gateway are skipped: this process is the only writer. The instances must have joined
 * already (through the join path, by the simulated agent).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { keys } from '../../src/core/ecs/keys.ts';
import type { Scope } from '../../src/core/ecs/scope.ts';
import { newTask, type TaskRecord } from '../../src/core/ecs/task.ts';
import type { TaskDefinitionRecord } from '../../src/core/ecs/task-definition.ts';
import { getJson } from '../../src/store/json.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

/** Tasks written per store transaction: one SQLite transaction and one fsync per batch. */
const BATCH = 1_000;

export interface TaskSeedPlan {
  readonly scope: Scope;
  readonly cluster: string;
  readonly family: string;
  readonly revision: number;
  /** Instances in the order tasks go round-robin over them. */
  readonly instances: readonly { readonly containerInstanceArn: string; readonly zone: string }[];
  readonly tasks: number;
  /** Epoch seconds recorded as created/started. */
  readonly nowSeconds: number;
  /** Who the n-th task belongs to (a service's group and deployment id); by default the family's group, started by the seed. */
  readonly owner?: (n: number) => { readonly group: string; readonly startedBy: string };
}

/** Writes `plan.tasks` RUNNING tasks; answers how many each instance got, in instance order. */
export async function seedTasks(path: string, plan: TaskSeedPlan, progress: (done: number) => void = () => {}): Promise<number[]> {
  const store = await openSqliteStore(path);
  const perInstance = plan.instances.map(() => 0);
  try {
    const td = await getJson<TaskDefinitionRecord>(store, keys.taskDefinition(plan.scope, plan.family, plan.revision));
    if (!td) throw new Error(`seeding tasks: task definition ${plan.family}:${plan.revision} is not in the store (register it before seeding)`);
    for (let start = 0; start < plan.tasks; start += BATCH) {
      const ops = [];
      for (let n = start; n < Math.min(plan.tasks, start + BATCH); n++) {
        const i = n % plan.instances.length;
        perInstance[i]!++;
        const task = runningTask(plan, td.value, plan.instances[i]!, plan.owner?.(n));
        ops.push({ type: 'put' as const, key: keys.task(plan.scope, plan.cluster, task.taskArn.slice(-32)), value: JSON.stringify(task) });
      }
      const r = await store.txn({ ops });
      if (!r.ok) throw new Error(`seeding tasks: a batch from ${start} was refused by the store`);
      progress(Math.min(plan.tasks, start + BATCH));
    }
  } finally {
    await store.close();
  }
  return perInstance;
}

function runningTask(plan: TaskSeedPlan, td: TaskDefinitionRecord, instance: { containerInstanceArn: string; zone: string }, owner = { group: `family:${td.family}`, startedBy: 'berth-bench-seed' }): TaskRecord {
  const id = randomBytes(16).toString('hex');
  const t = newTask({
    scope: plan.scope, clusterName: plan.cluster, id, containerIds: td.containerDefinitions.map(() => randomUUID()),
    taskDefinition: td, overrides: {}, containerInstanceArn: instance.containerInstanceArn, availabilityZone: instance.zone,
    cpuArchitecture: 'x86_64', group: owner.group, startedBy: owner.startedBy, tags: [], launchType: 'EC2',
    enableExecuteCommand: false, attachments: [], nowSeconds: plan.nowSeconds,
  });
  // What the agent's RUNNING report makes of it (applyReport): status, containers, timestamps.
  return {
    ...t, lastStatus: 'RUNNING', pullStartedAt: plan.nowSeconds, pullStoppedAt: plan.nowSeconds, startedAt: plan.nowSeconds,
    containers: t.containers.map((c) => ({ ...c, lastStatus: 'RUNNING', runtimeId: `simulated-${id}-${c.name}` })),
  };
}
