/**
 * The placement of this release: each task on the first instance (in a stable order)
 * that is ACTIVE, has a connected agent, has the attributes the task definition
 * requires, and has the CPU, memory and host ports left. Pure: the caller gives a
 * snapshot and gets a plan. The scheduler issue replaces this with ECS's full
 * constraints and strategies behind the same shape.
 */
export interface InstanceSnapshot {
  arn: string;
  status: string;
  agentConnected: boolean;
  /** CPU units and MiB not yet reserved by tasks. */
  cpu: number;
  memory: number;
  /** Host ports in use or reserved, "port/protocol". */
  portsInUse: ReadonlySet<string>;
  attributes: ReadonlySet<string>;
  availabilityZone?: string;
}

export interface PlacementDemand {
  cpu: number;
  memory: number;
  ports: readonly string[];
  requiredAttributes: readonly string[];
}

export type FailureReason = 'RESOURCE:CPU' | 'RESOURCE:MEMORY' | 'RESOURCE:PORTS' | 'ATTRIBUTE' | 'AGENT' | 'INACTIVE';

export interface Plan {
  /** Instance ARN for each task placed, in order. */
  placements: string[];
  /** When fewer than `count` were placed: why each instance could not take the next one. */
  failures: { arn: string; reason: FailureReason }[];
}

export function placeFirstFit(instances: readonly InstanceSnapshot[], demand: PlacementDemand, count: number): Plan {
  // Work on copies: placing a task uses up what the next placement sees.
  const pool = instances.map((i) => ({ ...i, portsInUse: new Set(i.portsInUse) }));
  const placements: string[] = [];
  for (let n = 0; n < count; n++) {
    const fit = pool.find((i) => reasonAgainst(i, demand) === undefined);
    if (!fit) {
      return { placements, failures: pool.map((i) => ({ arn: i.arn, reason: reasonAgainst(i, demand)! })) };
    }
    fit.cpu -= demand.cpu;
    fit.memory -= demand.memory;
    for (const p of demand.ports) fit.portsInUse.add(p);
    placements.push(fit.arn);
  }
  return { placements, failures: [] };
}

/** Why an instance cannot take a task, checked in the order ECS reports reasons; undefined if it can. */
function reasonAgainst(i: InstanceSnapshot, d: PlacementDemand): FailureReason | undefined {
  if (i.status !== 'ACTIVE') return 'INACTIVE';
  if (!i.agentConnected) return 'AGENT';
  if (d.requiredAttributes.some((a) => !i.attributes.has(a))) return 'ATTRIBUTE';
  if (i.cpu < d.cpu) return 'RESOURCE:CPU';
  if (i.memory < d.memory) return 'RESOURCE:MEMORY';
  if (d.ports.some((p) => i.portsInUse.has(p))) return 'RESOURCE:PORTS';
  return undefined;
}
