/**
 * A worker node as Kubernetes shows it (core/v1 Node), as a view of a container instance: the
 * same host serves ECS tasks and pods. Labels are the well-known ones EKS nodes carry (zone,
 * instance type, architecture, node group), capacity is what the agent registered, `Ready`
 * follows the agent's session, and a DRAINING instance is a cordoned node. Pure.
 */
import type { ContainerInstanceRecord } from '../ecs/container-instance.ts';

/** Pods per node: the kubelet's default (EKS raises it with prefix delegation; Berth's placer is the limit). */
export const MAX_PODS = 110;
/** The kubelet's port, as nodes advertise it (Berth's agent serves pods' logs and exec through the control plane). */
const KUBELET_PORT = 10250;

export interface NodeFacts {
  /** The EKS cluster's Kubernetes version ("1.32"): the kubelet version the node reports. */
  readonly version: string;
  readonly region: string;
  /** The node's address, when the agent reported one. */
  readonly internalIP?: string;
  /** When the agent's session was last seen (epoch ms): the conditions' heartbeat. */
  readonly heartbeatAt: number;
}

const ARCH: Record<string, string> = { x86_64: 'amd64', amd64: 'amd64', arm64: 'arm64', aarch64: 'arm64' };

/** The node's name: the instance id, a valid DNS label, stable for the instance's life. */
export function nodeName(ci: Pick<ContainerInstanceRecord, 'ec2InstanceId'>): string {
  return ci.ec2InstanceId.toLowerCase();
}

export function nodeView(ci: ContainerInstanceRecord, facts: NodeFacts) {
  const attr = (name: string) => ci.attributes.find((a) => a.name === name)?.value;
  const name = nodeName(ci);
  const zone = attr('ecs.availability-zone');
  const instanceType = attr('ecs.instance-type');
  const arch = ARCH[attr('ecs.cpu-architecture') ?? 'x86_64'] ?? 'amd64';
  const nodegroup = attr('eks.amazonaws.com/nodegroup');
  const registered = (r: string) => ci.registeredResources.find((x) => x.name === r)?.integerValue ?? 0;
  const cpu = registered('CPU');
  const memoryMiB = registered('MEMORY');
  const capacity = { cpu: cpuQuantity(cpu), memory: `${memoryMiB * 1024}Ki`, pods: String(MAX_PODS), 'ephemeral-storage': '20959212Ki' };
  const connected = ci.agentConnected && (ci.status === 'ACTIVE' || ci.status === 'DRAINING');
  const heartbeat = new Date(facts.heartbeatAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const registeredAt = new Date(ci.registeredAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const condition = (type: string, status: string, reason: string, message: string) =>
    ({ type, status, lastHeartbeatTime: heartbeat, lastTransitionTime: registeredAt, reason, message });
  const unknown = (type: string) => condition(type, 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.');
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': arch,
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': arch,
        'topology.kubernetes.io/region': facts.region,
        ...(zone !== undefined && { 'topology.kubernetes.io/zone': zone, 'failure-domain.beta.kubernetes.io/zone': zone }),
        ...(instanceType !== undefined && { 'node.kubernetes.io/instance-type': instanceType, 'beta.kubernetes.io/instance-type': instanceType }),
        ...(nodegroup !== undefined && { 'eks.amazonaws.com/nodegroup': nodegroup, 'eks.amazonaws.com/capacityType': 'ON_DEMAND' }),
      },
      annotations: { 'berth.dev/container-instance-arn': ci.containerInstanceArn },
      creationTimestamp: registeredAt,
    },
    spec: {
      providerID: `aws:///${zone ?? facts.region}/${ci.ec2InstanceId}`,
      // A draining instance takes no new tasks: a cordoned node, as `kubectl cordon` makes one.
      ...(ci.status === 'DRAINING' && { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: heartbeat }] }),
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
      addresses: [...(facts.internalIP !== undefined ? [{ type: 'InternalIP', address: facts.internalIP }] : []), { type: 'Hostname', address: name }],
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
