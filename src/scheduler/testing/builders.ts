/**
 * Fixture builders so a placement test reads as a story:
 *   instance('a').cpu(4096).memory(8192).az('us-east-1a').attr('stack', 'prod')
 *   request().count(3).cpu(512).spread('attribute:ecs.availability-zone')
 * Each builder is immutable-by-use (build() copies) and has ECS-like defaults: an ACTIVE
 * instance with a connected agent, 2048 CPU units, 4096 MiB, the agent's reserved ports.
 */
import type { InstanceStatus, KubeNodeFields, NodeTaint } from '../../core/ecs/container-instance.ts';
import { CLUSTER_ATTRIBUTE, NODEGROUP_ATTRIBUTE } from '../../core/eks/nodegroup.ts';
import type { PlacementConstraint, PlacementInstance, PlacementRequest, PlacementStrategy, PodPlacement } from '../types.ts';

export const ACCOUNT_PREFIX = 'arn:aws:ecs:us-east-1:000000000000:container-instance/test/';

export class InstanceBuilder {
  private readonly i: {
    arn: string; id: string; status: InstanceStatus; agentConnected: boolean; registeredAt: number;
    attributes: Map<string, string | undefined>; capacityProvider?: string; cpu: number; memory: number; eni: number;
    portsInUse: Set<string>; groups: Map<string, number>; taskCount: number; pods?: number; ec2InstanceId?: string; agentVersion?: string;
    kubeNode?: KubeNodeFields;
  };

  constructor(id: string) {
    this.i = {
      arn: ACCOUNT_PREFIX + id, id, status: 'ACTIVE', agentConnected: true, registeredAt: 1_700_000_000,
      attributes: new Map([['ecs.os-type', 'linux']]), cpu: 2048, memory: 4096, eni: 3,
      portsInUse: new Set(['22/tcp', '2375/tcp', '2376/tcp', '51678/tcp', '51679/tcp']), groups: new Map(), taskCount: 0,
    };
  }

  cpu(n: number): this { this.i.cpu = n; return this; }
  memory(n: number): this { this.i.memory = n; return this; }
  eni(n: number): this { this.i.eni = n; return this; }
  az(zone: string): this { return this.attr('ecs.availability-zone', zone); }
  type(instanceType: string): this { return this.attr('ecs.instance-type', instanceType); }
  attr(name: string, value?: string): this { this.i.attributes.set(name, value); return this; }
  port(...ports: string[]): this { for (const p of ports) this.i.portsInUse.add(p); return this; }
  status(s: InstanceStatus): this { this.i.status = s; return this; }
  disconnected(): this { this.i.agentConnected = false; return this; }
  registeredAt(epochSeconds: number): this { this.i.registeredAt = epochSeconds; return this; }
  provider(name: string): this { this.i.capacityProvider = name; return this; }
  ec2(id: string): this { this.i.ec2InstanceId = id; return this; }
  agentVersion(v: string): this { this.i.agentVersion = v; return this; }
  /** A node of EKS cluster `cluster` (uid `uid-<cluster>`), claimed by node group `nodegroup`. */
  node(cluster: string, nodegroup = 'workers'): this { return this.attr(CLUSTER_ATTRIBUTE, cluster).attr(NODEGROUP_ATTRIBUTE, nodegroup); }
  /** Its node's taints, as `kubectl taint` writes them (of the cluster it is a node of). */
  taint(...taints: NodeTaint[]): this { this.i.kubeNode = { clusterUid: this.clusterUid(), ...this.i.kubeNode, taints: [...(this.i.kubeNode?.taints ?? []), ...taints] }; return this; }
  /** Cordoned, as `kubectl cordon` writes it. */
  cordon(): this { this.i.kubeNode = { clusterUid: this.clusterUid(), ...this.i.kubeNode, unschedulable: true }; return this; }
  private clusterUid(): string { return `uid-${this.i.attributes.get(CLUSTER_ATTRIBUTE) ?? ''}`; }
  /** `n` running tasks of `group` (they count towards taskCount too). */
  tasks(group: string, n = 1): this {
    this.i.groups.set(group, (this.i.groups.get(group) ?? 0) + n);
    this.i.taskCount += n;
    return this;
  }

  /** `n` running pods (each its own `pod:` group; they count towards taskCount and the node's pods). */
  pods(n: number): this {
    for (let k = 0; k < n; k++) this.i.groups.set(`pod:default/p${(this.i.pods ?? 0) + k}`, 1);
    this.i.pods = (this.i.pods ?? 0) + n;
    this.i.taskCount += n;
    return this;
  }

  build(): PlacementInstance {
    return { ...this.i, attributes: new Map(this.i.attributes), portsInUse: new Set(this.i.portsInUse), groups: new Map(this.i.groups) };
  }
}

export const instance = (id: string): InstanceBuilder => new InstanceBuilder(id);
export const arnOf = (id: string): string => ACCOUNT_PREFIX + id;

export class RequestBuilder {
  private readonly r: {
    count: number; group: string; cpu: number; memory: number; ports: string[]; eni: boolean;
    required: { name: string; value?: string }[]; constraints: PlacementConstraint[]; strategy: PlacementStrategy[];
    targets?: string[]; capacityProvider?: string; pod?: PodPlacement;
  } = { count: 1, group: 'family:app', cpu: 0, memory: 0, ports: [], eni: false, required: [], constraints: [], strategy: [] };

  count(n: number): this { this.r.count = n; return this; }
  group(g: string): this { this.r.group = g; return this; }
  cpu(n: number): this { this.r.cpu = n; return this; }
  memory(n: number): this { this.r.memory = n; return this; }
  port(...ports: string[]): this { this.r.ports.push(...ports); return this; }
  awsvpc(): this { this.r.eni = true; return this; }
  requires(name: string, value?: string): this { this.r.required.push(value === undefined ? { name } : { name, value }); return this; }
  distinctInstance(): this { this.r.constraints.push({ type: 'distinctInstance' }); return this; }
  memberOf(expression: string): this { this.r.constraints.push({ type: 'memberOf', expression }); return this; }
  binpack(field: 'cpu' | 'memory'): this { this.r.strategy.push({ type: 'binpack', field }); return this; }
  spread(field: string): this { this.r.strategy.push({ type: 'spread', field }); return this; }
  random(): this { this.r.strategy.push({ type: 'random' }); return this; }
  strategies(list: readonly PlacementStrategy[]): this { this.r.strategy.push(...list); return this; }
  targets(...refs: string[]): this { this.r.targets = refs; return this; }
  provider(name: string): this { this.r.capacityProvider = name; return this; }
  /** A pod of EKS cluster `cluster` (uid `uid-<cluster>`, region us-east-1) with these node rules. */
  pod(cluster: string, spec: PodPlacement['spec'] = {}): this { this.r.pod = { clusterName: cluster, clusterUid: `uid-${cluster}`, region: 'us-east-1', spec }; return this; }

  build(): PlacementRequest {
    const r = this.r;
    return {
      count: r.count, group: r.group, constraints: [...r.constraints], strategy: [...r.strategy],
      // A pod takes a pod slot of its node, as placer-pods.ts asks.
      demand: { cpu: r.cpu, memory: r.memory, ports: [...r.ports], eni: r.eni, requiredAttributes: [...r.required], ...(r.pod !== undefined && { pod: true }) },
      ...(r.targets && { targets: [...r.targets] }),
      ...(r.capacityProvider !== undefined && { capacityProvider: r.capacityProvider }),
      ...(r.pod !== undefined && { pod: r.pod }),
    };
  }
}

export const request = (): RequestBuilder => new RequestBuilder();
