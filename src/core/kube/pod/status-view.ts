/**
 * A pod's status as a view of the task's (core/v1 PodStatus, as the kubelet writes it):
 * phase from the task's lifecycle and its containers' exits, the five conditions, container
 * and init container statuses, addresses, start time and QoS class. Transition times are the
 * lifecycle times the task keeps (its creation, first start, stop), not each condition's own. Pure.
 */
import { rank } from '../../ecs/task-lifecycle.ts';
import type { ContainerSpec, TaskSpec } from '../../workload/spec.ts';
import type { ContainerStatus, TaskStatus } from '../../workload/status.ts';
import { parseQuantity, compareQuantities } from './quantity.ts';
import type { ContainerState, PodCondition, PodContainerStatus, PodSpec, PodStatusObject } from './types.ts';

/** The node the pod's task is placed on, as the Pod view names it. */
export interface PodNode {
  name: string;
  /** The node's InternalIP: the pod's hostIP. */
  ip?: string;
}

const time = (seconds: number | undefined): string | undefined => (seconds === undefined ? undefined : new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'));

/** Guaranteed: every container limits cpu and memory and requests what it limits; BestEffort: none asks for either; else Burstable. */
export function qosClass(spec: PodSpec): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const all = [...(spec.initContainers ?? []), ...spec.containers];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    for (const r of ['cpu', 'memory']) {
      const req = parseQuantity(c.resources?.requests?.[r]);
      const lim = parseQuantity(c.resources?.limits?.[r]);
      if ((req && req.num !== 0n) || (lim && lim.num !== 0n)) any = true;
      if (!lim || !req || compareQuantities(req, lim) !== 0) guaranteed = false;
    }
  }
  return !any ? 'BestEffort' : guaranteed ? 'Guaranteed' : 'Burstable';
}

/** The runtime's name for its containers, as containerStatuses[].containerID shows it (`containerd://…` on EKS nodes). */
export const CONTAINER_ID_SCHEME = 'berth://';

function imageId(image: string, digest: string | undefined): string {
  if (!digest) return '';
  const at = image.indexOf('@');
  const name = at < 0 ? image : image.slice(0, at);
  const slash = name.lastIndexOf('/');
  const colon = name.indexOf(':', slash + 1);
  return `${colon < 0 ? name : name.slice(0, colon)}@${digest}`;
}

interface ContainerContext {
  task: TaskStatus;
  spec: TaskSpec;
  /** The pod has init containers: a container not created yet waits with PodInitializing. */
  hasInits: boolean;
}

function containerState(c: ContainerSpec, s: ContainerStatus | undefined, x: ContainerContext): ContainerState {
  const unresolved = x.spec.kube?.unresolved?.find((u) => u.container === c.name);
  if (s?.waiting) return { waiting: { reason: s.waiting.reason, ...(s.waiting.message && { message: s.waiting.message }) } };
  if (s?.lastStatus === 'RUNNING') return { running: { startedAt: time(s.startedAt ?? x.task.startedAt)! } };
  if (s?.lastStatus === 'STOPPED' || x.task.lastStatus === 'STOPPED') {
    if (s?.exitCode === undefined) {
      return { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' } };
    }
    const finishedAt = time(s.finishedAt ?? x.task.executionStoppedAt ?? x.task.stoppedAt);
    const startedAt = time(s.startedAt ?? x.task.startedAt);
    const oom = /OutOfMemory|OOM/i.test(s.reason ?? '');
    return {
      terminated: {
        exitCode: s.exitCode,
        reason: oom ? 'OOMKilled' : s.exitCode === 0 ? 'Completed' : 'Error',
        ...(startedAt && { startedAt }), ...(finishedAt && { finishedAt }),
        ...(s.runtimeId && { containerID: CONTAINER_ID_SCHEME + s.runtimeId }),
      },
    };
  }
  if (unresolved) return { waiting: { reason: unresolved.reason, ...(unresolved.reason !== 'ContainerCreating' && { message: unresolved.message }) } };
  // The kubelet's default for a container not created yet: PodInitializing in a pod with init containers.
  return { waiting: { reason: x.hasInits ? 'PodInitializing' : 'ContainerCreating' } };
}

function containerStatusView(c: ContainerSpec, s: ContainerStatus | undefined, x: ContainerContext): PodContainerStatus {
  const state = containerState(c, s, x);
  const running = state.running !== undefined;
  const last = s?.lastTermination;
  const readinessProbe = c.probes?.readiness !== undefined;
  return {
    name: c.name,
    state,
    lastState: last
      ? { terminated: { exitCode: last.exitCode, reason: last.reason ?? (last.exitCode === 0 ? 'Completed' : 'Error'), ...(last.startedAt !== undefined && { startedAt: time(last.startedAt)! }), ...(last.finishedAt !== undefined && { finishedAt: time(last.finishedAt)! }), ...(last.runtimeId && { containerID: CONTAINER_ID_SCHEME + last.runtimeId }) } }
      : {},
    ready: running && (s?.ready ?? !readinessProbe),
    restartCount: s?.restartCount ?? 0,
    image: c.image,
    imageID: imageId(c.image, s?.imageDigest),
    ...(s?.runtimeId && { containerID: CONTAINER_ID_SCHEME + s.runtimeId }),
    started: running && (s?.started ?? true),
  };
}

/** The task's address: its network interface's (awsvpc), or its host's. */
function podIP(spec: TaskSpec, status: TaskStatus, node: PodNode | undefined): string | undefined {
  if (spec.network.mode === 'host') return node?.ip;
  return interfaceAddress(status);
}

/** The private address of the task's network interface, once the agent has set it up. */
export function interfaceAddress(status: Pick<TaskStatus, 'attachments'>): string | undefined {
  for (const a of status.attachments) {
    const ip = a.details.find((d) => d.name === 'privateIPv4Address')?.value;
    if (ip) return ip;
  }
  return undefined;
}

const condition = (type: string, ok: boolean, at: number | undefined, reason?: string, message?: string): PodCondition => ({
  type, status: ok ? 'True' : 'False', lastProbeTime: null as unknown as string, lastTransitionTime: time(at)!,
  ...(!ok && reason && { reason }), ...(!ok && message && { message }),
});

/** The condition types the view computes from the task: a client's write of one changes nothing. */
export const DERIVED_CONDITIONS: ReadonlySet<string> = new Set(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);

/** The PodStatus of a task that runs a pod. */
export function podStatusView(spec: TaskSpec, status: TaskStatus, node: PodNode | undefined): PodStatusObject {
  const podSpec = spec.kube?.podSpec ?? { containers: [] };
  const byName = new Map(status.containers.map((c) => [c.name, c]));
  const inits = spec.containers.filter((c) => c.init);
  const apps = spec.containers.filter((c) => !c.init);
  const done = (c: ContainerSpec) => {
    const s = byName.get(c.name);
    return c.restart?.policy === 'Always' ? s?.lastStatus === 'RUNNING' && (s.started ?? true) : s?.lastStatus === 'STOPPED' && s.exitCode === 0;
  };
  const pendingInits = inits.filter((c) => !done(c)).map((c) => c.name);
  const x: ContainerContext = { task: status, spec, hasInits: inits.length > 0 };
  const initStatuses = inits.map((c) => containerStatusView(c, byName.get(c.name), x));
  const appStatuses = apps.map((c) => containerStatusView(c, byName.get(c.name), x));
  const stopped = status.lastStatus === 'STOPPED';
  const started = status.startedAt !== undefined;
  const phase = stopped
    ? (started && apps.every((c) => byName.get(c.name)?.exitCode === 0) ? 'Succeeded' : 'Failed')
    : started ? 'Running' : 'Pending';
  const placed = spec.placement.instanceArn !== undefined;
  const ip = podIP(spec, status, node);
  const hostIP = node?.ip;
  const out: PodStatusObject = { phase, qosClass: qosClass(podSpec) };
  if (!placed) {
    const u = status.unschedulable;
    if (u) out.conditions = [condition('PodScheduled', false, u.at, 'Unschedulable', u.message)];
    return withClientConditions(out, status);
  }
  const unready = appStatuses.filter((c) => !c.ready).map((c) => c.name);
  const ready = unready.length === 0;
  const readyAt = ready ? status.startedAt : status.stoppingAt ?? status.startedAt ?? spec.createdAt;
  const sandboxReady = rank(status.lastStatus) >= rank('ACTIVATING') && !stopped;
  const completed = phase === 'Succeeded' || phase === 'Failed';
  out.conditions = [
    condition('PodReadyToStartContainers', sandboxReady, sandboxReady ? status.pullStartedAt ?? status.startedAt ?? spec.createdAt : status.stoppedAt ?? spec.createdAt),
    condition('Initialized', pendingInits.length === 0, spec.createdAt, 'ContainersNotInitialized', `containers with incomplete status: [${pendingInits.join(' ')}]`),
    condition('Ready', ready, readyAt, completed ? 'PodCompleted' : 'ContainersNotReady', completed ? undefined : `containers with unready status: [${unready.join(' ')}]`),
    condition('ContainersReady', ready, readyAt, completed ? 'PodCompleted' : 'ContainersNotReady', completed ? undefined : `containers with unready status: [${unready.join(' ')}]`),
    condition('PodScheduled', true, spec.createdAt),
  ];
  if (hostIP) Object.assign(out, { hostIP, hostIPs: [{ ip: hostIP }] });
  if (ip) Object.assign(out, { podIP: ip, podIPs: [{ ip }] });
  const startTime = time(status.pullStartedAt ?? status.startedAt ?? spec.createdAt);
  if (startTime) out.startTime = startTime;
  if (initStatuses.length > 0) out.initContainerStatuses = initStatuses;
  out.containerStatuses = appStatuses;
  return withClientConditions(out, status);
}

/** The conditions of types the view does not derive, as a client wrote them (pods/status), after the derived ones. */
function withClientConditions(out: PodStatusObject, status: TaskStatus): PodStatusObject {
  const extra = (status.kubeConditions ?? []).filter((c) => !DERIVED_CONDITIONS.has(c.type));
  if (extra.length > 0) out.conditions = [...(out.conditions ?? []), ...(extra as PodCondition[])];
  return out;
}
