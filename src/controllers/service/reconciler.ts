/**
 * The service reconciler (issue 14, parts 3–5): every service of a cluster, every pass.
 * Pure: the snapshot, `now` and the ids it is given are all it knows. See README.md.
 *
 * A service whose last pass was quiet (no action, no message) is not passed again while
 * its record, its group's tasks (`groupVersion`) and the cluster's instances are the ones
 * that pass read and its `wakeAt` has not come: the pass would be the same, and a cluster of
 * 100 services of 1,000 tasks took ~240 ms per pass on every change of any task.
 */
import type { ClusterSnapshot, InstanceState } from '../../cluster/types.ts';
import type { Action, Reconciler, ReconcileResult } from '../types.ts';
import type { Ids } from './actions.ts';
import { DEPLOYMENT_ID_PREFIX, serviceGroup } from './counts.ts';
import { servicePass } from './service-pass.ts';
import { taskSetPass } from './task-sets.ts';

export type { Ids } from './actions.ts';

/**
 * Clusters whose services' quiet passes are remembered (one entry per service of each,
 * replaced every pass); past it the least recently passed cluster is forgotten, which only
 * costs it full passes again. ECS's default quota is 10,000 clusters per Region.
 */
export const QUIET_CLUSTERS = 10_000;

/** What a quiet pass read: passing the service again on the same gives the same nothing. */
interface Quiet {
  readonly modRevision: number;
  readonly groupVersion: number;
  readonly instances: readonly InstanceState[];
  /** Its wakeAt (epoch ms), or Infinity. */
  readonly until: number;
}

export function createServiceReconciler(ids: Ids): Reconciler {
  const quiet = new Map<string, Map<string, Quiet>>();
  return {
    name: 'service',
    reconcile(snapshot: ClusterSnapshot, now: number): ReconcileResult {
      const clusterKey = `${snapshot.scope.account}/${snapshot.scope.region}/${snapshot.cluster}`;
      const before = quiet.get(clusterKey);
      const after = new Map<string, Quiet>();
      let instances: Map<string, InstanceState> | undefined;
      const actions: Action[] = [];
      let wakeAt: number | undefined;
      const wake = (at: number | undefined) => { if (at !== undefined && at !== Infinity && (wakeAt === undefined || at < wakeAt)) wakeAt = at; };
      for (const held of snapshot.services) {
        const group = serviceGroup(held.value.serviceName);
        const groupVersion = snapshot.groupVersion(group);
        const q = before?.get(held.key);
        if (q && q.modRevision === held.modRevision && q.groupVersion === groupVersion && q.instances === snapshot.instances && now < q.until) {
          after.set(held.key, q);
          wake(q.until);
          continue;
        }
        instances ??= new Map(snapshot.instances.map((i) => [i.record.containerInstanceArn, i]));
        // Each service's own tasks, by the group index: a pass costs the services' tasks,
        // not every task of the cluster (100,000 standalone tasks cost nothing here).
        // In the group already: only whether a deployment started it is left to check (isServiceTask).
        const tasks = snapshot.tasksWhere({ group }).filter((t) => t.startedBy?.startsWith(DEPLOYMENT_ID_PREFIX) === true);
        // EXTERNAL services run task sets (task-sets.ts); the others, deployments.
        const pass = held.value.deploymentController.type === 'EXTERNAL'
          ? taskSetPass(snapshot, held, tasks, instances, now, ids)
          : servicePass(snapshot, held, tasks, instances, now, ids);
        actions.push(...pass.actions);
        wake(pass.wakeAt);
        if (pass.quiet) after.set(held.key, { modRevision: held.modRevision, groupVersion, instances: snapshot.instances, until: pass.wakeAt ?? Infinity });
      }
      quiet.delete(clusterKey);
      quiet.set(clusterKey, after);
      if (quiet.size > QUIET_CLUSTERS) quiet.delete(quiet.keys().next().value!);
      return { actions, ...(wakeAt !== undefined && { wakeAt }) };
    },
  };
}
