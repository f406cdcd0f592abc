/**
 * A Fargate node (core/v1 Node) as a view of the one pod it runs: EKS gives each Fargate pod
 * a node of its own, named by the pod's address, labelled `eks.amazonaws.com/compute-type:
 * fargate` and tainted so that nothing else is scheduled there, gone with the pod. Berth keeps
 * no record of it: it is computed from the pod's task (its placement on the Fargate pool, its
 * address, its Fargate size), so it can never disagree with the pod. Pure.
 *
 *   pod task (launchType FARGATE, placed, address known) ─▶ fargatePodNode ─▶ { name, ip }   (the pod's spec.nodeName, hostIP)
 *                                                        └▶ fargateNodeView ─▶ Node          (kubectl get nodes)
 */
import type { NodeTaint } from '../ecs/container-instance.ts';
import type { TaskSpec } from '../workload/spec.ts';
import type { TaskStatus } from '../workload/status.ts';
import { cpuQuantity, nodeUid, type NodeFacts, type NodeObject } from './node-view.ts';
import { CAPACITY_ANNOTATION, COMPUTE_TYPE_LABEL, FARGATE_PROFILE_LABEL, fargateNodeName } from './pod/fargate.ts';
import type { PlacedFacts } from './pod/env.ts';
import { interfaceAddress, type PodNode } from './pod/status-view.ts';

/** The taint every Fargate node carries (EKS): only pods the Fargate scheduler binds there run on it. */
export const FARGATE_TAINT: NodeTaint = { key: COMPUTE_TYPE_LABEL, value: 'fargate', effect: 'NoSchedule' };

/** A Fargate node runs exactly one pod (EKS: "Fargate runs only one Pod per node"). */
const FARGATE_NODE_PODS = '1';

const time = (seconds: number): string => new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Whether the task is a pod placed on Fargate capacity (its node is a Fargate node). */
export function isFargatePod(spec: Pick<TaskSpec, 'kube' | 'launchType' | 'placement'>): boolean {
  return spec.kube !== undefined && spec.launchType === 'FARGATE' && spec.placement.instanceArn !== undefined;
}

/**
 * The node a Fargate pod's view names (spec.nodeName, hostIP): known once the pod has its
 * address, as on EKS, where the Fargate scheduler binds the pod once its capacity (and so its
 * address) is provisioned. Undefined before, and for any other task.
 */
export function fargatePodNode(spec: Pick<TaskSpec, 'kube' | 'launchType' | 'placement'>, status: Pick<TaskStatus, 'attachments' | 'lastStatus'>, region: string): PodNode | undefined {
  if (!isFargatePod(spec) || status.lastStatus === 'STOPPED') return undefined;
  const ip = interfaceAddress(status);
  return ip === undefined ? undefined : { name: fargateNodeName(ip, region), ip };
}

/**
 * What a Fargate pod's containers read of where they run (env fieldRefs: spec.nodeName,
 * status.hostIP, a limit the node's allocatable stands in for), given the pod's address:
 * its own node, as fargatePodNode names it, sized as the pod's Fargate size. The region is
 * the pool host's (its container instance ARN's).
 */
export function fargatePlacedFacts(spec: Pick<TaskSpec, 'placement' | 'resources'>, podIP: string): PlacedFacts {
  const region = spec.placement.instanceArn?.split(':')[3] ?? '';
  const reserved = spec.resources.reserved;
  return { nodeName: fargateNodeName(podIP, region), hostIP: podIP, podIP, allocatable: { cpu: cpuQuantity(reserved.cpu), memory: `${reserved.memory * 1024}Ki` } };
}

/** The Node of a Fargate pod, when it has one (fargatePodNode); `revision`: the pod's resourceVersion. */
export function fargateNodeView(spec: TaskSpec, status: TaskStatus, facts: NodeFacts, revision?: number): NodeObject | undefined {
  const node = fargatePodNode(spec, status, facts.region);
  if (!node) return undefined;
  const zone = spec.placement.availabilityZone;
  const profile = spec.kube?.labels?.[FARGATE_PROFILE_LABEL];
  const started = time(status.startedAt ?? spec.createdAt);
  const capacity = {
    cpu: cpuQuantity(spec.resources.reserved.cpu), memory: `${spec.resources.reserved.memory * 1024}Ki`,
    pods: FARGATE_NODE_PODS, 'ephemeral-storage': '20959212Ki',
  };
  const ready = status.lastStatus === 'RUNNING';
  const condition = (type: string, ok: boolean, reason: string, message: string) =>
    ({ type, status: ok ? 'True' : 'False', lastHeartbeatTime: time(facts.now / 1000), lastTransitionTime: started, reason, message });
  const provisioned = spec.kube?.annotations?.[CAPACITY_ANNOTATION];
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      uid: nodeUid(facts.clusterUid, spec.ecs.taskArn),
      ...(revision !== undefined && { resourceVersion: String(revision) }),
      labels: {
        'kubernetes.io/hostname': node.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': 'amd64',
        'topology.kubernetes.io/region': facts.region,
        ...(zone !== undefined && { 'topology.kubernetes.io/zone': zone, 'failure-domain.beta.kubernetes.io/zone': zone }),
        [COMPUTE_TYPE_LABEL]: 'fargate',
        ...(profile !== undefined && { [FARGATE_PROFILE_LABEL]: profile }),
      },
      annotations: { ...(provisioned !== undefined && { [CAPACITY_ANNOTATION]: provisioned }) },
      creationTimestamp: started,
    },
    spec: {
      providerID: `aws:///${zone ?? facts.region}/${spec.id}/${node.name}`,
      taints: [FARGATE_TAINT],
    },
    status: {
      capacity,
      allocatable: capacity,
      conditions: [
        condition('MemoryPressure', false, 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', false, 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', false, 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        ready
          ? condition('Ready', true, 'KubeletReady', 'kubelet is posting ready status')
          : condition('Ready', false, 'KubeletNotReady', 'the pod\'s sandbox is not running'),
      ],
      addresses: [{ type: 'InternalIP', address: node.ip! }, { type: 'Hostname', address: node.name }, { type: 'InternalDNS', address: node.name }],
      nodeInfo: {
        machineID: spec.id, systemUUID: spec.id, bootID: spec.id,
        kernelVersion: '', osImage: 'Amazon Linux 2', containerRuntimeVersion: 'berth://fargate',
        kubeletVersion: `v${facts.version}.0-eks-berth`, kubeProxyVersion: `v${facts.version}.0-eks-berth`,
        operatingSystem: 'linux', architecture: 'amd64',
      },
    },
  };
}
