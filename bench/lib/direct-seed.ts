/**
 * `bin/bench scheduler --direct-only`: a data dir seeded straight through the store with
 * what the full run builds through Berth (the cluster, the task definition, --instances
 * container instances with a connected agent in zones a/b/c, --tasks RUNNING tasks
 * round-robin over them), for the placer-direct part alone: seconds instead of the minutes
 * the joins, sessions and restart take, so whoever works on the placer can measure and
 * profile each change. Records are built by the core's own functions (newCluster,
 * buildTaskDefinition, newContainerInstance, newTask), as RunTask and the join path build them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { newCluster } from '../../src/core/ecs/cluster.ts';
import { newContainerInstance, normaliseResources } from '../../src/core/ecs/container-instance.ts';
import { keys } from '../../src/core/ecs/keys.ts';
import { rootPrincipal, type Scope } from '../../src/core/ecs/scope.ts';
import { newTask } from '../../src/core/ecs/task.ts';
import { buildTaskDefinition } from '../../src/core/ecs/task-definition.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Op } from '../../src/store/store.ts';

/** Records written per store transaction while seeding: one SQLite transaction and one fsync each. */
const SEED_BATCH = 5_000;
const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

export interface DirectSeed {
  readonly scope: Scope;
  readonly cluster: string;
  readonly family: string;
  readonly instances: number;
  readonly tasks: number;
  readonly cpu: number;
  readonly memory: number;
  readonly taskCpu: number;
  readonly taskMemory: number;
}

/** Seeds the store at `path`; answers the task definition's ARN. */
export async function seedDirect(path: string, o: DirectSeed): Promise<{ taskDefinitionArn: string }> {
  const store = await openSqliteStore(path);
  try {
    const now = Math.floor(Date.now() / 1000);
    const { scope, cluster } = o;
    const td = buildTaskDefinition(scope, {
      family: o.family, requiresCompatibilities: ['EC2'],
      containerDefinitions: [{ name: 'app', image: 'busybox', cpu: o.taskCpu, memory: o.taskMemory, essential: true, command: ['sleep', '3600'] }],
    } as never, 1, now, rootPrincipal(scope));
    const ops: Op[] = [
      { type: 'put', key: keys.cluster(scope, cluster), value: JSON.stringify(newCluster(scope, { clusterName: cluster, tags: [], settings: [] }, now)) },
      { type: 'put', key: keys.taskDefinition(scope, o.family, 1), value: JSON.stringify(td) },
      { type: 'put', key: keys.family(scope, o.family), value: JSON.stringify({ family: o.family, latestRevision: 1, activeRevisions: 1 }) },
    ];
    const instances: { arn: string; zone: string }[] = [];
    for (let i = 0; i < o.instances; i++) {
      const id = randomBytes(16).toString('hex');
      const zone = ZONES[i % ZONES.length]!;
      const record = newContainerInstance(scope, cluster, id, {
        ec2InstanceId: `i-${id.slice(0, 17)}`,
        resources: normaliseResources([{ name: 'CPU', type: 'INTEGER', integerValue: o.cpu }, { name: 'MEMORY', type: 'INTEGER', integerValue: o.memory }]),
        attributes: [{ name: 'ecs.availability-zone', value: zone }, { name: 'ecs.instance-type', value: 'simulated.large' }, { name: 'ecs.os-type', value: 'linux' }, { name: 'ecs.cpu-architecture', value: 'x86_64' }],
        tags: [],
      }, now);
      instances.push({ arn: record.containerInstanceArn, zone });
      ops.push({ type: 'put', key: keys.containerInstance(scope, cluster, id), value: JSON.stringify({ ...record, agentConnected: true }) });
      if (ops.length >= SEED_BATCH) await store.txn({ ops: ops.splice(0) });
    }
    for (let n = 0; n < o.tasks; n++) {
      const id = randomBytes(16).toString('hex');
      const inst = instances[n % instances.length]!;
      const t = newTask({
        scope, clusterName: cluster, id, containerIds: [randomUUID()], taskDefinition: td, overrides: {},
        containerInstanceArn: inst.arn, availabilityZone: inst.zone, cpuArchitecture: 'x86_64', group: `family:${o.family}`,
        startedBy: 'berth-bench-seed', tags: [], launchType: 'EC2', enableExecuteCommand: false, attachments: [], nowSeconds: now,
      });
      ops.push({ type: 'put', key: keys.task(scope, cluster, id), value: JSON.stringify({ ...t, lastStatus: 'RUNNING', startedAt: now }) });
      if (ops.length >= SEED_BATCH) await store.txn({ ops: ops.splice(0) });
    }
    if (ops.length) await store.txn({ ops });
    return { taskDefinitionArn: td.taskDefinitionArn };
  } finally {
    await store.close();
  }
}
