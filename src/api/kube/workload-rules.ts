/**
 * The API server's strategies for the workload kinds (apps/v1 Deployment, ReplicaSet,
 * DaemonSet; batch/v1 Job), pure: apps/v1 and batch/v1 defaults, the pod template's defaults
 * (the same ones on every kind, so a Deployment's template and its ReplicaSet's compare equal),
 * and validation with the server's messages: selector present, non-empty, matching the
 * template's labels and immutable; replicas non-negative; containers with names and images;
 * the restart policy each kind allows.
 */
import { labelErrors, nameErrors, type FieldError } from '../../core/kube/names.ts';
import { matchesLabels, requirementsOf } from '../../core/kube/selectors.ts';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const obj = (v: unknown): Json => (isObj(v) ? v : {});

export interface Selector { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] }

/** Defaults of a probe (timeout 1 s, period 10 s, success 1, failure 3; HTTP for httpGet). */
function defaultProbe(p: unknown): void {
  if (!isObj(p)) return;
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  if (isObj(p.httpGet)) p.httpGet.scheme ??= 'HTTP';
}

/** `Always` for `:latest` or an untagged image, else `IfNotPresent` (a digest is a tag here too). */
export function defaultPullPolicy(image: unknown): string {
  if (typeof image !== 'string') return 'IfNotPresent';
  if (image.includes('@')) return 'IfNotPresent';
  const last = image.slice(image.lastIndexOf('/') + 1);
  const colon = last.lastIndexOf(':');
  return colon < 0 || last.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(c: unknown): void {
  if (!isObj(c)) return;
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.imagePullPolicy ??= defaultPullPolicy(c.image);
  c.resources ??= {};
  for (const p of Array.isArray(c.ports) ? c.ports : []) if (isObj(p)) p.protocol ??= 'TCP';
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) defaultProbe(c[probe]);
}

/** SetDefaults_PodSpec and its containers', as core/v1 applies them to a pod or a template. */
export function defaultPodSpec(spec: Json): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  for (const field of ['containers', 'initContainers']) for (const c of Array.isArray(spec[field]) ? spec[field] : []) defaultContainer(c);
}

export type WorkloadKind = 'Deployment' | 'ReplicaSet' | 'DaemonSet' | 'Job';

/** apps/v1 and batch/v1 defaults of a workload's spec (and its template's). */
export function defaultWorkload(kind: WorkloadKind, o: Json): void {
  if (!isObj(o.spec)) return;
  const spec = o.spec;
  if (kind === 'Deployment' || kind === 'ReplicaSet') spec.replicas ??= 1;
  if (kind === 'Deployment') {
    const strategy = (spec.strategy = obj(spec.strategy ?? {}));
    strategy.type ??= 'RollingUpdate';
    if (strategy.type === 'RollingUpdate') {
      const ru = (strategy.rollingUpdate = obj(strategy.rollingUpdate ?? {}));
      ru.maxUnavailable ??= '25%';
      ru.maxSurge ??= '25%';
    }
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
  }
  if (kind === 'DaemonSet') {
    const strategy = (spec.updateStrategy = obj(spec.updateStrategy ?? {}));
    strategy.type ??= 'RollingUpdate';
    if (strategy.type === 'RollingUpdate') {
      const ru = (strategy.rollingUpdate = obj(strategy.rollingUpdate ?? {}));
      ru.maxUnavailable ??= 1;
      ru.maxSurge ??= 0;
    }
    spec.revisionHistoryLimit ??= 10;
  }
  if (kind === 'Job') {
    // Neither given: one pod to completion; parallelism alone: a work queue (no completions).
    if (spec.parallelism === undefined && spec.completions === undefined) spec.completions = 1;
    spec.parallelism ??= 1;
    spec.backoffLimit ??= 6;
    spec.completionMode ??= 'NonIndexed';
    spec.suspend ??= false;
    spec.podReplacementPolicy ??= 'TerminatingOrFailed';
  }
  if (isObj(spec.template)) {
    // Go clients send a template's zero creationTimestamp as null; the server's decoding drops it.
    if (isObj(spec.template.metadata) && spec.template.metadata.creationTimestamp === null) delete spec.template.metadata.creationTimestamp;
    if (isObj(spec.template.spec)) defaultPodSpec(spec.template.spec);
  }
}

/**
 * A Job's generated selector, as the server makes it unless `manualSelector`: the job's uid
 * in a label of the selector and the template, and the job's name in the template.
 */
export function generateJobSelector(o: Json, uid: string, name: string): void {
  const spec = obj(o.spec);
  if (spec.manualSelector === true || spec.selector !== undefined) return;
  const template = (spec.template = obj(spec.template ?? {}));
  const meta = (template.metadata = obj(template.metadata ?? {}));
  meta.labels = { ...obj(meta.labels), 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': name, 'controller-uid': uid, 'job-name': name };
  spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
}

/** A selector as Go's %#v prints a metav1.LabelSelector (the server's Invalid value in selector messages). */
export function goSelector(s: Selector | undefined): string {
  const labels = s?.matchLabels;
  const ml = labels === undefined ? 'map[string]string(nil)' : `map[string]string{${Object.keys(labels).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify(labels[k])}`).join(', ')}}`;
  const me = s?.matchExpressions === undefined ? '[]v1.LabelSelectorRequirement(nil)'
    : `[]v1.LabelSelectorRequirement{${s.matchExpressions.map((r) => `v1.LabelSelectorRequirement{Key:${JSON.stringify(r.key)}, Operator:${JSON.stringify(r.operator)}, Values:[]string{${(r.values ?? []).map((v) => JSON.stringify(v)).join(', ')}}}`).join(', ')}}`;
  return `&v1.LabelSelector{MatchLabels:${ml}, MatchExpressions:${me}}`;
}

function goMap(m: Record<string, unknown>): string {
  return `map[string]string{${Object.keys(m).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify(m[k])}`).join(', ')}}`;
}

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

const ALLOWED_RESTART: Record<WorkloadKind, string[]> = { Deployment: ['Always'], ReplicaSet: ['Always'], DaemonSet: ['Always'], Job: ['OnFailure', 'Never'] };

function podSpecErrors(kind: WorkloadKind, spec: Json, at: string): FieldError[] {
  const errors: FieldError[] = [];
  const containers = Array.isArray(spec.containers) ? spec.containers : [];
  if (containers.length === 0) errors.push({ reason: 'FieldValueRequired', field: `${at}.containers`, message: 'Required value' });
  const names = new Set<string>();
  for (const field of ['initContainers', 'containers']) {
    (Array.isArray(spec[field]) ? spec[field] as unknown[] : []).forEach((c, i) => {
      const path = `${at}.${field}[${i}]`;
      const container = obj(c);
      const name = container.name;
      if (typeof name !== 'string' || name === '') errors.push({ reason: 'FieldValueRequired', field: `${path}.name`, message: 'Required value' });
      else {
        errors.push(...nameErrors('label', name, `${path}.name`));
        if (names.has(name)) errors.push({ reason: 'FieldValueDuplicate', field: `${path}.name`, message: `Duplicate value: ${JSON.stringify(name)}` });
        names.add(name);
      }
      if (typeof container.image !== 'string' || container.image.trim() === '') errors.push({ reason: 'FieldValueRequired', field: `${path}.image`, message: 'Required value' });
    });
  }
  const allowed = ALLOWED_RESTART[kind];
  const policy = spec.restartPolicy;
  if (typeof policy !== 'string' || !allowed.includes(policy)) {
    errors.push({ reason: 'FieldValueNotSupported', field: `${at}.restartPolicy`, message: `Unsupported value: ${JSON.stringify(policy ?? '')}: supported values: ${allowed.map((p) => JSON.stringify(p)).join(', ')}` });
  }
  return errors;
}

function nonNegative(v: unknown, field: string): FieldError[] {
  if (v === undefined) return [];
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? [] : [{ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(v)}: must be greater than or equal to 0` }];
}

/** Errors of a workload (after defaulting), on create (`old` undefined) or update. */
export function workloadErrors(kind: WorkloadKind, o: Json, old: Json | undefined): FieldError[] {
  const spec = obj(o.spec);
  const errors: FieldError[] = [];
  const selector = isObj(spec.selector) ? spec.selector as Selector : undefined;
  const template = obj(spec.template);
  const templateLabels = obj(obj(template.metadata).labels) as Record<string, string>;
  if (!selector) errors.push({ reason: 'FieldValueRequired', field: 'spec.selector', message: 'Required value' });
  else {
    errors.push(...labelErrors(selector.matchLabels, 'spec.selector.matchLabels'));
    const badOperator = (selector.matchExpressions ?? []).findIndex((r) => !OPERATORS.includes(r.operator));
    if (badOperator >= 0) {
      const op = selector.matchExpressions![badOperator]!.operator;
      errors.push({ reason: 'FieldValueInvalid', field: `spec.selector.matchExpressions[${badOperator}].operator`, message: `Invalid value: ${JSON.stringify(op)}: not a valid selector operator` });
      return errors;
    }
    const empty = Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
    if (empty) errors.push({ reason: 'FieldValueInvalid', field: 'spec.selector', message: `Invalid value: ${goSelector(selector).slice(1)}: empty selector is invalid for ${kind === 'Job' ? 'job' : kind.toLowerCase()}` });
    else if (!matchesLabels(requirementsOf(selector as Parameters<typeof requirementsOf>[0]), templateLabels)) {
      errors.push({ reason: 'FieldValueInvalid', field: 'spec.template.metadata.labels', message: `Invalid value: ${goMap(templateLabels)}: \`selector\` does not match template \`labels\`` });
    }
  }
  errors.push(...labelErrors(templateLabels, 'spec.template.metadata.labels'));
  for (const field of ['replicas', 'minReadySeconds', 'revisionHistoryLimit', 'parallelism', 'completions', 'backoffLimit']) errors.push(...nonNegative(spec[field], `spec.${field}`));
  if (kind === 'Deployment') {
    const type = obj(spec.strategy).type;
    if (type !== 'RollingUpdate' && type !== 'Recreate') {
      errors.push({ reason: 'FieldValueNotSupported', field: 'spec.strategy.type', message: `Unsupported value: ${JSON.stringify(type)}: supported values: "Recreate", "RollingUpdate"` });
    } else if (type === 'Recreate' && obj(spec.strategy).rollingUpdate !== undefined) {
      errors.push({ reason: 'FieldValueForbidden', field: 'spec.strategy.rollingUpdate', message: 'Forbidden: may not be specified when strategy `type` is \'Recreate\'' });
    }
  }
  if (!isObj(template.spec)) errors.push({ reason: 'FieldValueRequired', field: 'spec.template.spec.containers', message: 'Required value' });
  else errors.push(...podSpecErrors(kind, template.spec, 'spec.template.spec'));
  if (old) {
    const before = obj(old.spec).selector as Selector | undefined;
    if (JSON.stringify(before ?? null) !== JSON.stringify(selector ?? null)) {
      errors.push({ reason: 'FieldValueInvalid', field: 'spec.selector', message: `Invalid value: ${goSelector(selector).slice(1)}: field is immutable` });
    }
    if (kind === 'Job') {
      if (JSON.stringify(obj(old.spec).template) !== JSON.stringify(spec.template)) {
        errors.push({ reason: 'FieldValueInvalid', field: 'spec.template', message: 'Invalid value: core.PodTemplateSpec{...}: field is immutable' });
      }
      if (obj(old.spec).completions !== spec.completions) {
        errors.push({ reason: 'FieldValueInvalid', field: 'spec.completions', message: `Invalid value: ${JSON.stringify(spec.completions)}: field is immutable` });
      }
    }
  }
  return errors;
}
