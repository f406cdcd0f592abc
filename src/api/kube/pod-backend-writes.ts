/**
 * Writing pods, as the API server's pod strategy does, over the pod's task:
 *
 *   create ─▶ name (generateName) ─▶ namespace lives ─▶ admitPodCreate (service account, rng)
 *          ─▶ a Fargate profile selects it: EKS's admission (core/kube/pod/fargate.ts), a FARGATE task
 *          ─▶ podToTaskSpec (ConfigMaps, Secrets, tokens) ─▶ one transaction: the task's spec and
 *             status (PROVISIONING on no instance: the pod scheduler places it) and the name key
 *             ("must not exist": 409 AlreadyExists)
 *   update ─▶ admitPodUpdate ─▶ applyPodUpdate ─▶ the spec, compare-and-set (409 on a stale resourceVersion)
 *   status ─▶ conditions of types the view does not derive, kept in the task's status (kubeConditions)
 *   delete ─▶ removed at once when nothing runs (never placed, or STOPPED) or with gracePeriodSeconds 0;
 *             else deletePod: Terminating, desiredStatus STOPPED, the agent stops it in the grace period
 *
 * A pod removed (core/kube/pod/removal.ts) is its task deleted with its name key (nothing ran,
 * or it stopped), or, forced while it still runs, its task left to stop as an ECS task without
 * its Kubernetes part. A deleted pod whose task stops later is removed by the controllers'
 * pod removal job (src/controllers/pod-removal-job.ts).
 */
import { isDeepStrictEqual } from 'node:util';
import { fargateProfileFor, type FargateProfileRecord } from '../../core/eks/fargate-profile.ts';
import { eksKeys } from '../../core/eks/keys.ts';
import { admitFargatePod } from '../../core/kube/pod/fargate.ts';
import { generatedName } from '../../core/kube/names.ts';
import { admitPodCreate, admitPodUpdate, type AdmitResult } from '../../core/kube/pod/admit.ts';
import { applyPodUpdate, deletePod } from '../../core/kube/pod/changes.ts';
import { POD_ECS_CLUSTER, podNameKey } from '../../core/kube/pod/hosting.ts';
import { DERIVED_CONDITIONS } from '../../core/kube/pod/status-view.ts';
import { podReservation, podToTaskSpec, taskIdOfUid } from '../../core/kube/pod/to-spec.ts';
import type { DataObject, Pod, PodSpec } from '../../core/kube/pod/types.ts';
import { nothingRuns, podRemovalTxn, removalDue } from '../../core/kube/pod/removal.ts';
import { changeTaskHalves, specWriteTxn, splitTaskOps, taskKey, type StoredTask } from '../../core/workload/task-store.ts';
import type { TaskSpec } from '../../core/workload/spec.ts';
import type { KubeCondition, TaskStatus } from '../../core/workload/status.ts';
import { UPDATE_ATTEMPTS } from './generic-storage.ts';
import type { KindInfo } from './kinds.ts';
import { metadataErrors, type Obj } from './kind-rules.ts';
import { resourcePrefix } from './keys.ts';
import { nameValue, placeholderToken, podObject, readPod, scopeOf, type HeldPod, type PodBackendDeps } from './pod-backend-names.ts';
import { alreadyExists, badRequest, conflict, invalid, methodNotAllowed, namespaceTerminating, notFound, preconditionFailed, StatusError } from './status.ts';
import { checkBodyName, checkPreconditions } from './write-identity.ts';
import type { DeleteOptions, DeleteResult, UpdateOptions, WriteOptions } from './storage-backend.ts';

/** The Kubernetes default grace period (core/v1 DefaultTerminationGracePeriodSeconds). */
const DEFAULT_GRACE_SECONDS = 30;

/** A core/v1 object of the generic backend (ConfigMap, Secret, ServiceAccount, Namespace), read by its key. */
async function readCore(d: PodBackendDeps, plural: string, namespace: string | undefined, name: string): Promise<Obj | undefined> {
  const kv = await d.store.get(`${resourcePrefix(d.cluster.uid, { group: '', plural })}${namespace === undefined ? '' : `${namespace}/`}${name}`);
  return kv && (JSON.parse(kv.value) as Obj);
}

/** The ConfigMaps and Secrets a pod spec names (env, envFrom, volumes, projected sources). */
export function referencedData(spec: PodSpec): { configMaps: Set<string>; secrets: Set<string> } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    for (const e of c.env ?? []) {
      if (e.valueFrom?.configMapKeyRef?.name) configMaps.add(e.valueFrom.configMapKeyRef.name);
      if (e.valueFrom?.secretKeyRef?.name) secrets.add(e.valueFrom.secretKeyRef.name);
    }
    for (const e of c.envFrom ?? []) {
      if (e.configMapRef?.name) configMaps.add(e.configMapRef.name);
      if (e.secretRef?.name) secrets.add(e.secretRef.name);
    }
  }
  for (const v of spec.volumes ?? []) {
    if (v.configMap?.name) configMaps.add(v.configMap.name);
    if (v.secret?.secretName) secrets.add(v.secret.secretName);
    for (const s of v.projected?.sources ?? []) {
      if (s.configMap?.name) configMaps.add(s.configMap.name);
      if (s.secret?.name) secrets.add(s.secret.name);
    }
  }
  return { configMaps, secrets };
}

async function readAll(d: PodBackendDeps, plural: string, namespace: string, names: Set<string>): Promise<Map<string, DataObject>> {
  const out = new Map<string, DataObject>();
  for (const name of names) {
    const o = await readCore(d, plural, namespace, name);
    if (o) out.set(name, o as DataObject);
  }
  return out;
}

/**
 * The admitted pod, or the API server's refusal: metadata errors (name, labels) with the
 * spec's in one 422, as ValidatePodCreate / ValidatePodUpdate report them together.
 */
function admitted(kind: KindInfo, name: string, o: Obj, r: AdmitResult): Pod {
  const meta = metadataErrors(kind, o);
  if (!r.ok && 'badRequest' in r) throw badRequest(`Pod in version "v1" cannot be handled as a Pod: ${r.badRequest}`);
  if (!r.ok && 'forbidden' in r) throw new StatusError(403, 'Forbidden', r.forbidden, { name, kind: 'pods' });
  const errors = [...meta, ...(r.ok ? [] : r.errors)];
  if (errors.length > 0 || !r.ok) throw invalid('', 'Pod', name, errors);
  return r.pod;
}

/** The cluster's Fargate profiles (EKS allows MAX_FARGATE_PROFILES_PER_CLUSTER: one short read). */
async function fargateProfiles(d: PodBackendDeps): Promise<FargateProfileRecord[]> {
  const { items } = await d.store.list(eksKeys.fargateProfiles(scopeOf(d.cluster), d.cluster.name));
  return items.map((kv) => JSON.parse(kv.value) as FargateProfileRecord);
}

/** A new pod's status: waiting for a host (the pod scheduler places it), as a Fargate task waiting for capacity. */
function waitingStatus(spec: TaskSpec): TaskStatus {
  return {
    lastStatus: 'PROVISIONING', changes: 0, healthStatus: 'UNKNOWN', attachments: [],
    containers: spec.containers.map((c) => ({ name: c.name, lastStatus: 'PENDING', networkBindings: [], networkInterfaces: [], healthStatus: 'UNKNOWN' })),
  };
}

export async function createPod(d: PodBackendDeps, kind: KindInfo, namespace: string, input: Obj, options: WriteOptions): Promise<Obj> {
  const m = input.metadata;
  if (!m.name) {
    if (!m.generateName) {
      throw invalid('', 'Pod', '', [{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
    }
    m.name = generatedName(m.generateName, d.rng);
  }
  const name = m.name;
  // What the server sets on create, whatever the client sent.
  for (const k of ['uid', 'creationTimestamp', 'resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation'] as const) delete m[k];
  m.namespace = namespace;
  delete input.status;
  const ns = await readCore(d, 'namespaces', undefined, namespace);
  if (!ns) throw notFound({ group: '', plural: 'namespaces' }, namespace);
  if (ns.metadata.deletionTimestamp !== undefined) throw namespaceTerminating(kind, name, namespace);
  const pod = input as unknown as Pod;
  const saName = pod.spec?.serviceAccountName || pod.spec?.serviceAccount || 'default';
  const sa = await readCore(d, 'serviceaccounts', namespace, saName);
  const stored = admitted(kind, name, input, admitPodCreate(pod, {
    rng: d.rng,
    serviceAccount: (n) => (n === saName && sa ? { ...((sa as { automountServiceAccountToken?: boolean }).automountServiceAccountToken !== undefined && { automountServiceAccountToken: (sa as { automountServiceAccountToken?: boolean }).automountServiceAccountToken }) } : undefined),
  }));
  const now = d.now();
  // Server-side apply has written managedFields already; any other create records an Update.
  if (!options.applied) stored.metadata = { ...stored.metadata, managedFields: d.schemas.managedFieldsAfterUpdate(kind, undefined, { ...stored, apiVersion: 'v1', kind: 'Pod' }, options.fieldManager, new Date(now)) };
  // EKS's Fargate admission: a pod an ACTIVE profile of its cluster selects runs on Fargate.
  const profile = fargateProfileFor(namespace, stored.metadata?.labels ?? {}, await fargateProfiles(d));
  if (profile) Object.assign(stored, admitFargatePod(stored, profile.fargateProfileName, podReservation(stored.spec ?? { containers: [] })));
  const podSpec = stored.spec ?? { containers: [] };
  const wanted = referencedData(podSpec);
  const configMaps = await readAll(d, 'configmaps', namespace, wanted.configMaps);
  const secrets = await readAll(d, 'secrets', namespace, wanted.secrets);
  const id = taskIdOfUid(d.newUid());
  const containerIds = [...(podSpec.initContainers ?? []), ...podSpec.containers].map(() => d.newUid());
  const issue = d.issueToken ?? placeholderToken;
  const { spec } = podToTaskSpec(stored, {
    id, now, clusterUid: d.cluster.uid,
    ...(profile && { fargate: true }),
    ecs: { scope: scopeOf(d.cluster), clusterName: POD_ECS_CLUSTER, containerIds },
    configMap: (n) => configMaps.get(n),
    secret: (n) => secrets.get(n),
    // Bound to the account as read now: a token outlives neither it nor the pod (service-account-tokens.ts checks both).
    token: (r) => issue({ ...r, serviceAccountUid: sa?.metadata.uid ?? '' }),
    ...(d.clusterDns && { clusterDns: d.clusterDns }),
    ...(d.masterService && { masterService: d.masterService }),
  });
  const status = waitingStatus(spec);
  const nameKey = podNameKey(d.cluster.uid, namespace, name);
  const existing = await d.store.get(nameKey);
  // A name key whose task is gone (removed by ECS retention) names no pod: the create takes it over.
  if (existing && await readPod(d, namespace, name)) throw alreadyExists(kind, name);
  const task = { key: taskKey({ scope: scopeOf(d.cluster), cluster: POD_ECS_CLUSTER, id }), specRevision: 0, statusRevision: 0 };
  if (options.dryRun) return podObject({ spec, status, node: undefined, task: task as StoredTask });
  const r = await d.store.txn({
    if: [{ key: nameKey, modRevision: existing?.modRevision ?? 0 }, { key: task.key, modRevision: 0 }],
    ops: [...splitTaskOps({ scope: scopeOf(d.cluster), cluster: POD_ECS_CLUSTER, id }, spec, status), { type: 'put', key: nameKey, value: nameValue(task.key) }],
  });
  if (!r.ok) throw r.failed.includes(nameKey) ? alreadyExists(kind, name) : conflict(kind, name);
  return podObject({ spec, status, node: undefined, task: { ...task, specRevision: r.revision, statusRevision: r.revision } as StoredTask });
}

/** managedFields without their times: a no-op write's fresh timestamp is no change. */
const ownership = (fields: unknown): unknown => (Array.isArray(fields) ? fields.map((e) => ({ ...(e as object), time: undefined })) : fields);

/** A spec equal but for its generation and managedFields' times: the write is skipped, as the server skips a no-op update. */
function sameSpec(a: TaskSpec, b: TaskSpec): boolean {
  const strip = (s: TaskSpec) => ({ ...s, generation: 0, kube: s.kube && { ...s.kube, managedFields: ownership(s.kube.managedFields) } });
  return isDeepStrictEqual(strip(a), strip(b));
}

/** The task's status after a client's write of the pod's status: the conditions of types the view does not derive. */
function statusAfter(status: TaskStatus, next: Obj): TaskStatus | undefined {
  const conditions = ((next.status as { conditions?: KubeCondition[] } | undefined)?.conditions ?? []).filter((c) => !DERIVED_CONDITIONS.has(c.type));
  if (isDeepStrictEqual(conditions, status.kubeConditions ?? [])) return undefined;
  const { kubeConditions: _k, ...rest } = status;
  return { ...rest, ...(conditions.length > 0 && { kubeConditions: conditions }), changes: status.changes + 1 };
}

/** The task's spec after a client's write of the pod, or undefined when it changes nothing. */
function specAfter(d: PodBackendDeps, kind: KindInfo, name: string, held: HeldPod, current: Obj, next: Obj, options: UpdateOptions): TaskSpec | undefined {
  const m = next.metadata;
  const c = current.metadata;
  // What the server keeps whatever an update sends.
  m.uid = c.uid;
  m.creationTimestamp = c.creationTimestamp;
  m.namespace = c.namespace;
  m.deletionTimestamp = c.deletionTimestamp;
  m.deletionGracePeriodSeconds = c.deletionGracePeriodSeconds;
  if (c.deletionTimestamp !== undefined) {
    const added = (m.finalizers ?? []).filter((f) => !(c.finalizers ?? []).includes(f));
    if (added.length > 0) {
      throw invalid('', 'Pod', name, [{ reason: 'FieldValueForbidden', field: 'metadata.finalizers',
        message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}` }]);
    }
  }
  const pod = admitted(kind, name, next, admitPodUpdate(next as unknown as Pod, current as unknown as Pod));
  // managedFields a client sends changed are taken as given (kubectl moving client-side apply's fields to server-side apply); otherwise the write's manager is recorded.
  const rewritten = !options.applied && m.managedFields !== undefined && !isDeepStrictEqual(ownership(m.managedFields), ownership(c.managedFields));
  if (!options.applied && !rewritten) {
    pod.metadata = { ...pod.metadata, managedFields: d.schemas.managedFieldsAfterUpdate(kind, current, { ...pod, apiVersion: 'v1', kind: 'Pod' }, options.fieldManager, new Date(d.now())) };
  }
  const spec = applyPodUpdate(held.spec, pod);
  return sameSpec(spec, held.spec) ? undefined : spec;
}

/** What one attempt of an update decided. */
type Decision = { kind: 'write'; object: Obj } | { kind: 'same'; object: Obj } | { kind: 'remove'; held: HeldPod; object: Obj };

export async function updatePod(d: PodBackendDeps, kind: KindInfo, namespace: string, name: string, change: (current: Obj | undefined) => Obj | undefined, options: UpdateOptions): Promise<{ object: Obj; created: boolean }> {
  if (options.subresource !== undefined && options.subresource !== 'status') throw methodNotAllowed();
  for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
    const first = await readPod(d, namespace, name);
    if (!first) {
      const next = change(undefined);
      if (!next || options.subresource !== undefined) throw notFound(kind, name);
      checkBodyName(name, next);
      // Created by an update (server-side apply of a new pod).
      return { object: await createPod(d, kind, namespace, { ...next, metadata: { ...next.metadata, name } }, options), created: true };
    }
    let decision: Decision | undefined;
    let named = false;
    const w = await changeTaskHalves(d.store, first.task.key, (spec, status, task) => {
      const held: HeldPod = { ...first, spec, status, task };
      const current = podObject(held);
      const next = change(structuredClone(current));
      if (!next) throw notFound(kind, name);
      named = next.metadata.resourceVersion !== undefined && next.metadata.resourceVersion !== '';
      checkBodyName(name, next);
      checkPreconditions(kind, name, current, next);
      if (options.subresource === 'status') {
        const s = statusAfter(status, next);
        if (!s) return void (decision = { kind: 'same', object: current });
        const object = podObject({ ...held, status: s });
        if (options.dryRun) return void (decision = { kind: 'same', object });
        decision = { kind: 'write', object };
        return { status: s };
      }
      const s = specAfter(d, kind, name, held, current, next, options);
      if (!s) return void (decision = { kind: 'same', object: current });
      const object = podObject({ ...held, spec: s });
      if (options.dryRun) return void (decision = { kind: 'same', object });
      // The last finalizer of a deleted pod whose containers are stopped: the pod goes.
      if (removalDue(s, status)) {
        return void (decision = { kind: 'remove', held: { ...held, spec: s }, object });
      }
      decision = { kind: 'write', object };
      return { spec: s };
    }, { attempts: 1 });
    const made = decision as Decision | undefined;
    if (w.outcome === 'missing') throw notFound(kind, name);
    if (w.outcome === 'written' && made) {
      const o = podObject({ ...first, spec: w.task.spec!, status: w.task.status!, task: w.task });
      return { object: o, created: false };
    }
    if (w.outcome === 'unchanged' && made?.kind === 'same') return { object: made.object, created: false };
    if (w.outcome === 'unchanged' && made?.kind === 'remove') {
      const r = await d.store.txn(podRemovalTxn({ ...made.held.task, specRevision: w.task.specRevision, spec: made.held.spec, status: made.held.status }));
      if (r.ok) return { object: made.object, created: false };
    }
    // Another writer came first: a write that named its resourceVersion is refused, any other decided again.
    if (named) throw conflict(kind, name);
  }
  throw conflict(kind, name);
}

export async function deletePodNamed(d: PodBackendDeps, kind: KindInfo, namespace: string, name: string, options: DeleteOptions): Promise<DeleteResult> {
  for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
    const held = await readPod(d, namespace, name);
    if (!held) throw notFound(kind, name);
    const current = podObject(held);
    const p = options.preconditions;
    if (p?.uid !== undefined && p.uid !== current.metadata.uid) throw preconditionFailed(kind, name, 'UID', p.uid, current.metadata.uid);
    if (p?.resourceVersion !== undefined && p.resourceVersion !== current.metadata.resourceVersion) throw preconditionFailed(kind, name, 'ResourceVersion', p.resourceVersion, current.metadata.resourceVersion);
    const k = held.spec.kube!;
    const finalizers = new Set(k.finalizers ?? []);
    if (options.propagationPolicy === 'Orphan') finalizers.add('orphan');
    if (options.propagationPolicy === 'Foreground') finalizers.add('foregroundDeletion');
    // The pod strategy: a pod that never ran, or whose containers all stopped, goes at once (grace 0).
    const grace = nothingRuns(held.spec, held.status) ? 0 : options.gracePeriodSeconds ?? k.podSpec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
    if (grace === 0 && finalizers.size === 0) {
      if (options.dryRun) return { gone: true, object: current };
      if ((await d.store.txn(podRemovalTxn({ ...held.task, spec: held.spec, status: held.status }))).ok) return { gone: true, object: current };
      continue;
    }
    const deleting = deletePod(held.spec, d.now(), grace);
    const spec: TaskSpec = { ...deleting, kube: { ...deleting.kube!, ...(finalizers.size > 0 && { finalizers: [...finalizers] }) } };
    if (k.deletionTimestamp !== undefined && sameSpec(spec, held.spec)) return { gone: false, object: current };
    const object = podObject({ ...held, spec });
    if (options.dryRun) return { gone: false, object };
    const r = await d.store.txn(specWriteTxn(held.task, spec));
    if (r.ok) return { gone: false, object: podObject({ ...held, spec, task: { ...held.task, specRevision: r.revision } }) };
  }
  throw conflict(kind, name);
}
