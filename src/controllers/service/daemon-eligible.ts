/**
 * Which ACTIVE instances a DAEMON service wants a task on: ECS places "one task on each
 * active container instance that meets all of the task placement constraints", so an
 * instance its memberOf expressions exclude is neither counted in the desired count nor
 * launched on (else the placer refuses the launch, and the service never settles).
 *
 * Only expressions over the instance itself are read here (attributes, ids, registeredAt,
 * agent): those that read the tasks on an instance (task:group, runningTasksCount) change
 * as tasks come and go, and are left to the placer, which checks them at launch.
 */
import type { InstanceState } from '../../cluster/types.ts';
import type { PlacementConstraint } from '../../core/ecs/placement.ts';
import { compileQuery, type Predicate } from '../../scheduler/query/evaluate.ts';
import type { PlacementInstance } from '../../scheduler/types.ts';

export type Eligible = (instance: InstanceState) => boolean;

export function daemonEligibility(constraints: readonly PlacementConstraint[]): Eligible {
  const tests: Predicate[] = [];
  for (const c of constraints) {
    if (c.type !== 'memberOf' || c.expression === undefined) continue;
    const q = compileQuery(c.expression);
    if (!q.readsTasks) tests.push(q.test);
  }
  if (tests.length === 0) return () => true;
  return (i) => {
    const view = attributesView(i);
    return tests.every((t) => t(view));
  };
}

/** The instance as the query language reads it; resources and tasks play no part in these expressions. */
function attributesView(i: InstanceState): PlacementInstance {
  const r = i.record;
  const arn = r.containerInstanceArn;
  return {
    arn, id: arn.slice(arn.lastIndexOf('/') + 1), ec2InstanceId: r.ec2InstanceId,
    ...(r.versionInfo.agentVersion !== undefined && { agentVersion: r.versionInfo.agentVersion }),
    status: r.status, agentConnected: r.agentConnected, registeredAt: r.registeredAt,
    attributes: new Map(r.attributes.map((a) => [a.name, a.value])),
    cpu: 0, memory: 0, eni: 0, portsInUse: new Set(), groups: new Map(), taskCount: 0,
  };
}
