/**
 * The Deployment controller, pure: one ReplicaSet per pod template (`<deployment>-<hash>`),
 * rolled from the old ones to the new one within `maxSurge` and `maxUnavailable` (or all at once,
 * Recreate), revisions in the `deployment.kubernetes.io/revision` annotation (kubectl rollout
 * history and undo read them), old ReplicaSets kept up to `revisionHistoryLimit`, and the status
 * `kubectl rollout status` reads: observedGeneration, the replica counts, and the Available and
 * Progressing conditions with the API server's reasons and messages.
 */
import { podTemplateHash } from './pod-template-hash.ts';
import { controlledBy, controllerRef, type Condition, type Deployment, type PodTemplate, type ReplicaSet } from './workload-objects.ts';
import { eventAbout, jsonEqual, timestamp, type WorkloadAction } from './workload-actions.ts';

const D_COMPONENT = 'deployment-controller';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const HASH_LABEL = 'pod-template-hash';
/** Defaults of apps/v1 (the API reference): 25% surge rounded up, 25% unavailable rounded down, 10 old revisions, 600 s to progress. */
const DEFAULT_SURGE = '25%';
const DEFAULT_UNAVAILABLE = '25%';
const DEFAULT_HISTORY = 10;
const DEFAULT_PROGRESS_DEADLINE_S = 600;

export function reconcileDeployment(d: Deployment, replicaSetsInNamespace: readonly ReplicaSet[], now: number): WorkloadAction[] {
  if (d.metadata.deletionTimestamp !== undefined) return [];
  const ns = d.metadata.namespace!;
  const replicas = d.spec.replicas ?? 1;
  const owned = replicaSetsInNamespace.filter((rs) => controlledBy(rs, d.metadata.uid) && rs.metadata.deletionTimestamp === undefined);
  const newRS = owned.find((rs) => jsonEqual(templateOf(rs), d.spec.template));
  const olds = owned.filter((rs) => rs !== newRS).sort(byAge);
  const maxOldRevision = Math.max(0, ...olds.map(revisionOf));
  const { surge, unavailable } = fenceposts(d, replicas);
  const actions: WorkloadAction[] = [];
  const scale = new Map<ReplicaSet, number>();
  let created: ReplicaSet | undefined;

  if (!newRS) {
    if (!d.spec.paused) {
      created = newReplicaSet(d, maxOldRevision + 1, initialReplicas(d, olds, replicas, surge), surge);
      actions.push({ type: 'create', resource: 'replicasets', namespace: ns, object: created,
        event: eventAbout(d, 'apps/v1', 'Deployment', D_COMPONENT, 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${created.spec.replicas}`) });
    }
  } else {
    if (revisionOf(newRS) <= maxOldRevision) actions.push(annotate(newRS, { [REVISION_ANNOTATION]: String(maxOldRevision + 1) }));
    if (d.spec.paused) {
      // Paused: scaled, never rolled.
      if (olds.every((rs) => specReplicas(rs) === 0) && specReplicas(newRS) !== replicas) scale.set(newRS, replicas);
    } else if (d.spec.strategy?.type === 'Recreate') {
      recreate(newRS, olds, replicas, scale);
    } else {
      rollingUpdate(newRS, olds, replicas, surge, unavailable, scale);
    }
  }
  for (const [rs, n] of scale) {
    const from = specReplicas(rs);
    const event = eventAbout(d, 'apps/v1', 'Deployment', D_COMPONENT, 'ScalingReplicaSet', `Scaled ${n > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${n}`);
    actions.push({ ...scaled(rs, n, replicas, surge), event });
  }
  actions.push(...cleanup(d, olds, scale));
  // The Deployment carries its current revision too (`kubectl rollout undo` patches it back with the template).
  const current = newRS ?? created;
  const revision = current && (current === newRS && revisionOf(newRS) <= maxOldRevision ? maxOldRevision + 1 : revisionOf(current));
  if (revision !== undefined && d.metadata.annotations?.[REVISION_ANNOTATION] !== String(revision)) {
    // The status waits for the next pass: both writes are pinned to the same resourceVersion.
    return [...actions, { type: 'update', resource: 'deployments', namespace: ns, name: d.metadata.name!, resourceVersion: d.metadata.resourceVersion!,
      object: { ...d, metadata: { ...d.metadata, annotations: { ...d.metadata.annotations, [REVISION_ANNOTATION]: String(revision) } } } }];
  }
  const status = statusOf(d, owned, newRS ?? created, created !== undefined || scale.size > 0, replicas, unavailable, now);
  if (!jsonEqual(status, d.status)) {
    actions.push({ type: 'updateStatus', resource: 'deployments', namespace: ns, name: d.metadata.name!, resourceVersion: d.metadata.resourceVersion!, status });
  }
  return actions;
}

/** A ReplicaSet's template without the hash label: what is compared with the Deployment's. */
function templateOf(rs: ReplicaSet): PodTemplate {
  const labels = { ...rs.spec.template.metadata?.labels };
  delete labels[HASH_LABEL];
  const metadata = { ...rs.spec.template.metadata, labels };
  if (Object.keys(labels).length === 0) delete (metadata as { labels?: unknown }).labels;
  return { ...rs.spec.template, metadata };
}

function revisionOf(rs: ReplicaSet): number {
  return Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? 0) || 0;
}

const specReplicas = (rs: ReplicaSet) => rs.spec.replicas ?? 1;
const available = (rs: ReplicaSet) => rs.status?.availableReplicas ?? 0;
const byAge = (a: ReplicaSet, b: ReplicaSet) =>
  (Date.parse(a.metadata.creationTimestamp ?? '') || 0) - (Date.parse(b.metadata.creationTimestamp ?? '') || 0) || revisionOf(a) - revisionOf(b);

/** maxSurge (rounded up) and maxUnavailable (rounded down) as pod counts; both 0 would never move, so unavailable becomes 1. */
export function fenceposts(d: Deployment, replicas: number): { surge: number; unavailable: number } {
  if (d.spec.strategy?.type === 'Recreate') return { surge: 0, unavailable: replicas };
  const ru = d.spec.strategy?.rollingUpdate ?? {};
  const surge = resolve(ru.maxSurge ?? DEFAULT_SURGE, replicas, true);
  const unavailable = resolve(ru.maxUnavailable ?? DEFAULT_UNAVAILABLE, replicas, false);
  return surge === 0 && unavailable === 0 ? { surge, unavailable: 1 } : { surge, unavailable };
}

function resolve(v: number | string, total: number, up: boolean): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return Number(v) || 0;
  const exact = (total * Number(m[1])) / 100;
  return up ? Math.ceil(exact) : Math.floor(exact);
}

function initialReplicas(d: Deployment, olds: readonly ReplicaSet[], replicas: number, surge: number): number {
  const current = olds.reduce((s, rs) => s + specReplicas(rs), 0);
  if (d.spec.strategy?.type === 'Recreate') return current > 0 ? 0 : replicas;
  return Math.max(0, Math.min(replicas, replicas + surge - current));
}

function newReplicaSet(d: Deployment, revision: number, count: number, surge: number): ReplicaSet {
  const hash = podTemplateHash(d.spec.template, d.status?.collisionCount ?? 0);
  const template = structuredClone(d.spec.template);
  template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [HASH_LABEL]: hash } };
  const replicas = d.spec.replicas ?? 1;
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace!,
      labels: { ...d.spec.template.metadata?.labels, [HASH_LABEL]: hash },
      annotations: {
        ...pick(d.metadata.annotations, 'kubernetes.io/change-cause'),
        [DESIRED_REPLICAS_ANNOTATION]: String(replicas),
        [MAX_REPLICAS_ANNOTATION]: String(replicas + surge),
        [REVISION_ANNOTATION]: String(revision),
      },
      ownerReferences: [controllerRef(d, 'apps/v1', 'Deployment')],
    },
    spec: {
      replicas: count,
      ...(d.spec.minReadySeconds !== undefined && { minReadySeconds: d.spec.minReadySeconds }),
      selector: { ...d.spec.selector, matchLabels: { ...d.spec.selector.matchLabels, [HASH_LABEL]: hash } },
      template,
    },
  };
}

function pick(from: Record<string, string> | undefined, key: string): Record<string, string> {
  return from?.[key] !== undefined ? { [key]: from[key] } : {};
}

/**
 * One step of a rolling update: the new ReplicaSet grows into the surge; once it cannot, the
 * old ones shrink — first their unavailable pods, then as many available ones as the
 * unavailability budget allows — oldest first.
 */
function rollingUpdate(newRS: ReplicaSet, olds: readonly ReplicaSet[], replicas: number, surge: number, unavailable: number, scale: Map<ReplicaSet, number>): void {
  const all = [newRS, ...olds];
  const total = all.reduce((s, rs) => s + specReplicas(rs), 0);
  const current = specReplicas(newRS);
  if (current > replicas) return void scale.set(newRS, replicas);
  if (current < replicas) {
    const up = replicas + surge - total;
    if (up > 0) return void scale.set(newRS, Math.min(current + up, replicas));
  }
  const oldCount = olds.reduce((s, rs) => s + specReplicas(rs), 0);
  if (oldCount === 0) return;
  const minAvailable = replicas - unavailable;
  const newUnavailable = specReplicas(newRS) - available(newRS);
  const maxScaledDown = total - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return;
  // Unhealthy pods of old ReplicaSets first: removing them costs no availability.
  const target = new Map(olds.map((rs) => [rs, specReplicas(rs)]));
  let cleaned = 0;
  for (const rs of olds) {
    if (cleaned >= maxScaledDown) break;
    const n = target.get(rs)!;
    if (n === 0 || n <= available(rs)) continue;
    const down = Math.min(maxScaledDown - cleaned, n - available(rs));
    target.set(rs, n - down);
    cleaned += down;
  }
  const availableCount = all.reduce((s, rs) => s + available(rs), 0);
  let budget = availableCount - minAvailable;
  for (const rs of olds) {
    if (budget <= 0) break;
    const n = target.get(rs)!;
    if (n === 0) continue;
    const down = Math.min(n, budget);
    target.set(rs, n - down);
    budget -= down;
  }
  for (const [rs, n] of target) if (n !== specReplicas(rs)) scale.set(rs, n);
}

/** Recreate: every old pod gone first, then the new ReplicaSet at full size. */
function recreate(newRS: ReplicaSet, olds: readonly ReplicaSet[], replicas: number, scale: Map<ReplicaSet, number>): void {
  const oldRunning = olds.filter((rs) => specReplicas(rs) > 0);
  if (oldRunning.length > 0) {
    for (const rs of oldRunning) scale.set(rs, 0);
    return;
  }
  if (olds.some((rs) => (rs.status?.replicas ?? 0) > 0)) return;
  if (specReplicas(newRS) !== replicas) scale.set(newRS, replicas);
}

function scaled(rs: ReplicaSet, count: number, replicas: number, surge: number): WorkloadAction {
  const object: ReplicaSet = {
    ...rs,
    metadata: {
      ...rs.metadata,
      annotations: { ...rs.metadata.annotations, [DESIRED_REPLICAS_ANNOTATION]: String(replicas), [MAX_REPLICAS_ANNOTATION]: String(replicas + surge) },
    },
    spec: { ...rs.spec, replicas: count },
  };
  return { type: 'update', resource: 'replicasets', namespace: rs.metadata.namespace!, name: rs.metadata.name!, resourceVersion: rs.metadata.resourceVersion!, object };
}

function annotate(rs: ReplicaSet, annotations: Record<string, string>): WorkloadAction {
  const object = { ...rs, metadata: { ...rs.metadata, annotations: { ...rs.metadata.annotations, ...annotations } } };
  return { type: 'update', resource: 'replicasets', namespace: rs.metadata.namespace!, name: rs.metadata.name!, resourceVersion: rs.metadata.resourceVersion!, object };
}

/** Old ReplicaSets with nothing left beyond `revisionHistoryLimit`, oldest revision first. */
function cleanup(d: Deployment, olds: readonly ReplicaSet[], scale: Map<ReplicaSet, number>): WorkloadAction[] {
  const limit = d.spec.revisionHistoryLimit ?? DEFAULT_HISTORY;
  const idle = olds.filter((rs) => specReplicas(rs) === 0 && !scale.has(rs) && (rs.status?.replicas ?? 0) === 0).sort((a, b) => revisionOf(a) - revisionOf(b));
  return idle.slice(0, Math.max(0, idle.length - limit))
    .map((rs) => ({ type: 'delete', resource: 'replicasets', namespace: rs.metadata.namespace!, name: rs.metadata.name!, uid: rs.metadata.uid! }));
}

function statusOf(d: Deployment, owned: readonly ReplicaSet[], newRS: ReplicaSet | undefined, moved: boolean, replicas: number, unavailable: number, now: number): NonNullable<Deployment['status']> {
  const sum = (f: (rs: ReplicaSet) => number) => owned.reduce((s, rs) => s + f(rs), 0);
  const counts = {
    replicas: sum((rs) => rs.status?.replicas ?? 0),
    updatedReplicas: newRS && owned.includes(newRS) ? newRS.status?.replicas ?? 0 : 0,
    readyReplicas: sum((rs) => rs.status?.readyReplicas ?? 0),
    availableReplicas: sum(available),
  };
  const time = timestamp(now);
  let conditions = d.status?.conditions ?? [];
  conditions = setCondition(conditions, counts.availableReplicas >= replicas - unavailable
    ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
    : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' }, time);
  const name = newRS?.metadata.name;
  const complete = newRS !== undefined && counts.updatedReplicas === replicas && counts.replicas === replicas && counts.availableReplicas === replicas;
  const progressed = moved || !jsonEqual(counts, pickCounts(d.status));
  const previous = conditions.find((c) => c.type === 'Progressing');
  const deadline = (d.spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_S) * 1000;
  let progressing: Condition | undefined;
  if (name === undefined) progressing = undefined;
  else if (complete) progressing = { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${name}" has successfully progressed.` };
  else if (owned.length === 0 || !owned.includes(newRS!)) progressing = { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${name}"` };
  else if (progressed) progressing = { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${name}" is progressing.` };
  else if (previous?.status === 'True' && previous.reason !== 'NewReplicaSetAvailable' && !d.spec.paused && Date.parse(previous.lastUpdateTime ?? time) + deadline < now) {
    progressing = { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${name}" has timed out progressing.` };
  }
  // Progress moves lastUpdateTime even when the reason stays (the deadline counts from it).
  if (progressing) conditions = setCondition(conditions, progressing, time, progressed && progressing.reason === 'ReplicaSetUpdated');
  return {
    observedGeneration: d.metadata.generation ?? 1,
    ...counts,
    unavailableReplicas: Math.max(0, replicas - counts.availableReplicas),
    ...(d.status?.collisionCount !== undefined && { collisionCount: d.status.collisionCount }),
    conditions,
  };
}

function pickCounts(s: Deployment['status']) {
  return { replicas: s?.replicas ?? 0, updatedReplicas: s?.updatedReplicas ?? 0, readyReplicas: s?.readyReplicas ?? 0, availableReplicas: s?.availableReplicas ?? 0 };
}

/** Sets a condition as the API server does: unchanged status and reason keep their times; a new status moves lastTransitionTime. */
function setCondition(conditions: readonly Condition[], c: Condition, time: string, touch = false): Condition[] {
  const old = conditions.find((x) => x.type === c.type);
  if (old && old.status === c.status && old.reason === c.reason && old.message === c.message && !touch) return [...conditions];
  const next: Condition = { ...c, lastUpdateTime: time, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime ?? time : time };
  return old ? conditions.map((x) => (x === old ? next : x)) : [...conditions, next];
}
