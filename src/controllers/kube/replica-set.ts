/**
 * The ReplicaSet controller, pure: keeps as many active pods as `spec.replicas`, creating them
 * from the template (owned by the ReplicaSet, named `<rs>-<suffix>`) or deleting the ones
 * worth least, and reports the counts in its status. What the API server's controller does,
 * without the expectations cache: the runner feeds a snapshot that includes its own writes.
 */
import { controlledBy, controllerRef, isActive, isAvailable, readySince, selects, type Pod, type ReplicaSet } from './workload-objects.ts';
import { eventAbout, jsonEqual, MAX_POD_WRITES_PER_PASS, type WorkloadAction } from './workload-actions.ts';

const RS_COMPONENT = 'replicaset-controller';

/**
 * Actions for one ReplicaSet given the pods of its namespace. `suffix()` gives the five
 * characters that make a new pod's name unique (random in production, fixed in tests).
 */
export function reconcileReplicaSet(rs: ReplicaSet, podsInNamespace: readonly Pod[], now: number, suffix: () => string): WorkloadAction[] {
  const ns = rs.metadata.namespace!;
  const actions: WorkloadAction[] = [];
  const owned = podsInNamespace.filter((p) => controlledBy(p, rs.metadata.uid) && selects(rs.spec.selector, p.metadata.labels));
  let active = owned.filter(isActive);
  const want = rs.spec.replicas ?? 1;
  if (rs.metadata.deletionTimestamp === undefined) {
    if (active.length < want) {
      for (let i = 0; i < Math.min(want - active.length, MAX_POD_WRITES_PER_PASS); i++) {
        const pod = podFor(rs, suffix());
        actions.push({ type: 'create', resource: 'pods', namespace: ns, object: pod, event: eventAbout(rs, 'apps/v1', 'ReplicaSet', RS_COMPONENT, 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`) });
      }
    } else if (active.length > want) {
      const doomed = [...active].sort(deleteFirst).slice(0, Math.min(active.length - want, MAX_POD_WRITES_PER_PASS));
      for (const p of doomed) {
        actions.push({ type: 'delete', resource: 'pods', namespace: ns, name: p.metadata.name!, uid: p.metadata.uid!, event: eventAbout(rs, 'apps/v1', 'ReplicaSet', RS_COMPONENT, 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`) });
      }
      // A pod being deleted stops counting at once (the API server marks it terminating), so the
      // status never shows the Deployment controller availability that is already going away.
      const gone = new Set(doomed);
      active = active.filter((p) => !gone.has(p));
    }
  }
  const minReady = rs.spec.minReadySeconds ?? 0;
  const templateLabels = rs.spec.template.metadata?.labels ?? {};
  const status = {
    replicas: active.length,
    fullyLabeledReplicas: active.filter((p) => Object.entries(templateLabels).every(([k, v]) => p.metadata.labels?.[k] === v)).length,
    readyReplicas: active.filter((p) => readySince(p) !== undefined).length,
    availableReplicas: active.filter((p) => isAvailable(p, minReady, now)).length,
    observedGeneration: rs.metadata.generation ?? 1,
  };
  if (!jsonEqual(status, rs.status)) {
    actions.push({ type: 'updateStatus', resource: 'replicasets', namespace: ns, name: rs.metadata.name!, resourceVersion: rs.metadata.resourceVersion!, status });
  }
  return actions;
}

/** A pod from the ReplicaSet's template: its labels and annotations, owned by it, with a generated name. */
export function podFor(rs: ReplicaSet, suffix: string): Pod {
  const t = rs.spec.template;
  const generateName = `${rs.metadata.name}-`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${generateName}${suffix}`,
      generateName,
      namespace: rs.metadata.namespace!,
      ...(t.metadata?.labels && { labels: { ...t.metadata.labels } }),
      ...(t.metadata?.annotations && { annotations: { ...t.metadata.annotations } }),
      ownerReferences: [controllerRef(rs, 'apps/v1', 'ReplicaSet')],
    },
    spec: structuredClone(t.spec ?? {}),
  };
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * The order pods are deleted in when there are too many, as the API server ranks them: not yet
 * on a node, then by phase (Pending, Unknown, Running), not ready before ready, ready the
 * shortest time first, most restarted first, newest first.
 */
export function deleteFirst(a: Pod, b: Pod): number {
  const assigned = (p: Pod) => (p.spec?.nodeName ? 1 : 0);
  if (assigned(a) !== assigned(b)) return assigned(a) - assigned(b);
  const phase = (p: Pod) => PHASE_RANK[p.status?.phase ?? 'Pending'] ?? 0;
  if (phase(a) !== phase(b)) return phase(a) - phase(b);
  const ra = readySince(a);
  const rb = readySince(b);
  if ((ra === undefined) !== (rb === undefined)) return ra === undefined ? -1 : 1;
  if (ra !== undefined && rb !== undefined && ra !== rb) return rb - ra;
  const restarts = (p: Pod) => ((p.status?.containerStatuses as { restartCount?: number }[] | undefined) ?? []).reduce((s, c) => s + (c.restartCount ?? 0), 0);
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  return Date.parse(b.metadata.creationTimestamp ?? '') - Date.parse(a.metadata.creationTimestamp ?? '') || 0;
}
