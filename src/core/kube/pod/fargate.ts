/**
 * A pod on a Fargate profile's capacity, as EKS makes one (Amazon EKS User Guide, "Understand
 * Fargate Pod configuration details" and "Fargate Pod patching"). Pure.
 *
 *   Pod matching an ACTIVE profile (core/eks/fargate-profile.ts fargateProfileFor)
 *     ─▶ admitFargatePod: schedulerName fargate-scheduler, label eks.amazonaws.com/fargate-profile,
 *        annotation CapacityProvisioned ("0.25vCPU 0.5GB"): its requests (podRequest) + 256 MiB
 *        rounded up to the next Fargate size (fargatePodSize)
 *     ─▶ podToTaskSpec(fargate): launchType FARGATE, reserved = that size; the placer puts it on
 *        the Fargate pool, the pool's agent runs it in its own sandbox
 *     ─▶ its node: one per pod, `fargate-ip-<a-b-c-d>.<region>.compute.internal`, named by the
 *        pod's address (fargateNodeName), a view of the pod (core/kube/fargate-node.ts)
 */
import { smallestFargateSize } from '../../ecs/task-size.ts';
import type { Pod } from './types.ts';

/** The scheduler EKS's admission names on a Fargate pod (its spec.schedulerName). */
export const FARGATE_SCHEDULER = 'fargate-scheduler';
/** EKS: "Fargate adds 256 MB to each Pod's memory reservation for the required Kubernetes components (kubelet, kube-proxy, and containerd)". */
export const FARGATE_POD_OVERHEAD_MIB = 256;
/** The annotation EKS records the Fargate size in, e.g. `0.25vCPU 0.5GB`. */
export const CAPACITY_ANNOTATION = 'CapacityProvisioned';
/** The label naming the profile a Fargate pod runs on (set by EKS's admission). */
export const FARGATE_PROFILE_LABEL = 'eks.amazonaws.com/fargate-profile';
/** The label (and taint key) of a Fargate node: `fargate`. */
export const COMPUTE_TYPE_LABEL = 'eks.amazonaws.com/compute-type';
/** Every Fargate node's name starts so (and no EC2 node's, which is its instance id). */
export const FARGATE_NODE_PREFIX = 'fargate-ip-';

export interface FargateSize {
  /** CPU units (1024 = 1 vCPU). */
  readonly cpu: number;
  /** MiB. */
  readonly memory: number;
}

/**
 * The Fargate size of a pod that requests `cpu` units and `memory` MiB: the memory plus
 * FARGATE_POD_OVERHEAD_MIB, rounded up to the smallest valid vCPU/memory combination (no
 * request: the smallest, 0.25 vCPU and 0.5 GB). Undefined when no Fargate size is that large.
 */
export function fargatePodSize(cpu: number, memory: number): FargateSize | undefined {
  return smallestFargateSize(cpu, memory + FARGATE_POD_OVERHEAD_MIB);
}

/** `0.25vCPU 0.5GB`, `1vCPU 2GB`: the CapacityProvisioned annotation's words. */
export function capacityProvisioned(size: FargateSize): string {
  return `${size.cpu / 1024}vCPU ${size.memory / 1024}GB`;
}

/**
 * The pod as EKS's admission leaves a pod a profile selected: scheduled by the Fargate
 * scheduler, labelled with its profile, its Fargate size recorded (when one holds it).
 * `request`: the pod's scheduler request (to-spec.ts podReservation).
 */
export function admitFargatePod(pod: Pod, profileName: string, request: FargateSize): Pod {
  const size = fargatePodSize(request.cpu, request.memory);
  const metadata = pod.metadata ?? {};
  return {
    ...pod,
    metadata: {
      ...metadata,
      labels: { ...metadata.labels, [FARGATE_PROFILE_LABEL]: profileName },
      ...(size && { annotations: { ...metadata.annotations, [CAPACITY_ANNOTATION]: capacityProvisioned(size) } }),
    },
    spec: { ...(pod.spec ?? { containers: [] }), schedulerName: FARGATE_SCHEDULER },
  };
}

/** The node EKS names for a Fargate pod at `ip` in `region`: `fargate-ip-10-0-1-2.us-east-1.compute.internal`. */
export function fargateNodeName(ip: string, region: string): string {
  return `${FARGATE_NODE_PREFIX}${ip.replaceAll('.', '-')}.${region}.compute.internal`;
}

/** The address a Fargate node name holds, or undefined for any other name. */
export function ipOfFargateNode(name: string, region: string): string | undefined {
  const suffix = `.${region}.compute.internal`;
  if (!name.startsWith(FARGATE_NODE_PREFIX) || !name.endsWith(suffix)) return undefined;
  const dashed = name.slice(FARGATE_NODE_PREFIX.length, name.length - suffix.length);
  return /^\d{1,3}(-\d{1,3}){3}$/.test(dashed) ? dashed.replaceAll('-', '.') : undefined;
}
