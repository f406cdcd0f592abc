/**
 * A container's environment as the kubelet makes it (kubelet_pods.go makeEnvironmentVariables):
 * envFrom first, then env in order, each value's `$(VAR)` references expanded against what is
 * defined so far; valueFrom read from ConfigMaps, Secrets, the pod's own fields and the
 * container's resources. The lookups are functions the caller passes (the store's reads);
 * fields only a placed pod has (spec.nodeName, status.hostIP(s), status.podIP(s), a limit
 * the node's allocatable stands in for) are resolved only when `placed` is given. Pure.
 */
import type { UnresolvedRef } from '../../workload/kube.ts';
import { byteValue, milliValue, parseQuantity, type Rational } from './quantity.ts';
import { ENV_NAME, SUBSCRIPTED_FIELD } from './validate.ts';
import type { Container, DataObject } from './types.ts';

/** Reads of the pod's namespace the control plane makes for it: undefined when the object does not exist. */
export interface Lookups {
  configMap(name: string): DataObject | undefined;
  secret(name: string): DataObject | undefined;
}

/** Where the placer put the pod: what the kubelet knows and the API server does not, before it runs. */
export interface PlacedFacts {
  nodeName: string;
  hostIP: string;
  /** The pod's address: its network interface's (awsvpc), the host's (hostNetwork). */
  podIP: string;
  /** The node's allocatable, as quantities: a container's unset limit reads as this. */
  allocatable: { cpu: string; memory: string };
}

/** The pod's own fields env and downwardAPI volumes can read. */
export interface PodFields {
  name: string;
  namespace: string;
  /** metadata.uid: the dashed form. */
  uid: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  serviceAccountName: string;
}

export interface EnvResult {
  env: { name: string; value: string }[];
  /** ConfigMaps, Secrets or keys that do not exist (the container cannot start until they do). */
  unresolved: UnresolvedRef[];
  /** Some value needs the placement: make the spec again with `placed`. */
  needsPlacement: boolean;
}


/**
 * `$(NAME)` references in `text` replaced from `vars`; `$$` is a literal `$`; a reference to
 * an undefined name, or an unterminated one, stays as written (the kubelet's expansion).
 */
export function expand(text: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c !== '$' || next === undefined) {
      out += c;
      continue;
    }
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = text.indexOf(')', i + 2);
      if (close < 0) {
        out += text.slice(i);
        break;
      }
      const name = text.slice(i + 2, close);
      out += name !== '' && vars.has(name) ? vars.get(name)! : `$(${name})`;
      i = close;
    } else {
      out += c + next;
      i++;
    }
  }
  return out;
}

/** A pod field by its fieldPath, or undefined when only a placed pod has it and it is not placed. */
export function podFieldValue(path: string, pod: PodFields, placed: PlacedFacts | undefined): string | undefined {
  const sub = SUBSCRIPTED_FIELD.exec(path);
  if (sub) return (sub[1] === 'labels' ? pod.labels : pod.annotations)[sub[2]!] ?? '';
  switch (path) {
    case 'metadata.name': return pod.name;
    case 'metadata.namespace': return pod.namespace;
    case 'metadata.uid': return pod.uid;
    case 'spec.serviceAccountName': return pod.serviceAccountName;
    case 'spec.nodeName': return placed?.nodeName;
    case 'status.hostIP': case 'status.hostIPs': return placed?.hostIP;
    case 'status.podIP': case 'status.podIPs': return placed?.podIP;
    case 'metadata.labels': return mapLines(pod.labels);
    case 'metadata.annotations': return mapLines(pod.annotations);
    default: return '';
  }
}

/** A map as a downwardAPI file shows it: `key="value"` lines, sorted by key. */
function mapLines(m: Record<string, string>): string {
  return Object.keys(m).sort().map((k) => `${k}=${JSON.stringify(m[k])}`).join('\n');
}

/** A resourceFieldRef's value: the quantity over the divisor, rounded up (cpu in millicores, the rest in bytes). */
export function resourceValue(c: Container, resource: string, divisor: unknown, placed: PlacedFacts | undefined): string | undefined {
  const [kind, name] = resource.split('.') as ['limits' | 'requests', string];
  let q: Rational | undefined = parseQuantity(c.resources?.[kind]?.[name]);
  if (!q && kind === 'limits') {
    if (!placed) return undefined;
    q = parseQuantity(name === 'cpu' ? placed.allocatable.cpu : placed.allocatable.memory);
  }
  // A zero (or absent) divisor means 1, as the kubelet reads it.
  const parsed = parseQuantity(divisor ?? '1');
  const d = parsed && parsed.num !== 0n ? parsed : { num: 1n, den: 1n };
  if (name === 'cpu') return String(Math.ceil(milliValue(q ?? { num: 0n, den: 1n }) / Math.max(1, milliValue(d))));
  return String(Math.ceil(byteValue(q ?? { num: 0n, den: 1n }) / Math.max(1, byteValue(d))));
}

const decode = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');

/**
 * The environment of container `c` of a pod (`all`: every container of the pod, for
 * resourceFieldRef's containerName). `services`: the Service variables the kubelet adds
 * (service-env.ts): `$(VAR)` can read them, and they come last, below the container's own.
 */
export function containerEnv(c: Container, all: readonly Container[], pod: PodFields, lookups: Lookups, placed: PlacedFacts | undefined, services: readonly { name: string; value: string }[] = []): EnvResult {
  const vars = new Map<string, string>();
  const unresolved: UnresolvedRef[] = [];
  let needsPlacement = false;
  const missing = (message: string) => unresolved.push({ container: c.name, reason: 'CreateContainerConfigError', message });
  for (const from of c.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref?.name) continue;
    const isSecret = from.secretRef !== undefined;
    const obj = isSecret ? lookups.secret(ref.name) : lookups.configMap(ref.name);
    if (!obj) {
      if (!ref.optional) missing(`${isSecret ? 'secret' : 'configmap'} "${ref.name}" not found`);
      continue;
    }
    for (const [k, v] of Object.entries(obj.data ?? {})) {
      const key = (from.prefix ?? '') + k;
      // Keys that are not valid names are skipped, as the kubelet does (with an event).
      if (ENV_NAME.test(key)) vars.set(key, isSecret ? decode(v) : v);
    }
  }
  for (const e of c.env ?? []) {
    const from = e.valueFrom;
    if (!from) {
      vars.set(e.name, expand(e.value ?? '', services.length > 0 ? new Map([...services.map((v) => [v.name, v.value] as const), ...vars]) : vars));
      continue;
    }
    let value: string | undefined;
    const keyRef = from.configMapKeyRef ?? from.secretKeyRef;
    if (keyRef) {
      const isSecret = from.secretKeyRef !== undefined;
      const obj = isSecret ? lookups.secret(keyRef.name ?? '') : lookups.configMap(keyRef.name ?? '');
      const raw = obj?.data?.[keyRef.key];
      if (raw !== undefined) value = isSecret ? decode(raw) : raw;
      else if (!keyRef.optional) {
        missing(obj ? `couldn't find key ${keyRef.key} in ${isSecret ? 'Secret' : 'ConfigMap'} ${pod.namespace}/${keyRef.name}` : `${isSecret ? 'secret' : 'configmap'} "${keyRef.name}" not found`);
      }
    } else if (from.fieldRef) {
      value = podFieldValue(from.fieldRef.fieldPath, pod, placed);
      if (value === undefined) needsPlacement = true;
    } else if (from.resourceFieldRef) {
      const rf = from.resourceFieldRef;
      const target = rf.containerName ? all.find((x) => x.name === rf.containerName) ?? c : c;
      value = resourceValue(target, rf.resource, rf.divisor, placed);
      if (value === undefined) needsPlacement = true;
    }
    if (value !== undefined) vars.set(e.name, value);
  }
  for (const v of services) if (!vars.has(v.name)) vars.set(v.name, v.value);
  return { env: [...vars].map(([name, value]) => ({ name, value })), unresolved, needsPlacement };
}
