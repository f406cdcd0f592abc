/**
 * A Pod (defaulted and accepted) as a task spec: the neutral part the agent runs, the ECS
 * part that makes it visible as a task of the cluster's hosts, and the kube part the Pod view
 * is made from (workload/kube.ts). Ids, `now`, reads and token issuing are inputs. Pure.
 *
 *   Pod ──defaultPod──▶ Pod (as stored) ──podToTaskSpec(pod, inputs)──▶ TaskSpec { …, ecs, kube }
 *                                            │ containers.ts  env.ts  volumes.ts
 *                                            └ lookups: configMap, secret, token; placed?
 */
import { podGroup } from './hosting.ts';
import { ecsArn, type Scope } from '../../ecs/scope.ts';
import type { KubePodFacts } from '../../workload/kube.ts';
import type { TaskSpec } from '../../workload/spec.ts';
import { podContainers, type ClusterDns } from './containers.ts';
import type { PlacedFacts, PodFields } from './env.ts';
import { fargatePodSize, FARGATE_POD_OVERHEAD_MIB } from './fargate.ts';
import { addQuantities, cpuUnits, maxQuantity, mebibytes, parseQuantity, ZERO, type Rational } from './quantity.ts';
import type { Container, Pod, PodSpec } from './types.ts';
import { podVolumes, type VolumeInputs } from './volumes.ts';
import type { MasterService } from './service-env.ts';

export interface PodSpecInputs extends VolumeInputs {
  /** The task id, 32 hex digits; the pod's uid is its dashed form. */
  id: string;
  /** Epoch ms: the pod's creation time. */
  now: number;
  /** The EKS cluster's uid. */
  clusterUid: string;
  /** The ECS cluster the EKS cluster's hosts belong to, and one id per container for container ARNs. */
  ecs: { scope: Scope; clusterName: string; containerIds: readonly string[] };
  /** A Fargate profile matched the pod: it runs in a sandbox of its own. */
  fargate?: boolean;
  /** Where the placer put it; without it, placement-only fields are left out (`needsPlacement`). */
  placed?: PlacedFacts;
  /** The cluster's DNS service; without it, pods resolve as their host does. */
  clusterDns?: ClusterDns;
  /** The `kubernetes` Service: its variables go into every container's env (service-env.ts). */
  masterService?: MasterService;
}

export interface PodSpecResult {
  spec: TaskSpec;
  /** An env var reads a placement-only field: make the spec again with `placed` once placed. */
  needsPlacement: boolean;
}

/** The uid of a task id: 8-4-4-4-12, as Kubernetes writes uids. */
export function podUid(id: string): string {
  return `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`;
}

/** The task id of a pod uid. */
export const taskIdOfUid = (uid: string): string => uid.replaceAll('-', '');

/** RFC 3339 at seconds, as metadata timestamps are written. */
export const kubeTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * A pod's request of one resource as the scheduler computes it: the larger of the running
 * containers' sum (sidecars included) and what the init sequence needs at its peak (each
 * init container plus the sidecars started before it).
 */
export function podRequest(spec: PodSpec, resource: 'cpu' | 'memory'): Rational {
  const request = (c: Container): Rational => parseQuantity(c.resources?.requests?.[resource]) ?? ZERO;
  let sidecars = ZERO;
  let initPeak = ZERO;
  for (const c of spec.initContainers ?? []) {
    if (c.restartPolicy === 'Always') {
      sidecars = addQuantities(sidecars, request(c));
      initPeak = maxQuantity(initPeak, sidecars);
    } else initPeak = maxQuantity(initPeak, addQuantities(sidecars, request(c)));
  }
  const running = spec.containers.reduce((sum, c) => addQuantities(sum, request(c)), sidecars);
  return maxQuantity(running, initPeak);
}

/** What a pod reserves: its scheduler request (podRequest) in CPU units and MiB. */
export function podReservation(spec: PodSpec): { cpu: number; memory: number } {
  return { cpu: cpuUnits(podRequest(spec, 'cpu')), memory: mebibytes(podRequest(spec, 'memory')) };
}

/**
 * What a pod's task reserves: its request, or on Fargate the Fargate size that holds it
 * (fargate.ts; a request no size holds keeps its request and the overhead: no pool host
 * fits it and the pod says so).
 */
function reservationOf(spec: PodSpec, fargate: boolean | undefined): { cpu: number; memory: number } {
  const r = podReservation(spec);
  if (!fargate) return r;
  return fargatePodSize(r.cpu, r.memory) ?? { cpu: r.cpu, memory: r.memory + FARGATE_POD_OVERHEAD_MIB };
}

/** The task spec of `pod`, as stored (defaulted, validated, named). */
export function podToTaskSpec(pod: Pod, inputs: PodSpecInputs): PodSpecResult {
  const meta = pod.metadata ?? {};
  const spec = pod.spec ?? { containers: [] };
  const namespace = meta.namespace ?? 'default';
  const name = meta.name ?? '';
  const fields: PodFields = {
    name, namespace, uid: podUid(inputs.id), labels: meta.labels ?? {}, annotations: meta.annotations ?? {},
    serviceAccountName: spec.serviceAccountName ?? 'default',
  };
  const c = podContainers({ spec, pod: fields, lookups: inputs, placed: inputs.placed, clusterDns: inputs.clusterDns, masterService: inputs.masterService });
  const v = podVolumes(spec, fields, inputs);
  const hostNetwork = spec.hostNetwork === true;
  const reservedPorts = [...(spec.initContainers ?? []), ...spec.containers]
    .flatMap((x) => (x.ports ?? []).filter((p) => p.hostPort).map((p) => `${p.hostPort}/${(p.protocol ?? 'TCP').toLowerCase()}`));
  const { scope, clusterName, containerIds } = inputs.ecs;
  const unresolved = [...c.unresolved, ...v.unresolved];
  const kube: KubePodFacts = {
    clusterUid: inputs.clusterUid,
    namespace,
    name,
    ...(meta.generateName !== undefined && { generateName: meta.generateName }),
    ...(meta.labels !== undefined && { labels: meta.labels }),
    ...(meta.annotations !== undefined && { annotations: meta.annotations }),
    ...(meta.ownerReferences !== undefined && { ownerReferences: meta.ownerReferences }),
    ...(meta.finalizers !== undefined && { finalizers: meta.finalizers }),
    ...(meta.managedFields !== undefined && { managedFields: meta.managedFields }),
    creationTimestamp: kubeTime(inputs.now),
    podSpec: spec,
    ...(unresolved.length > 0 && { unresolved }),
  };
  return {
    needsPlacement: c.needsPlacement,
    spec: {
      id: inputs.id,
      generation: 1,
      desiredStatus: 'RUNNING',
      createdAt: Math.floor(inputs.now / 1000),
      launchType: inputs.fargate ? 'FARGATE' : 'EC2',
      placement: {},
      network: { mode: hostNetwork ? 'host' : 'awsvpc', reservedPorts: [...new Set(reservedPorts)] },
      resources: { reserved: reservationOf(spec, inputs.fargate) },
      volumes: v.volumes,
      containers: c.containers,
      // pods/exec is always allowed (RBAC decides who may).
      execEnabled: true,
      ecs: {
        taskArn: ecsArn(scope, `task/${clusterName}/${inputs.id}`),
        clusterArn: ecsArn(scope, `cluster/${clusterName}`),
        // A pod has no task definition: the ECS side shows none.
        taskDefinitionArn: '',
        family: '',
        revision: 0,
        overrides: { containerOverrides: c.containers.map((x) => ({ name: x.name })), inferenceAcceleratorOverrides: [] },
        containerArns: c.containers.map((_, n) => ecsArn(scope, `container/${clusterName}/${inputs.id}/${containerIds[n] ?? ''}`)),
        group: podGroup(namespace, name),
        tags: [],
        ...(inputs.fargate && { platformFamily: 'Linux' }),
      },
      kube,
    },
  };
}
