/**
 * The DaemonSet controller, pure: one pod of the template on every eligible node — its
 * labels match the template's nodeSelector, its NoSchedule/NoExecute taints are tolerated,
 * it is not being deleted — pinned there by node affinity on `metadata.name` (as the API
 * server's controller pins them, leaving the binding to the scheduler), extra or misplaced
 * pods deleted, pods of an older template replaced at most `maxUnavailable` at a time
 * (RollingUpdate) or only when deleted (OnDelete), and the status `kubectl get ds` and
 * `kubectl rollout status ds` read. Template revisions are told apart by the
 * `controller-revision-hash` label (ControllerRevision objects are not kept).
 */
import { podTemplateHash } from './pod-template-hash.ts';
import { podFor } from './replica-set.ts';
import { controlledBy, controllerRef, isAvailable, readySince, selects, type LabelSelector, type ObjectMeta, type Pod, type PodTemplate } from './workload-objects.ts';
import { eventAbout, jsonEqual, MAX_POD_WRITES_PER_PASS, type WorkloadAction } from './workload-actions.ts';

const DS_COMPONENT = 'daemonset-controller';

export const REVISION_HASH_LABEL = 'controller-revision-hash';

export interface Node {
  metadata: ObjectMeta;
  spec?: { unschedulable?: boolean; taints?: { key: string; value?: string; effect: string }[] };
}

export interface DaemonSet {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: {
    selector: LabelSelector;
    template: PodTemplate;
    minReadySeconds?: number;
    updateStrategy?: { type?: 'RollingUpdate' | 'OnDelete'; rollingUpdate?: { maxUnavailable?: number | string } };
  };
  status?: Record<string, unknown>;
}

interface Toleration { key?: string; operator?: string; value?: string; effect?: string }

/** The tolerations the API server's controller adds to every daemon pod, so node troubles do not evict it. */
const DAEMON_TOLERATIONS: readonly Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

function tolerates(tolerations: readonly Toleration[], taint: { key: string; value?: string; effect: string }): boolean {
  return tolerations.some((t) => (t.effect === undefined || t.effect === '' || t.effect === taint.effect)
    && (t.key === undefined || t.key === '' ? t.operator === 'Exists' : t.key === taint.key)
    && (t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '')));
}

export function eligible(ds: DaemonSet, node: Node): boolean {
  if (node.metadata.deletionTimestamp !== undefined) return false;
  const podSpec = (ds.spec.template.spec ?? {}) as { nodeSelector?: Record<string, string>; tolerations?: Toleration[] };
  if (!selects({ matchLabels: podSpec.nodeSelector ?? {} }, node.metadata.labels)) return false;
  const tolerations = [...(podSpec.tolerations ?? []), ...DAEMON_TOLERATIONS];
  return (node.spec?.taints ?? []).every((t) => (t.effect !== 'NoSchedule' && t.effect !== 'NoExecute') || tolerates(tolerations, t));
}

/** The node a daemon pod is for: its node affinity's `metadata.name`, else where it was bound. */
export function nodeOf(pod: Pod): string | undefined {
  const terms = ((pod.spec?.affinity as { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: { matchFields?: { key: string; values?: string[] }[] }[] } } } | undefined)
    ?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms) ?? [];
  for (const t of terms) for (const f of t.matchFields ?? []) if (f.key === 'metadata.name' && f.values?.length === 1) return f.values[0];
  return pod.spec?.nodeName;
}

function podOn(ds: DaemonSet, node: string, hash: string, suffix: string): Pod {
  const pod = podFor({ metadata: ds.metadata, spec: { selector: ds.spec.selector, template: ds.spec.template } }, suffix);
  pod.metadata.labels = { ...pod.metadata.labels, [REVISION_HASH_LABEL]: hash };
  pod.metadata.ownerReferences = [controllerRef(ds, 'apps/v1', 'DaemonSet')];
  const spec = pod.spec as Record<string, unknown>;
  const tolerations = [...((spec.tolerations as Toleration[] | undefined) ?? [])];
  for (const t of DAEMON_TOLERATIONS) if (!tolerations.some((x) => x.key === t.key && x.effect === t.effect)) tolerations.push(t);
  spec.tolerations = tolerations;
  spec.affinity = { ...(spec.affinity as object | undefined), nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] } } };
  return pod;
}

function maxUnavailable(ds: DaemonSet, desired: number): number {
  const v = ds.spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1;
  if (typeof v === 'number') return Math.max(1, v);
  const m = /^(\d+)%$/.exec(v);
  return Math.max(1, m ? Math.floor((desired * Number(m[1])) / 100) : Number(v) || 1);
}

export function reconcileDaemonSet(ds: DaemonSet, podsInNamespace: readonly Pod[], nodes: readonly Node[], now: number, suffix: () => string): WorkloadAction[] {
  if (ds.metadata.deletionTimestamp !== undefined) return [];
  const ns = ds.metadata.namespace!;
  const hash = podTemplateHash(ds.spec.template);
  const minReady = ds.spec.minReadySeconds ?? 0;
  const owned = podsInNamespace.filter((p) => controlledBy(p, ds.metadata.uid) && selects(ds.spec.selector, p.metadata.labels) && p.metadata.deletionTimestamp === undefined);
  const wanted = nodes.filter((n) => eligible(ds, n)).map((n) => n.metadata.name!);
  const wantedSet = new Set(wanted);
  const onNode = new Map<string, Pod[]>();
  const misplaced: Pod[] = [];
  for (const p of owned) {
    const node = nodeOf(p);
    if (node === undefined || !wantedSet.has(node)) misplaced.push(p);
    else onNode.set(node, [...(onNode.get(node) ?? []), p]);
  }
  const creates: WorkloadAction[] = [];
  const deletes: Pod[] = [...misplaced.filter((p) => p.status?.phase !== 'Succeeded')];
  for (const node of wanted) {
    const pods = (onNode.get(node) ?? []).filter((p) => p.status?.phase !== 'Failed');
    // A failed daemon pod is replaced: deleted now, recreated once gone.
    for (const p of onNode.get(node) ?? []) if (p.status?.phase === 'Failed') deletes.push(p);
    if (pods.length === 0 && !(onNode.get(node) ?? []).some((p) => p.status?.phase === 'Failed')) {
      const pod = podOn(ds, node, hash, suffix());
      creates.push({ type: 'create', resource: 'pods', namespace: ns, object: pod, event: eventAbout(ds, 'apps/v1', 'DaemonSet', DS_COMPONENT, 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`) });
    }
    else if (pods.length > 1) deletes.push(...pods.slice(1));
  }
  const current = wanted.map((n) => (onNode.get(n) ?? []).find((p) => p.status?.phase !== 'Failed')).filter((p): p is Pod => p !== undefined);
  const updated = current.filter((p) => p.metadata.labels?.[REVISION_HASH_LABEL] === hash);
  const available = current.filter((p) => isAvailable(p, minReady, now));
  if ((ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
    // Outdated pods go while the unavailable stay within maxUnavailable (unavailable old ones first).
    let budget = maxUnavailable(ds, wanted.length) - (current.length - available.length) - creates.length;
    const outdated = current.filter((p) => p.metadata.labels?.[REVISION_HASH_LABEL] !== hash).sort((a, b) => Number(isAvailable(a, minReady, now)) - Number(isAvailable(b, minReady, now)));
    for (const p of outdated) {
      if (!isAvailable(p, minReady, now)) deletes.push(p);
      else if (budget > 0) {
        deletes.push(p);
        budget--;
      }
    }
  }
  const actions: WorkloadAction[] = [...creates.slice(0, MAX_POD_WRITES_PER_PASS)];
  for (const p of [...new Set(deletes)].slice(0, MAX_POD_WRITES_PER_PASS)) {
    actions.push({ type: 'delete', resource: 'pods', namespace: ns, name: p.metadata.name!, uid: p.metadata.uid!, event: eventAbout(ds, 'apps/v1', 'DaemonSet', DS_COMPONENT, 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`) });
  }
  const status = {
    currentNumberScheduled: current.length,
    numberMisscheduled: misplaced.length,
    desiredNumberScheduled: wanted.length,
    numberReady: current.filter((p) => readySince(p) !== undefined).length,
    observedGeneration: ds.metadata.generation ?? 1,
    updatedNumberScheduled: updated.length,
    numberAvailable: available.length,
    ...(wanted.length - available.length > 0 && { numberUnavailable: wanted.length - available.length }),
  };
  if (!jsonEqual(status, ds.status)) {
    actions.push({ type: 'updateStatus', resource: 'daemonsets', namespace: ns, name: ds.metadata.name!, resourceVersion: ds.metadata.resourceVersion!, status });
  }
  return actions;
}
