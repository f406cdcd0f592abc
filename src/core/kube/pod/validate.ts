/**
 * A Pod's spec as the API server validates it at create (pkg/apis/core/validation
 * ValidatePodCreate, the rules that matter for what Berth runs), with its field paths and
 * words; what Berth cannot run is unsupported.ts's. Run on the defaulted pod, as the server
 * validates after defaulting. Pure: field errors out, the front door answers 422 Invalid.
 */
import { labelErrors, nameErrors, type FieldError } from '../names.ts';
import { duplicate, forbidden, invalidValue, notFound, notSupported, required } from './field-errors.ts';
import { compareQuantities, parseQuantity, QUANTITY_PATTERN } from './quantity.ts';
import type { Container, DownwardAPIVolumeFile, Pod, PodSpec, Probe, Volume } from './types.ts';

/** Longest port name (an IANA service name). */
const PORT_NAME_MAX = 15;
/** Largest file mode a volume may give (0777). */
const MAX_MODE = 0o777;

/** Env var names as 1.32 takes them (RelaxedEnvironmentVariableValidation, beta and on): printable ASCII but '='. */
export const ENV_NAME = /^[\x20-\x3c\x3e-\x7e]+$/;
const ENV_NAME_MESSAGE = "a valid environment variable name must consist only of printable ASCII characters other than '='";
const PORT_RANGE = 'must be between 1 and 65535, inclusive';

/** The fieldRef paths an env var may name (the server's validEnvDownwardAPIFieldPathExpressions), labels and annotations by key besides. */
export const ENV_FIELD_PATHS = [
  'metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName',
  'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs',
] as const;
/** The fieldRef paths a downwardAPI volume item may name. */
export const VOLUME_FIELD_PATHS = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'] as const;
/** A label or annotation by key: `metadata.labels['app']`. */
export const SUBSCRIPTED_FIELD = /^metadata\.(labels|annotations)\['(.+)'\]$/;
const RESOURCE_FIELDS = ['limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory'];

/**
 * The message of the decode error a malformed quantity gets (400 BadRequest, before any
 * validation): `quantities must match the regular expression …`; undefined when every
 * resource quantity parses.
 */
export function quantityDecodeError(pod: Pod): string | undefined {
  const spec = pod.spec;
  for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    for (const list of [c.resources?.requests, c.resources?.limits]) {
      for (const v of Object.values(list ?? {})) if (!parseQuantity(v)) return `quantities must match the regular expression '${QUANTITY_PATTERN}'`;
    }
  }
  return undefined;
}

/** A fieldRef's path: one of `allowed`, or a label or annotation by key (validateObjectFieldSelector). */
function fieldPathErrors(path: string, field: string, allowed: readonly string[]): FieldError[] {
  const sub = /^([^[]+)\[(.*)\]$/.exec(path);
  if (sub) {
    return SUBSCRIPTED_FIELD.test(path) ? [] : [invalidValue(field, sub[1], 'does not support subscript')];
  }
  return allowed.includes(path) ? [] : [notSupported(`${field}.fieldPath`, path, [...allowed].sort())];
}

/**
 * One downwardAPI volume item (validateDownwardAPIVolumeFile): a fieldRef of the volume paths,
 * or a resourceFieldRef naming its container (a volume serves every container), not both.
 */
function downwardFileErrors(item: DownwardAPIVolumeFile, field: string): FieldError[] {
  if (item.fieldRef) {
    const errors = fieldPathErrors(item.fieldRef.fieldPath, `${field}.fieldRef`, VOLUME_FIELD_PATHS);
    if (item.resourceFieldRef) errors.push(invalidValue(field, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
    return errors;
  }
  const rf = item.resourceFieldRef;
  if (!rf) return [required(field, 'one of fieldRef and resourceFieldRef is required')];
  const errors: FieldError[] = [];
  if (!rf.containerName) errors.push(required(`${field}.resourceFieldRef.containerName`));
  if (!rf.resource) errors.push(required(`${field}.resourceFieldRef.resource`));
  else if (!RESOURCE_FIELDS.includes(rf.resource)) errors.push(notSupported(`${field}.resourceFieldRef.resource`, rf.resource, RESOURCE_FIELDS));
  return errors;
}

function probeErrors(p: Probe | undefined, field: string, kind: 'liveness' | 'readiness' | 'startup'): FieldError[] {
  if (!p) return [];
  const errors: FieldError[] = [];
  const handlers = (['exec', 'httpGet', 'tcpSocket', 'grpc'] as const).filter((h) => p[h] !== undefined);
  if (handlers.length === 0) errors.push(required(field, 'must specify a handler type'));
  for (const h of handlers.slice(1)) errors.push(forbidden(`${field}.${h}`, 'may not specify more than 1 handler type'));
  for (const k of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const) {
    const v = p[k];
    if (typeof v === 'number' && v < 0) errors.push(invalidValue(`${field}.${k}`, v, 'must be greater than or equal to 0'));
  }
  if (kind !== 'readiness' && p.successThreshold !== undefined && p.successThreshold !== 1) errors.push(invalidValue(`${field}.successThreshold`, p.successThreshold, 'must be 1'));
  if (kind === 'readiness' && p.terminationGracePeriodSeconds !== undefined) errors.push(invalidValue(`${field}.terminationGracePeriodSeconds`, p.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
  if (p.exec && (p.exec.command ?? []).length === 0) errors.push(required(`${field}.exec.command`));
  for (const h of ['httpGet', 'tcpSocket', 'grpc'] as const) {
    const port = p[h]?.port;
    if (p[h] === undefined) continue;
    if (typeof port === 'number' && (port < 1 || port > 65535)) errors.push(invalidValue(`${field}.${h}.port`, port, PORT_RANGE));
    if (port === undefined || port === '') errors.push(required(`${field}.${h}.port`));
  }
  return errors;
}

function resourceErrors(c: Container, field: string): FieldError[] {
  const errors: FieldError[] = [];
  const limits = c.resources?.limits ?? {};
  for (const [name, request] of Object.entries(c.resources?.requests ?? {})) {
    const limit = limits[name];
    const r = parseQuantity(request);
    const l = parseQuantity(limit);
    if (r && l && compareQuantities(r, l) > 0) errors.push(invalidValue(`${field}.resources.requests`, String(request), `must be less than or equal to ${name} limit of ${String(limit)}`));
  }
  return errors;
}

function containerErrors(c: Container, field: string, volumes: ReadonlySet<string>, init: boolean): FieldError[] {
  const errors: FieldError[] = [];
  if (!c.name) errors.push(required(`${field}.name`));
  else errors.push(...nameErrors('label', c.name, `${field}.name`));
  if (!c.image) errors.push(required(`${field}.image`));
  const portNames = new Set<string>();
  for (const [i, p] of (c.ports ?? []).entries()) {
    const pf = `${field}.ports[${i}]`;
    if (!p.containerPort) errors.push(required(`${pf}.containerPort`));
    else if (p.containerPort < 1 || p.containerPort > 65535) errors.push(invalidValue(`${pf}.containerPort`, p.containerPort, PORT_RANGE));
    if (p.hostPort !== undefined && p.hostPort !== 0 && (p.hostPort < 1 || p.hostPort > 65535)) errors.push(invalidValue(`${pf}.hostPort`, p.hostPort, PORT_RANGE));
    if (p.protocol !== undefined && !['SCTP', 'TCP', 'UDP'].includes(p.protocol)) errors.push(notSupported(`${pf}.protocol`, p.protocol, ['SCTP', 'TCP', 'UDP']));
    if (p.name !== undefined) {
      if (p.name.length > PORT_NAME_MAX) errors.push(invalidValue(`${pf}.name`, p.name, `must be no more than ${PORT_NAME_MAX} characters`));
      if (portNames.has(p.name)) errors.push(duplicate(`${pf}.name`, p.name));
      portNames.add(p.name);
    }
  }
  for (const [i, e] of (c.env ?? []).entries()) {
    const ef = `${field}.env[${i}]`;
    if (!e.name) errors.push(required(`${ef}.name`));
    else if (!ENV_NAME.test(e.name)) errors.push(invalidValue(`${ef}.name`, e.name, ENV_NAME_MESSAGE));
    const from = e.valueFrom;
    if (!from) continue;
    const sources = (['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'] as const).filter((k) => from[k] !== undefined);
    if (sources.length === 0) errors.push(invalidValue(`${ef}.valueFrom`, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    if (sources.length > 1) errors.push(invalidValue(`${ef}.valueFrom`, '', 'may not have more than one field specified at a time'));
    if (e.value) errors.push(invalidValue(`${ef}.valueFrom`, '', 'may not be specified when `value` is not empty'));
    if (from.fieldRef) errors.push(...fieldPathErrors(from.fieldRef.fieldPath, `${ef}.valueFrom.fieldRef`, ENV_FIELD_PATHS));
    const rf = from.resourceFieldRef;
    if (rf && !RESOURCE_FIELDS.includes(rf.resource)) errors.push(notSupported(`${ef}.valueFrom.resourceFieldRef.resource`, rf.resource, RESOURCE_FIELDS));
    for (const k of ['configMapKeyRef', 'secretKeyRef'] as const) {
      if (from[k] && !from[k].key) errors.push(required(`${ef}.valueFrom.${k}.key`));
      if (from[k] && !from[k].name) errors.push(required(`${ef}.valueFrom.${k}.name`));
    }
  }
  const paths = new Set<string>();
  for (const [i, m] of (c.volumeMounts ?? []).entries()) {
    const mf = `${field}.volumeMounts[${i}]`;
    if (!volumes.has(m.name)) errors.push(notFound(`${mf}.name`, m.name));
    if (!m.mountPath) errors.push(required(`${mf}.mountPath`));
    else if (paths.has(m.mountPath)) errors.push(invalidValue(`${mf}.mountPath`, m.mountPath, 'must be unique'));
    paths.add(m.mountPath);
    if (m.subPath) errors.push(...relativePathErrors(m.subPath, `${mf}.subPath`));
    if (m.subPath && m.subPathExpr) errors.push(invalidValue(`${mf}.subPathExpr`, m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
    if (m.subPathExpr) errors.push(...relativePathErrors(m.subPathExpr, `${mf}.subPathExpr`));
  }
  errors.push(...resourceErrors(c, field));
  const sidecar = init && c.restartPolicy === 'Always';
  if (c.restartPolicy !== undefined) {
    if (!init) errors.push(forbidden(`${field}.restartPolicy`, 'may not be set for non-init containers'));
    else if (c.restartPolicy !== 'Always') errors.push(notSupported(`${field}.restartPolicy`, c.restartPolicy, ['Always']));
  }
  if (c.lifecycle && init && !sidecar) errors.push(forbidden(`${field}.lifecycle`, 'may not be set for init containers without restartPolicy=Always'));
  for (const [kind, probe] of [['liveness', c.livenessProbe], ['readiness', c.readinessProbe], ['startup', c.startupProbe]] as const) {
    if (probe && init && !sidecar) errors.push(forbidden(`${field}.${kind}Probe`, 'may not be set for init containers without restartPolicy=Always'));
    else if (!init || sidecar) errors.push(...probeErrors(probe, `${field}.${kind}Probe`, kind));
  }
  return errors;
}

function relativePathErrors(path: string, field: string): FieldError[] {
  if (path.startsWith('/')) return [invalidValue(field, path, 'must be a relative path')];
  if (path.split('/').includes('..')) return [invalidValue(field, path, "must not contain '..'")];
  return [];
}

const VOLUME_TYPES = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap',
  'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos', 'csi',
  'ephemeral', 'image',
] as const;

/** The volume source kinds `v` names (one, when it is valid). */
export function volumeTypes(v: Volume): string[] {
  return VOLUME_TYPES.filter((t) => (v as unknown as Record<string, unknown>)[t] !== undefined);
}

function modeErrors(mode: number | undefined, field: string): FieldError[] {
  return mode !== undefined && (mode < 0 || mode > MAX_MODE) ? [invalidValue(field, mode, 'must be a number between 0 and 0777 (octal), both inclusive')] : [];
}

function itemErrors(items: readonly { key?: string; path: string; mode?: number }[] | undefined, field: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const [i, item] of (items ?? []).entries()) {
    if ('key' in item && !item.key) errors.push(required(`${field}[${i}].key`));
    if (!item.path) errors.push(required(`${field}[${i}].path`));
    else errors.push(...relativePathErrors(item.path, `${field}[${i}].path`));
    errors.push(...modeErrors(item.mode, `${field}[${i}].mode`));
  }
  return errors;
}

function volumeErrors(v: Volume, field: string): FieldError[] {
  const errors: FieldError[] = [];
  if (!v.name) errors.push(required(`${field}.name`));
  else errors.push(...nameErrors('label', v.name, `${field}.name`));
  const types = volumeTypes(v);
  if (types.length === 0) errors.push(required(field, 'must specify a volume type'));
  for (const t of types.slice(1)) errors.push(forbidden(`${field}.${t}`, 'may not specify more than 1 volume type'));
  if (v.configMap) {
    if (!v.configMap.name) errors.push(required(`${field}.configMap.name`));
    errors.push(...modeErrors(v.configMap.defaultMode, `${field}.configMap.defaultMode`), ...itemErrors(v.configMap.items, `${field}.configMap.items`));
  }
  if (v.secret) {
    if (!v.secret.secretName) errors.push(required(`${field}.secret.secretName`));
    errors.push(...modeErrors(v.secret.defaultMode, `${field}.secret.defaultMode`), ...itemErrors(v.secret.items, `${field}.secret.items`));
  }
  if (v.hostPath && !v.hostPath.path) errors.push(required(`${field}.hostPath.path`));
  if (v.downwardAPI) {
    errors.push(...modeErrors(v.downwardAPI.defaultMode, `${field}.downwardAPI.defaultMode`), ...itemErrors(v.downwardAPI.items, `${field}.downwardAPI.items`));
    for (const [i, item] of (v.downwardAPI.items ?? []).entries()) errors.push(...downwardFileErrors(item, `${field}.downwardAPI.items[${i}]`));
  }
  if (v.projected) {
    errors.push(...modeErrors(v.projected.defaultMode, `${field}.projected.defaultMode`));
    for (const [i, s] of (v.projected.sources ?? []).entries()) {
      const sf = `${field}.projected.sources[${i}]`;
      if (s.configMap) errors.push(...itemErrors(s.configMap.items, `${sf}.configMap.items`));
      if (s.secret) errors.push(...itemErrors(s.secret.items, `${sf}.secret.items`));
      if (s.downwardAPI) errors.push(...itemErrors(s.downwardAPI.items, `${sf}.downwardAPI.items`));
      for (const [j, item] of (s.downwardAPI?.items ?? []).entries()) errors.push(...downwardFileErrors(item, `${sf}.downwardAPI.items[${j}]`));
      const token = s.serviceAccountToken;
      if (token) {
        if (!token.path) errors.push(required(`${sf}.serviceAccountToken.path`));
        if (token.expirationSeconds !== undefined && token.expirationSeconds < 600) errors.push(invalidValue(`${sf}.serviceAccountToken.expirationSeconds`, token.expirationSeconds, 'may not specify a duration less than 10 minutes'));
      }
    }
  }
  return errors;
}

function specErrors(spec: PodSpec | undefined): FieldError[] {
  if (!spec) return [required('spec')];
  const errors: FieldError[] = [];
  const volumes = new Set<string>();
  for (const [i, v] of (spec.volumes ?? []).entries()) {
    errors.push(...volumeErrors(v, `spec.volumes[${i}]`));
    if (v.name && volumes.has(v.name)) errors.push(duplicate(`spec.volumes[${i}].name`, v.name));
    volumes.add(v.name);
  }
  if ((spec.containers ?? []).length === 0) errors.push(required('spec.containers'));
  const names = new Set<string>();
  for (const [list, init] of [['initContainers', true], ['containers', false]] as const) {
    for (const [i, c] of (spec[list] ?? []).entries()) {
      errors.push(...containerErrors(c, `spec.${list}[${i}]`, volumes, init));
      if (c.name && names.has(c.name)) errors.push(duplicate(`spec.${list}[${i}].name`, c.name));
      names.add(c.name);
      if (spec.hostNetwork) {
        for (const [j, p] of (c.ports ?? []).entries()) {
          if (p.hostPort !== undefined && p.hostPort !== p.containerPort) errors.push(invalidValue(`spec.${list}[${i}].ports[${j}].hostPort`, p.hostPort, 'must match `containerPort` when `hostNetwork` is true'));
        }
      }
    }
  }
  if (spec.restartPolicy !== undefined && !['Always', 'OnFailure', 'Never'].includes(spec.restartPolicy)) errors.push(notSupported('spec.restartPolicy', spec.restartPolicy, ['Always', 'OnFailure', 'Never']));
  if (spec.dnsPolicy !== undefined && !['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'].includes(spec.dnsPolicy)) {
    errors.push(notSupported('spec.dnsPolicy', spec.dnsPolicy, ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None']));
  }
  if (spec.dnsPolicy === 'None' && (spec.dnsConfig?.nameservers ?? []).length === 0) errors.push(required('spec.dnsConfig.nameservers', 'must provide at least one DNS nameserver when `dnsPolicy` is None'));
  if (spec.terminationGracePeriodSeconds !== undefined && spec.terminationGracePeriodSeconds < 0) errors.push(invalidValue('spec.terminationGracePeriodSeconds', spec.terminationGracePeriodSeconds, 'must be greater than or equal to 0'));
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds < 1) errors.push(invalidValue('spec.activeDeadlineSeconds', spec.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'));
  if (spec.nodeSelector) errors.push(...labelErrors(spec.nodeSelector, 'spec.nodeSelector'));
  if (spec.serviceAccountName) errors.push(...nameErrors('subdomain', spec.serviceAccountName, 'spec.serviceAccountName'));
  if ((spec.ephemeralContainers ?? []).length > 0) errors.push(forbidden('spec.ephemeralContainers', 'cannot be set on create'));
  return errors;
}

/** What the API server finds wrong with a pod at create (after defaulting); empty when nothing. */
export function podCreateErrors(pod: Pod): FieldError[] {
  return specErrors(pod.spec);
}
