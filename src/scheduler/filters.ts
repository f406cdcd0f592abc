/**
 * Filters: the checks an instance must pass to take a task, each naming the failure reason
 * ECS reports when it does not ("API failure reasons" in the ECS developer guide). They
 * run in ECS's order (status and agent, then the task definition's attributes, then
 * resources: CPU, memory, ports, ENIs), and an instance's failure is the first that rules
 * it out. Constraints (constraints.ts) are filters too, built from the request.
 */
import { podCapacity, podNodeFailure } from './pod-fit.ts';
import type { Slot } from './slot.ts';
import type { Demand, FailureReason, PodPlacement } from './types.ts';

/** One check; `dynamic` ones are re-run on the instance a task was just placed on, static ones once per request. */
export interface Filter {
  readonly name: string;
  readonly reason: FailureReason;
  readonly dynamic: boolean;
  admits(slot: Slot): boolean;
}

/** Status: only ACTIVE instances take tasks; DRAINING ones keep what they run and get nothing new. */
export const activeFilter: Filter = {
  name: 'status', reason: 'INACTIVE', dynamic: false,
  admits: (s) => s.instance.status === 'ACTIVE',
};

/** A disconnected agent would leave the task PENDING; ECS refuses it at once. */
export const agentFilter: Filter = {
  name: 'agent', reason: 'AGENT', dynamic: false,
  admits: (s) => s.instance.agentConnected,
};

/** The task definition's requiresAttributes: the attribute must exist, and equal the value when one is given. */
export function attributesFilter(required: Demand['requiredAttributes']): Filter {
  return {
    name: 'attributes', reason: 'ATTRIBUTE', dynamic: false,
    admits: (s) => required.every((a) => s.instance.attributes.has(a.name) && (a.value === undefined || s.instance.attributes.get(a.name) === a.value)),
  };
}

/**
 * A pod's node rules (pod-fit.ts): cordon, nodeName, nodeSelector and required node affinity,
 * taints. Static: they read the node's labels and taints, which no placement changes.
 */
export function podNodeFilter(pod: PodPlacement): Filter {
  return { name: 'node', reason: 'NODE', dynamic: false, admits: (s) => podNodeFailure(s.instance, pod) === undefined };
}

/** A pod takes one of its node's pod slots (NodeResourcesFit's pod count), never an ENI slot. */
export function podsFilter(): Filter {
  return { name: 'pods', reason: 'RESOURCE:PODS', dynamic: true, admits: (s) => s.pods < podCapacity(s.instance) };
}

export function cpuFilter(demand: Demand): Filter {
  return { name: 'cpu', reason: 'RESOURCE:CPU', dynamic: true, admits: (s) => s.cpu >= demand.cpu };
}

export function memoryFilter(demand: Demand): Filter {
  return { name: 'memory', reason: 'RESOURCE:MEMORY', dynamic: true, admits: (s) => s.memory >= demand.memory };
}

/** Static host ports, "port/tcp" and "port/udp" apart; dynamic host ports (0) never collide. */
export function portsFilter(demand: Demand): Filter {
  return { name: 'ports', reason: 'RESOURCE:PORTS', dynamic: true, admits: (s) => demand.ports.every((p) => !s.portInUse(p)) };
}

/** awsvpc: each task attaches one network interface, and an instance has a bounded number of slots. */
export function eniFilter(demand: Demand): Filter {
  return { name: 'eni', reason: 'RESOURCE:ENI', dynamic: true, admits: (s) => !demand.eni || s.eni >= 1 };
}

/**
 * The built-in filters for a demand, in ECS's order (a pod's node rules before resources, as
 * kube-scheduler checks them). Checks that cannot fail for this demand are left out.
 */
export function filtersFor(demand: Demand, pod?: PodPlacement): Filter[] {
  const out: Filter[] = [activeFilter, agentFilter];
  if (demand.requiredAttributes.length > 0) out.push(attributesFilter(demand.requiredAttributes));
  if (pod) out.push(podNodeFilter(pod));
  if (demand.pod) out.push(podsFilter());
  out.push(cpuFilter(demand), memoryFilter(demand));
  if (demand.ports.length > 0) out.push(portsFilter(demand));
  if (demand.eni) out.push(eniFilter(demand));
  return out;
}
