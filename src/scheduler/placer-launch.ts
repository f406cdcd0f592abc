/**
 * The placer's steps on a cluster's own instances (an EC2 launch, RunTask or StartTask or a
 * service's): the capacity provider split, each share placed on the cluster's session, a
 * task built per placement. Pure over the session; the placer commits (placer.ts), as the
 * pool's steps are for Fargate launches (placer-pool.ts).
 */
import type { ClusterRecord } from '../core/ecs/cluster.ts';
import type { TaskRecord } from '../core/ecs/task.ts';
import type { TaskDefinitionRecord } from '../core/ecs/task-definition.ts';
import { resolveStrategy, runningByProvider, splitLaunch, type ProviderTask } from './capacity-strategy.ts';
import type { Launch } from './launch.ts';
import { buildTask, requestOf } from './placer-build.ts';
import type { PlacerDeps } from './placer-deps.ts';
import type { PlacementSession } from './session.ts';
import type { Failure } from './types.ts';

/**
 * The tasks one launch starts, placed on the cluster's session (which takes them out of its
 * copy): with a capacity provider strategy (the request's, else the cluster's default),
 * ECS's base/weight split decides how many go to each provider, each share placed on that
 * provider's instances. The instances placed on are added to `touched`.
 */
export function planLaunch(deps: PlacerDeps, session: PlacementSession, touched: Set<string>, l: Launch, td: TaskDefinitionRecord, groupTasks: Iterable<ProviderTask>, cluster: ClusterRecord): { tasks: TaskRecord[]; failures: Failure[] } {
  const request = requestOf(l, td);
  const resolved = l.targets ? undefined : resolveStrategy({ ...(l.launchType !== undefined && { launchType: l.launchType }), ...(l.capacityProviderStrategy !== undefined && { capacityProviderStrategy: l.capacityProviderStrategy }) }, cluster);
  const shares = resolved?.kind === 'strategy'
    ? splitLaunch(resolved.strategy, request.count, runningByProvider(groupTasks, request.group)).map((s) => ({ ...request, count: s.count, capacityProvider: s.capacityProvider }))
    : [request];
  const launchType = resolved?.launchType ?? l.launchType ?? 'EC2';
  const ref = { scope: l.scope, cluster: l.cluster };
  const tasks: TaskRecord[] = [];
  const failures: Failure[] = [];
  for (const share of shares) {
    const plan = session.place(share, l.now, deps.rng);
    for (const arn of plan.placements) {
      touched.add(arn);
      // The state's view of the instance: its attributes and provider (what a task records of
      // it) are the same in the session's copy, which differs only in what is left.
      const instance = deps.state.placementInstance(ref, arn);
      // Not an ApiError: the batch drops the session, which reopens from the snapshot.
      if (!instance) throw new Error(`placer: the session placed on ${arn}, which the cluster state no longer has`);
      tasks.push(buildTask({ ...l, launchType }, td, instance, share.group, deps.ids));
    }
    failures.push(...plan.failures);
  }
  return { tasks, failures };
}
