/**
 * The service reconciler (issue 14, parts 3–5): every service of a cluster, every pass.
 * Pure: the snapshot, `now` and the ids it is given are all it knows. See README.md.
 */
import type { ClusterSnapshot, InstanceState, TaskSummary } from '../../cluster/types.ts';
import type { Action, Reconciler, ReconcileResult } from '../types.ts';
import type { Ids } from './actions.ts';
import { isServiceTask, serviceGroup } from './counts.ts';
import { servicePass } from './service-pass.ts';
import { taskSetPass } from './task-sets.ts';

export type { Ids } from './actions.ts';

export function createServiceReconciler(ids: Ids): Reconciler {
  return {
    name: 'service',
    reconcile(snapshot: ClusterSnapshot, now: number): ReconcileResult {
      const instances = new Map<string, InstanceState>(snapshot.instances.map((i) => [i.record.containerInstanceArn, i]));
      const byGroup = new Map<string, TaskSummary[]>();
      for (const t of snapshot.tasks) {
        if (!isServiceTask(t)) continue;
        const list = byGroup.get(t.group);
        if (list) list.push(t);
        else byGroup.set(t.group, [t]);
      }
      const actions: Action[] = [];
      let wakeAt: number | undefined;
      for (const held of snapshot.services) {
        const tasks = byGroup.get(serviceGroup(held.value.serviceName)) ?? [];
        // EXTERNAL services run task sets (task-sets.ts); the others, deployments.
        const pass = held.value.deploymentController.type === 'EXTERNAL'
          ? taskSetPass(snapshot, held, tasks, instances, now, ids)
          : servicePass(snapshot, held, tasks, instances, now, ids);
        actions.push(...pass.actions);
        if (pass.wakeAt !== undefined && (wakeAt === undefined || pass.wakeAt < wakeAt)) wakeAt = pass.wakeAt;
      }
      return { actions, ...(wakeAt !== undefined && { wakeAt }) };
    },
  };
}
