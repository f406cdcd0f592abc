/**
 * A Fargate node (core/v1 Node) as a view of the one pod it runs: EKS gives each Fargate pod
 * a node of its own, named by the pod's address, labelled `eks.amazonaws.com/compute-type:
 * fargate` and tainted so that nothing else is scheduled there, gone with the pod. Berth keeps
 * no record of it: it is computed from the pod's task (its placement on the Fargate pool, its
 * address, its Fargate size), so it can never disagree with the pod. Pure.
 *
 *   pod task (launchType FARGATE, placed, address known) ─▶ fargatePodNode ─▶ { name, ip }   (the pod's spec.nodeName, hostIP)
 *                                                        └▶ fargateNodeView ─▶ Node          (kubectl get nodes)
 *   a write of that Node ─▶ editFargateNode ─▶ the pod's task spec (kube.fargateNode: labels, annotations) | 422
 *
 * As on EKS, users may label and annotate a Fargate node, and what they write stays for the
 * node's life (it is kept on the pod's task, and goes with it); what EKS sets (the derived
 * labels and annotation, the taint, the provider id) cannot be changed, and the node is not
 * cordoned from Kubernetes (the Fargate scheduler binds only its own pod there).
 */
import type { NodeTaint } from '../ecs/container-instance.ts';
import type { TaskSpec } from '../workload/spec.ts';
import type { TaskStatus } from '../workload/status.ts';
import { cpuQuantity, nodeUid, type NodeFacts, type NodeObject } from './node-view.ts';
import { userAnnotations, type NodeWrite } from './node-edit.ts';
import { labelErrors, type FieldError } from './names.ts';
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

/** The labels EKS sets on a Fargate pod's node `name`. */
function derivedLabels(spec: TaskSpec, facts: NodeFacts, name: string): Record<string, string> {
  const zone = spec.placement.availabilityZone;
  const profile = spec.kube?.labels?.[FARGATE_PROFILE_LABEL];
  return {
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': 'amd64',
    'topology.kubernetes.io/region': facts.region,
    ...(zone !== undefined && { 'topology.kubernetes.io/zone': zone, 'failure-domain.beta.kubernetes.io/zone': zone }),
    [COMPUTE_TYPE_LABEL]: 'fargate',
    ...(profile !== undefined && { [FARGATE_PROFILE_LABEL]: profile }),
  };
}

/** The annotations EKS sets on a Fargate pod's node. */
function derivedAnnotations(spec: TaskSpec): Record<string, string> {
  const provisioned = spec.kube?.annotations?.[CAPACITY_ANNOTATION];
  return { ...(provisioned !== undefined && { [CAPACITY_ANNOTATION]: provisioned }) };
}

/** The Node of a Fargate pod, when it has one (fargatePodNode); `revision`: the pod's resourceVersion. */
export function fargateNodeView(spec: TaskSpec, status: TaskStatus, facts: NodeFacts, revision?: number): NodeObject | undefined {
  const node = fargatePodNode(spec, status, facts.region);
  if (!node) return undefined;
  const zone = spec.placement.availabilityZone;
  const written = spec.kube?.fargateNode;
  const started = time(status.startedAt ?? spec.createdAt);
  const capacity = {
    cpu: cpuQuantity(spec.resources.reserved.cpu), memory: `${spec.resources.reserved.memory * 1024}Ki`,
    pods: FARGATE_NODE_PODS, 'ephemeral-storage': '20959212Ki',
  };
  const ready = status.lastStatus === 'RUNNING';
  const condition = (type: string, ok: boolean, reason: string, message: string) =>
    ({ type, status: ok ? 'True' : 'False', lastHeartbeatTime: time(facts.now / 1000), lastTransitionTime: started, reason, message });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      uid: nodeUid(facts.clusterUid, spec.ecs.taskArn),
      ...(revision !== undefined && { resourceVersion: String(revision) }),
      labels: { ...written?.labels, ...derivedLabels(spec, facts, node.name) },
      annotations: { ...written?.annotations, ...derivedAnnotations(spec) },
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

const forbidden = (field: string, message: string): FieldError => ({ reason: 'FieldValueForbidden', field, message: `Forbidden: ${message}` });

/**
 * The pod's task spec after `next` is written to its Fargate node, or the field errors that
 * refuse it (undefined: the pod has no node). Status is the view's and ignored, as for hosts.
 */
export function editFargateNode(spec: TaskSpec, status: TaskStatus, facts: NodeFacts, next: NodeWrite): { spec: TaskSpec } | { errors: FieldError[] } | undefined {
  const current = fargateNodeView(spec, status, facts);
  if (!current || !spec.kube) return undefined;
  const errors: FieldError[] = [];
  const given = next.metadata.labels ?? {};
  errors.push(...labelErrors(given));
  const derived = derivedLabels(spec, facts, current.metadata.name);
  for (const [key, value] of Object.entries(derived)) {
    if (given[key] !== value) errors.push(forbidden('metadata.labels', `label ${JSON.stringify(key)} is set by EKS on a Fargate node and cannot be changed or removed`));
  }
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(given)) if (!(key in derived) && typeof value === 'string') labels[key] = value;
  const fixed = derivedAnnotations(spec);
  const annotations = userAnnotations(next.metadata.annotations, (key) => key in fixed, errors);
  const s = next.spec ?? {};
  if (s.providerID !== undefined && s.providerID !== current.spec.providerID) errors.push(forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  const taints = Array.isArray(s.taints) ? (s.taints as Record<string, unknown>[]).map((t) => ({ key: t.key, value: t.value, effect: t.effect })) : s.taints;
  if (taints !== undefined && JSON.stringify(taints) !== JSON.stringify([FARGATE_TAINT])) {
    errors.push(forbidden('spec.taints', `a Fargate node keeps EKS's one taint (${FARGATE_TAINT.key}=${FARGATE_TAINT.value}:${FARGATE_TAINT.effect}): only pods the Fargate scheduler binds run there`));
  }
  if (s.unschedulable === true) errors.push(forbidden('spec.unschedulable', 'a Fargate node runs only the pod it was made for and is not cordoned: delete the pod to free it'));
  if (errors.length > 0) return { errors };
  const { fargateNode: _old, ...kube } = spec.kube;
  const written = { ...(Object.keys(labels).length > 0 && { labels }), ...(Object.keys(annotations).length > 0 && { annotations }) };
  return { spec: { ...spec, kube: { ...kube, ...(Object.keys(written).length > 0 && { fargateNode: written }) } } };
}
