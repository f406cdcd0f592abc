/**
 * The service reconciler (issue 14, parts 3–5): every service of a cluster, every pass.
 * Pure: the snapshot, `now` and the ids it is given are all it knows. See README.md.
 */
import type { ClusterSnapshot, InstanceState } from '../../cluster/types.ts';
import type { Action, Reconciler, ReconcileResult } from '../types.ts';
import type { Ids } from './actions.ts';
import { DEPLOYMENT_ID_PREFIX, serviceGroup } from './counts.ts';
import { servicePass } from './service-pass.ts';

export type { Ids } from './actions.ts';

export function createServiceReconciler(ids: Ids): Reconciler {
  return {
    name: 'service',
    reconcile(snapshot: ClusterSnapshot, now: number): ReconcileResult {
      const instances = new Map<string, InstanceState>(snapshot.instances.map((i) => [i.record.containerInstanceArn, i]));
      const actions: Action[] = [];
      let wakeAt: number | undefined;
      for (const held of snapshot.services) {
        // Each service's own tasks, by the group index: a pass costs the services' tasks,
        // not every task of the cluster (100,000 standalone tasks cost nothing here).
        // In the group already: only whether a deployment started it is left to check (isServiceTask).
        const tasks = snapshot.tasksWhere({ group: serviceGroup(held.value.serviceName) }).filter((t) => t.startedBy?.startsWith(DEPLOYMENT_ID_PREFIX) === true);
        const pass = servicePass(snapshot, held, tasks, instances, now, ids);
        actions.push(...pass.actions);
        if (pass.wakeAt !== undefined && (wakeAt === undefined || pass.wakeAt < wakeAt)) wakeAt = pass.wakeAt;
      }
      return { actions, ...(wakeAt !== undefined && { wakeAt }) };
    },
  };
}
