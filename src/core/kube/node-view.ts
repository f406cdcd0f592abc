/**
 * A worker node as Kubernetes shows it (core/v1 Node), as a view of a container instance: the
 * same host serves ECS tasks and pods. Labels are the well-known ones EKS nodes carry (zone,
 * instance type, architecture, node group) and the instance's custom ECS attributes (so
 * `memberOf(attribute:disktype == ssd)` and a nodeSelector `disktype: ssd` pick the same
 * hosts); capacity is what the agent registered; `Ready` follows the agent's session;
 * annotations, taints and the cordon are the instance's `kubeNode` fields; its InternalIP
 * is the address the host's agent gave at hello (`agentAddress`); a DRAINING
 * instance is a cordoned node. Pure.
 */
import { createHash } from 'node:crypto';
import { isCustom, type ContainerInstanceRecord, type NodeTaint } from '../ecs/container-instance.ts';
import { CLUSTER_ATTRIBUTE, NODEGROUP_ATTRIBUTE } from '../eks/nodegroup.ts';
import { labelErrors } from './names.ts';

/** Pods per node: the kubelet's default max-pods, the node's capacity.pods; the pod placer counts pods against it (scheduler/pod-fit.ts). */
export const MAX_PODS = 110;
/** The kubelet's port, as nodes advertise it (Berth's agent serves pods' logs and exec through the control plane). */
const KUBELET_PORT = 10250;
/** The annotation naming the instance a node is (derived: a write cannot change it). */
export const INSTANCE_ANNOTATION = 'berth.dev/container-instance-arn';
/** The taint of a cordoned node, as the node lifecycle controller adds it. */
export const UNSCHEDULABLE_TAINT = 'node.kubernetes.io/unschedulable';

export interface NodeFacts {
  /** The EKS cluster's Kubernetes version ("1.32"): the kubelet version the node reports. */
  readonly version: string;
  readonly region: string;
  /** The EKS cluster's name and uid: whose node it is. */
  readonly clusterName: string;
  readonly clusterUid: string;
  /** Now (epoch ms): a connected agent's heartbeat (its session is live now). */
  readonly now: number;
}

export interface NodeObject {
  apiVersion: 'v1';
  kind: 'Node';
  metadata: { name: string; uid: string; resourceVersion?: string; labels: Record<string, string>; annotations: Record<string, string>; creationTimestamp: string };
  spec: { providerID: string; unschedulable?: boolean; taints?: NodeTaint[] };
  status: Record<string, unknown> & { conditions: { type: string; status: string; reason: string }[] };
}

const ARCH: Record<string, string> = { x86_64: 'amd64', amd64: 'amd64', arm64: 'arm64', aarch64: 'arm64' };
const attr = (ci: Pick<ContainerInstanceRecord, 'attributes'>, name: string) => ci.attributes.find((a) => a.name === name)?.value;
/** RFC 3339 at seconds, as metav1.Time serializes. */
const time = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The node's name: the instance id, a valid DNS label, stable for the instance's life. */
export function nodeName(ci: Pick<ContainerInstanceRecord, 'ec2InstanceId'>): string {
  return ci.ec2InstanceId.toLowerCase();
}

/** Whether the instance is a node of the EKS cluster: claimed by one of its node groups, not deregistered. */
export function isNodeOf(ci: ContainerInstanceRecord, clusterName: string): boolean {
  return ci.status !== 'INACTIVE' && attr(ci, CLUSTER_ATTRIBUTE) === clusterName && attr(ci, NODEGROUP_ATTRIBUTE) !== undefined;
}

/** A stable uid per cluster and instance, UUID-shaped (the same host in another cluster is another node). */
export function nodeUid(clusterUid: string, instanceArn: string): string {
  const h = createHash('sha256').update(`${clusterUid}\n${instanceArn}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The labels Berth derives from the instance (a write cannot change them). */
export function derivedLabels(ci: NodeRecordPart, facts: Pick<NodeFacts, 'region'>): Record<string, string> {
  const name = nodeName(ci);
  const zone = attr(ci, 'ecs.availability-zone');
  const instanceType = attr(ci, 'ecs.instance-type');
  const arch = archOf(ci);
  const nodegroup = attr(ci, NODEGROUP_ATTRIBUTE);
  return {
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': arch,
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': arch,
    'topology.kubernetes.io/region': facts.region,
    ...(zone !== undefined && { 'topology.kubernetes.io/zone': zone, 'failure-domain.beta.kubernetes.io/zone': zone }),
    ...(instanceType !== undefined && { 'node.kubernetes.io/instance-type': instanceType, 'beta.kubernetes.io/instance-type': instanceType }),
    ...(nodegroup !== undefined && { [NODEGROUP_ATTRIBUTE]: nodegroup, 'eks.amazonaws.com/capacityType': 'ON_DEMAND' }),
  };
}

/**
 * Whether an attribute is shown as a label (and so written by label edits): a custom attribute
 * (isCustom) that is a valid label, other than the node group's own and the derived ones.
 */
export function isLabelAttribute(a: { name: string; value?: string }, derived: Readonly<Record<string, string>>): boolean {
  return isCustom(a.name) && a.name !== NODEGROUP_ATTRIBUTE && a.name !== CLUSTER_ATTRIBUTE && !(a.name in derived) && labelErrors({ [a.name]: a.value ?? '' }).length === 0;
}

function archOf(ci: Pick<ContainerInstanceRecord, 'attributes'>): string {
  return ARCH[attr(ci, 'ecs.cpu-architecture') ?? 'x86_64'] ?? 'amd64';
}

/** The instance's kube-side fields, when they are this cluster's. */
export function kubeFieldsOf(ci: Pick<ContainerInstanceRecord, 'kubeNode'>, clusterUid: string): NonNullable<ContainerInstanceRecord['kubeNode']> | undefined {
  return ci.kubeNode?.clusterUid === clusterUid ? ci.kubeNode : undefined;
}

/** What of an instance record decides its node's labels, taints and cordon. */
export type NodeRecordPart = Pick<ContainerInstanceRecord, 'ec2InstanceId' | 'attributes' | 'status' | 'kubeNode'>;

/** What the scheduler's node filters read of a node (core/kube/pod/node-fit.ts): the same labels, taints and cordon nodeView shows. */
export interface SchedulingFacts {
  readonly name: string;
  readonly labels: Record<string, string>;
  /** Cordoned (kubectl cordon) or DRAINING in ECS. */
  readonly unschedulable: boolean;
  /** The node's taints, the cordon's own (node.kubernetes.io/unschedulable) included when cordoned. */
  readonly taints: NodeTaint[];
}

/** The node's labels, taints and cordon as nodeView shows them, without the rest of the view (a placement check per candidate). */
export function schedulingFacts(ci: NodeRecordPart, facts: Pick<NodeFacts, 'region' | 'clusterUid'>, timeAdded?: string): SchedulingFacts {
  const derived = derivedLabels(ci, facts);
  const custom = Object.fromEntries(ci.attributes.filter((a) => isLabelAttribute(a, derived)).map((a) => [a.name, a.value ?? '']));
  const kube = kubeFieldsOf(ci, facts.clusterUid);
  // A draining instance takes no new tasks: a cordoned node, as `kubectl cordon` makes one.
  const unschedulable = kube?.unschedulable === true || ci.status === 'DRAINING';
  const taints = [
    ...(kube?.taints ?? []).filter((t) => t.key !== UNSCHEDULABLE_TAINT),
    ...(unschedulable ? [{ key: UNSCHEDULABLE_TAINT, effect: 'NoSchedule' as const, ...(timeAdded !== undefined && { timeAdded }) }] : []),
  ];
  return { name: nodeName(ci), labels: { ...custom, ...derived }, unschedulable, taints };
}

/** The node the instance is, at the record's `modRevision` (its resourceVersion) when given. */
export function nodeView(ci: ContainerInstanceRecord, facts: NodeFacts, modRevision?: number): NodeObject {
  const zone = attr(ci, 'ecs.availability-zone');
  const arch = archOf(ci);
  const kube = kubeFieldsOf(ci, facts.clusterUid);
  const registered = (r: string) => ci.registeredResources.find((x) => x.name === r)?.integerValue ?? 0;
  const capacity = { cpu: cpuQuantity(registered('CPU')), memory: `${registered('MEMORY') * 1024}Ki`, pods: String(MAX_PODS), 'ephemeral-storage': '20959212Ki' };
  const connected = ci.agentConnected && (ci.status === 'ACTIVE' || ci.status === 'DRAINING');
  // registeredAt is epoch seconds (the ECS wire's); the disconnect time epoch ms (Berth's own).
  const registeredAt = time(ci.registeredAt * 1000);
  const heartbeat = time(connected ? facts.now : (ci.agentDisconnectedAt ?? ci.registeredAt * 1000));
  const condition = (type: string, status: string, reason: string, message: string) =>
    ({ type, status, lastHeartbeatTime: heartbeat, lastTransitionTime: connected ? registeredAt : heartbeat, reason, message });
  const unknown = (type: string) => condition(type, 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.');
  const { name, labels, unschedulable, taints } = schedulingFacts(ci, facts, registeredAt);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      uid: nodeUid(facts.clusterUid, ci.containerInstanceArn),
      ...(modRevision !== undefined && { resourceVersion: String(modRevision) }),
      labels,
      annotations: { ...kube?.annotations, [INSTANCE_ANNOTATION]: ci.containerInstanceArn },
      creationTimestamp: registeredAt,
    },
    spec: {
      providerID: `aws:///${zone ?? facts.region}/${ci.ec2InstanceId}`,
      ...(unschedulable && { unschedulable: true }),
      ...(taints.length > 0 && { taints }),
    },
    status: {
      capacity,
      allocatable: capacity,
      conditions: connected
        ? [
          condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
          condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
          condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
          condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
        ]
        : ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'].map(unknown),
      // The host's address as its agent said it at hello (agentAddress), then its name, as a kubelet reports them.
      addresses: [...(ci.agentAddress !== undefined ? [{ type: 'InternalIP', address: ci.agentAddress }] : []), { type: 'Hostname', address: name }],
      daemonEndpoints: { kubeletEndpoint: { Port: KUBELET_PORT } },
      nodeInfo: {
        machineID: ci.ec2InstanceId,
        systemUUID: ci.ec2InstanceId,
        bootID: ci.containerInstanceArn.slice(ci.containerInstanceArn.lastIndexOf('/') + 1),
        kernelVersion: ci.versionInfo.kernelVersion ?? '',
        osImage: ci.versionInfo.osImage ?? 'Linux',
        containerRuntimeVersion: `berth://${ci.versionInfo.agentVersion ?? ''}`,
        kubeletVersion: `v${facts.version}.0-eks-berth`,
        kubeProxyVersion: `v${facts.version}.0-eks-berth`,
        operatingSystem: 'linux',
        architecture: arch,
      },
    },
  };
}

/** CPU units as a Kubernetes quantity: whole CPUs as a plain number, else millicores. */
export function cpuQuantity(units: number): string {
  return units % 1024 === 0 ? String(units / 1024) : `${Math.floor((units * 1000) / 1024)}m`;
}
