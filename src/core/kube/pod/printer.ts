/**
 * The cells of a pod's row in `kubectl get pods` as the API server's printer computes them
 * (pkg/printers/internalversion printPod): READY counts ready containers (sidecars
 * included), STATUS is the reason a person wants to see (Init:0/1, ContainerCreating,
 * CrashLoopBackOff, Completed, Error, Terminating, …), RESTARTS adds when the last one was.
 * Works on any Pod object, stored or viewed. Pure.
 */
import { humanDuration } from '../duration.ts';
import type { ContainerState, Pod, PodContainerStatus } from './types.ts';

export interface PodRow {
  ready: string;
  status: string;
  restarts: string;
  ip: string;
  node: string;
  nominatedNode: string;
  readinessGates: string;
}

const terminalPhase = (phase: string | undefined) => phase === 'Succeeded' || phase === 'Failed';
const lastRestart = (c: PodContainerStatus): number => {
  const t = c.lastState?.terminated?.finishedAt;
  return t ? Date.parse(String(t)) : 0;
};

function terminatedReason(t: NonNullable<ContainerState['terminated']>, prefix: string): string {
  if (t.reason) return prefix + t.reason;
  return t.signal ? `${prefix}Signal:${t.signal}` : `${prefix}ExitCode:${t.exitCode}`;
}

/** The row of `pod` at `now` (epoch ms). */
export function podRow(pod: Pod, now: number): PodRow {
  const spec = pod.spec ?? { containers: [] };
  const status = pod.status ?? {};
  const sidecars = new Set((spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  const total = spec.containers.length + sidecars.size;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestartAt = 0;
  let sidecarLastRestartAt = 0;
  let reason: string = status.reason || status.phase || '';
  let initializing = false;
  const inits = status.initContainerStatuses ?? [];
  for (const [i, c] of inits.entries()) {
    restarts += c.restartCount;
    lastRestartAt = Math.max(lastRestartAt, lastRestart(c));
    const sidecar = sidecars.has(c.name);
    if (sidecar) {
      sidecarRestarts += c.restartCount;
      sidecarLastRestartAt = Math.max(sidecarLastRestartAt, lastRestart(c));
    }
    const t = c.state?.terminated;
    const w = c.state?.waiting;
    if (t && t.exitCode === 0) continue;
    if (sidecar && c.started === true) {
      if (c.ready) ready++;
      continue;
    }
    if (t) reason = terminatedReason(t, 'Init:');
    else if (w?.reason && w.reason !== 'PodInitializing') reason = `Init:${w.reason}`;
    else reason = `Init:${i}/${(spec.initContainers ?? []).length}`;
    initializing = true;
    break;
  }
  const initialized = (status.conditions ?? []).some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = sidecarRestarts;
    lastRestartAt = sidecarLastRestartAt;
    let running = false;
    const cs = status.containerStatuses ?? [];
    for (let i = cs.length - 1; i >= 0; i--) {
      const c = cs[i]!;
      restarts += c.restartCount;
      lastRestartAt = Math.max(lastRestartAt, lastRestart(c));
      const w = c.state?.waiting;
      const t = c.state?.terminated;
      if (w?.reason) reason = w.reason;
      else if (t) reason = terminatedReason(t, '');
      else if (c.ready && c.state?.running) {
        running = true;
        ready++;
      }
    }
    if (reason === 'Completed' && running) {
      reason = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }
  if (pod.metadata?.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && !terminalPhase(status.phase)) reason = 'Terminating';
  const gates = spec.readinessGates ?? [];
  const gatesTrue = gates.filter((g) => (status.conditions ?? []).some((c) => c.type === g.conditionType && c.status === 'True')).length;
  return {
    ready: `${ready}/${total}`,
    status: reason,
    restarts: restarts !== 0 && lastRestartAt > 0 ? `${restarts} (${humanDuration(now - lastRestartAt)} ago)` : String(restarts),
    ip: status.podIPs?.[0]?.ip || '<none>',
    node: spec.nodeName || '<none>',
    nominatedNode: status.nominatedNodeName || '<none>',
    readinessGates: gates.length > 0 ? `${gatesTrue}/${gates.length}` : '<none>',
  };
}
