/**
 * A Pod as the API server stores it after defaulting (k8s.io/api core/v1 SetDefaults_*) and
 * the admission plugins every cluster runs (ServiceAccount, DefaultTolerationSeconds,
 * Priority): what `kubectl get pod -o yaml` shows for a pod that was created with less. Pure:
 * the one random choice (the service account volume's suffix) is drawn from `rng`.
 */
import { generatedName } from '../names.ts';
import type { Container, Pod, PodSpec, Probe, Toleration, Volume } from './types.ts';

/** Seconds between SIGTERM and SIGKILL when the pod says nothing (PodSpec.terminationGracePeriodSeconds). */
export const DEFAULT_TERMINATION_GRACE_SECONDS = 30;
/** Volume file mode when a configMap, secret, projected or downwardAPI volume says none (0644). */
export const DEFAULT_VOLUME_MODE = 0o644;
/** Where the ServiceAccount admission plugin mounts the API credentials. */
export const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The bound token's lifetime the ServiceAccount admission plugin asks for (an hour and 7 s, so it is told apart). */
export const SERVICE_ACCOUNT_TOKEN_SECONDS = 3607;
/** A projected token's lifetime when the pod says none (ServiceAccountTokenProjection default). */
export const DEFAULT_TOKEN_SECONDS = 3600;
/** DefaultTolerationSeconds admission: how long a pod stays bound to a not-ready or unreachable node. */
export const DEFAULT_TOLERATION_SECONDS = 300;
/** The ConfigMap every namespace gets with the cluster's CA (kube-root-ca.crt publisher). */
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';

export interface Admission {
  /** Draws the service account volume's suffix. */
  rng: () => number;
  /** The pod's ServiceAccount's automountServiceAccountToken (the admission plugin reads it). */
  serviceAccountAutomount?: boolean;
  /** The PriorityClass the pod names, resolved (admit.ts); absent: none named, priority 0. */
  priorityClass?: { value: number; preemptionPolicy?: 'Never' | 'PreemptLowerPriority' };
}

/** The pull policy the API server gives an image: Always for `:latest` or no tag, else IfNotPresent. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const at = image.indexOf('@');
  const name = at < 0 ? image : image.slice(0, at);
  const slash = name.lastIndexOf('/');
  const colon = name.indexOf(':', slash + 1);
  const tag = colon < 0 ? undefined : name.slice(colon + 1);
  if (tag === undefined) return at < 0 ? 'Always' : 'IfNotPresent';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(p: Probe | undefined): void {
  if (!p) return;
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  if (p.httpGet) {
    p.httpGet.path ||= '/';
    p.httpGet.scheme ??= 'HTTP';
  }
  if (p.grpc) p.grpc.service ??= '';
}

function defaultContainer(c: Container, hostNetwork: boolean): void {
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  if (c.imagePullPolicy === undefined && typeof c.image === 'string') c.imagePullPolicy = defaultPullPolicy(c.image);
  c.resources ??= {};
  // A limit without a request requests the limit (SetDefaults_Pod).
  if (c.resources.limits) {
    const requests = { ...c.resources.requests };
    for (const [k, v] of Object.entries(c.resources.limits)) requests[k] ??= v;
    c.resources.requests = requests;
  }
  for (const p of c.ports ?? []) {
    p.protocol ??= 'TCP';
    if (hostNetwork && p.hostPort === undefined) p.hostPort = p.containerPort;
  }
  for (const e of c.env ?? []) {
    if (e.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion ??= 'v1';
    // A Quantity is a struct the server always writes: an absent divisor reads back as "0" (meaning 1).
    if (e.valueFrom?.resourceFieldRef) e.valueFrom.resourceFieldRef.divisor ??= '0';
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
}

function defaultVolume(v: Volume): void {
  if (v.configMap) v.configMap.defaultMode ??= DEFAULT_VOLUME_MODE;
  if (v.secret) v.secret.defaultMode ??= DEFAULT_VOLUME_MODE;
  if (v.hostPath) v.hostPath.type ??= '';
  if (v.downwardAPI) {
    v.downwardAPI.defaultMode ??= DEFAULT_VOLUME_MODE;
    for (const i of v.downwardAPI.items ?? []) if (i.fieldRef) i.fieldRef.apiVersion ??= 'v1';
  }
  if (v.projected) {
    v.projected.defaultMode ??= DEFAULT_VOLUME_MODE;
    for (const s of v.projected.sources ?? []) {
      if (s.serviceAccountToken) s.serviceAccountToken.expirationSeconds ??= DEFAULT_TOKEN_SECONDS;
      for (const i of s.downwardAPI?.items ?? []) if (i.fieldRef) i.fieldRef.apiVersion ??= 'v1';
    }
  }
}

/** Whether `tolerations` already tolerate a NoExecute taint `key` (DefaultTolerationSeconds' test). */
function tolerates(tolerations: readonly Toleration[], key: string): boolean {
  return tolerations.some((t) => (!t.effect || t.effect === 'NoExecute')
    && ((t.operator === 'Exists' && (t.key === undefined || t.key === '' || t.key === key)) || (t.key === key && (t.operator === undefined || t.operator === 'Equal') && !t.value)));
}

/** The ServiceAccount admission plugin's volume: a bound token, the cluster CA and the namespace. */
function serviceAccountVolume(name: string): Volume {
  return {
    name,
    projected: {
      defaultMode: DEFAULT_VOLUME_MODE,
      sources: [
        { serviceAccountToken: { expirationSeconds: SERVICE_ACCOUNT_TOKEN_SECONDS, path: 'token' } },
        { configMap: { name: ROOT_CA_CONFIGMAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  };
}

function admitServiceAccount(spec: PodSpec, admission: Admission): void {
  spec.serviceAccountName ||= spec.serviceAccount || 'default';
  spec.serviceAccount = spec.serviceAccountName;
  const automount = spec.automountServiceAccountToken ?? admission.serviceAccountAutomount ?? true;
  if (!automount) return;
  const all = [...(spec.initContainers ?? []), ...spec.containers];
  if (all.every((c) => (c.volumeMounts ?? []).some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT_PATH))) return;
  const name = generatedName('kube-api-access-', admission.rng);
  spec.volumes = [...(spec.volumes ?? []), serviceAccountVolume(name)];
  for (const c of all) {
    if ((c.volumeMounts ?? []).some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT_PATH)) continue;
    c.volumeMounts = [...(c.volumeMounts ?? []), { name, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH }];
  }
}

/**
 * `pod` as the API server stores it at create: defaults filled, the service account's token
 * volume mounted, the default tolerations added, priority set. Without `admission` (an
 * update: the admission plugins act on create) only the defaults. Not mutated; a copy is
 * returned.
 */
export function defaultPod(pod: Pod, admission: Admission | undefined): Pod {
  const out = structuredClone(pod);
  const spec = (out.spec ??= { containers: [] });
  spec.containers ??= [];
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= DEFAULT_TERMINATION_GRACE_SECONDS;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  spec.enableServiceLinks ??= true;
  const hostNetwork = spec.hostNetwork === true;
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) defaultContainer(c, hostNetwork);
  for (const v of spec.volumes ?? []) defaultVolume(v);
  if (!admission) return out;
  // The Priority admission plugin (no global default class: 0 when none is named).
  spec.priority ??= admission.priorityClass?.value ?? 0;
  spec.preemptionPolicy ??= admission.priorityClass?.preemptionPolicy ?? 'PreemptLowerPriority';
  admitServiceAccount(spec, admission);
  const tolerations = [...(spec.tolerations ?? [])];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!tolerates(tolerations, key)) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS });
  }
  spec.tolerations = tolerations;
  return out;
}
