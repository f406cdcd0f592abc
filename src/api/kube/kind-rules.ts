/**
 * What the API server's registry strategies do per kind before a write: defaults, folding
 * (`stringData` into `data`), validation with the server's messages, immutability. Pure.
 */
import { labelErrors, nameErrors, type FieldError } from '../../core/kube/names.ts';
import type { KindInfo } from './kinds.ts';
import { invalid, badRequest } from './status.ts';
import { defaultService, serviceErrors, type ServiceSpec } from './service-rules.ts';
import { defaultWorkload, generateJobSelector, workloadErrors, type WorkloadKind } from './workload-rules.ts';
import { rbacErrors } from './rbac/validation.ts';

export type { Meta, Obj, OwnerReference } from './object.ts';
import type { Obj, OwnerReference } from './object.ts';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Longest total of a ConfigMap's or Secret's data, keys included (the server's 1 MiB limit). */
export const MAX_DATA_BYTES = 1024 * 1024;

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Errors common to every kind's metadata (name, labels, finalizers). */
export function metadataErrors(kind: KindInfo, o: Obj): FieldError[] {
  const m = o.metadata;
  const errors: FieldError[] = [];
  if (typeof m.name === 'string') errors.push(...nameErrors(kind.nameRule, m.name));
  if (m.labels !== undefined) errors.push(...labelErrors(m.labels));
  if (m.annotations !== undefined && !isObj(m.annotations)) errors.push({ reason: 'FieldValueInvalid', field: 'metadata.annotations', message: 'Invalid value: "": annotations must be a map of strings' });
  for (const ref of Array.isArray(m.ownerReferences) ? m.ownerReferences : []) {
    const checks: [keyof OwnerReference, string][] = [['apiVersion', 'version'], ['kind', 'kind'], ['name', 'name'], ['uid', 'uid']];
    for (const [field, what] of checks) {
      const v = ref[field];
      if (typeof v !== 'string' || v === '') errors.push({ reason: 'FieldValueInvalid', field: `metadata.ownerReferences.${field}`, message: `Invalid value: "": ${what} must not be empty` });
    }
  }
  for (const [i, f] of (m.finalizers ?? []).entries()) {
    if (typeof f !== 'string' || (!f.includes('/') && !['kubernetes', 'orphan', 'foregroundDeletion'].includes(f))) {
      errors.push({ reason: 'FieldValueInvalid', field: `metadata.finalizers[${i}]`, message: `Invalid value: ${JSON.stringify(f)}: name is neither a standard finalizer name nor is it fully qualified` });
    }
  }
  return errors;
}

/** Data keys of configmaps and secrets: `[-._a-zA-Z0-9]+`. */
function dataKeyErrors(field: string, data: unknown): FieldError[] {
  if (data === undefined) return [];
  const errors: FieldError[] = [];
  for (const key of Object.keys(isObj(data) ? data : {})) {
    if (!/^[-._a-zA-Z0-9]+$/.test(key)) {
      errors.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(key)}: a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')` });
    }
  }
  return errors;
}

const WORKLOADS: Readonly<Record<string, WorkloadKind>> = {
  'apps/deployments': 'Deployment', 'apps/replicasets': 'ReplicaSet', 'apps/daemonsets': 'DaemonSet', 'batch/jobs': 'Job',
};

/** The status a new object of a kind with a status subresource starts with (the server clears what a create sends). */
function initialStatus(kind: KindInfo): Record<string, unknown> {
  return kind.group === '' && kind.plural === 'services' ? { loadBalancer: {} } : {};
}

/**
 * A kind with a status subresource: writes of the resource leave its status as it was (a
 * create starts it empty), writes of `/status` change nothing but the status, as the API
 * server's strategies for these kinds do. (`/scale` writes the resource: scale.ts.)
 */
function keepStatusApart(kind: KindInfo, o: Obj, old: Obj | undefined, subresource: string | undefined): void {
  if (subresource === 'status' && old) {
    const status = o.status;
    const managedFields = o.metadata.managedFields;
    for (const key of Object.keys(o)) if (key !== 'metadata' && key !== 'apiVersion' && key !== 'kind') delete o[key];
    for (const [key, value] of Object.entries(structuredClone(old))) if (key !== 'metadata' && key !== 'status') o[key] = value;
    o.metadata = { ...structuredClone(old.metadata), managedFields };
    if (status !== undefined) o.status = status;
    return;
  }
  o.status = old ? structuredClone(old.status) : initialStatus(kind);
  if (o.status === undefined) delete o.status;
}

/** Shapes an object of `kind` for storage on create (`old` undefined) or update, or throws the server's error. */
export function prepare(kind: KindInfo, o: Obj, old: Obj | undefined, subresource?: string): Obj {
  const name = o.metadata.name ?? '';
  const errors = metadataErrors(kind, o);
  const path = `${kind.group}/${kind.plural}`;
  if (path === '/secrets') {
    if (o.stringData !== undefined) {
      if (!isObj(o.stringData)) throw badRequest(`Secret in version "v1" cannot be handled as a Secret: json: cannot unmarshal ${typeof o.stringData} into Go struct field Secret.stringData of type map[string]string`);
      const data = { ...(isObj(o.data) ? o.data : {}) };
      for (const [k, v] of Object.entries(o.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
      o.data = data;
      delete o.stringData;
    }
    for (const [k, v] of Object.entries(isObj(o.data) ? o.data : {})) {
      if (typeof v !== 'string' || !BASE64.test(v) || v.length % 4 !== 0) {
        throw badRequest(`Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0 (data.${k})`);
      }
    }
    o.type ??= old?.type ?? 'Opaque';
    errors.push(...dataKeyErrors('data', o.data));
    if (old && old.type !== o.type) errors.push({ reason: 'FieldValueInvalid', field: 'type', message: `Invalid value: ${JSON.stringify(o.type)}: field is immutable` });
  }
  if (path === '/configmaps') errors.push(...dataKeyErrors('data', o.data), ...dataKeyErrors('binaryData', o.binaryData));
  if (path === '/configmaps' || path === '/secrets') {
    let size = 0;
    for (const field of ['data', 'binaryData'] as const) {
      for (const [k, v] of Object.entries(isObj(o[field]) ? o[field] : {})) {
        // Secret and binaryData values are base64 in JSON: their bytes are 3/4 of it.
        size += k.length + (typeof v !== 'string' ? 0 : path === '/secrets' || field === 'binaryData' ? Math.floor((v.length * 3) / 4) : Buffer.byteLength(v));
      }
    }
    if (size > MAX_DATA_BYTES) errors.push({ reason: 'FieldValueTooLong', field: '[]', message: `Too long: may not be more than ${MAX_DATA_BYTES} bytes` });
  }
  if ((path === '/configmaps' || path === '/secrets') && old?.immutable === true) {
    if (o.immutable !== true) errors.push({ reason: 'FieldValueForbidden', field: 'immutable', message: 'Forbidden: field is immutable when `immutable` is set' });
    if (JSON.stringify(o.data ?? {}) !== JSON.stringify(old.data ?? {})) errors.push({ reason: 'FieldValueForbidden', field: 'data', message: 'Forbidden: field is immutable when `immutable` is set' });
    if (path === '/configmaps' && JSON.stringify(o.binaryData ?? {}) !== JSON.stringify(old.binaryData ?? {})) errors.push({ reason: 'FieldValueForbidden', field: 'binaryData', message: 'Forbidden: field is immutable when `immutable` is set' });
  }
  if (path === '/namespaces') {
    // status and spec.finalizers change only through their subresources (status, finalize).
    if (subresource !== 'finalize') o.spec = old ? old.spec : { finalizers: ['kubernetes'] };
    if (subresource !== 'status') o.status = old ? old.status : { phase: 'Active' };
    o.metadata.labels = { ...o.metadata.labels, 'kubernetes.io/metadata.name': name };
  }
  if (kind.subresources.some((s) => s.name === 'status') && path !== '/namespaces') keepStatusApart(kind, o, old, subresource);
  const workload = WORKLOADS[path];
  if (workload && subresource !== 'status') {
    if (!isObj(o.spec)) o.spec = {};
    if (workload === 'Job' && !old) generateJobSelector(o, o.metadata.uid ?? '', name);
    defaultWorkload(workload, o);
    errors.push(...workloadErrors(workload, o, old));
  }
  if (path === '/services' && subresource !== 'status') {
    if (!isObj(o.spec)) o.spec = {};
    defaultService(o.spec as ServiceSpec, old?.spec as ServiceSpec | undefined);
    errors.push(...serviceErrors(o.spec as ServiceSpec, old?.spec as ServiceSpec | undefined));
  }
  if (path === 'discovery.k8s.io/endpointslices') {
    const at = o.addressType;
    if (at === undefined || at === '') errors.push({ reason: 'FieldValueRequired', field: 'addressType', message: 'Required value' });
    else if (!['IPv4', 'IPv6', 'FQDN'].includes(String(at))) errors.push({ reason: 'FieldValueNotSupported', field: 'addressType', message: `Unsupported value: ${JSON.stringify(at)}: supported values: "FQDN", "IPv4", "IPv6"` });
    else if (old && old.addressType !== at) errors.push({ reason: 'FieldValueInvalid', field: 'addressType', message: `Invalid value: ${JSON.stringify(at)}: field is immutable` });
    if (o.endpoints === undefined || o.endpoints === null) o.endpoints = [];
  }
  if (path === 'coordination.k8s.io/leases' && o.spec !== undefined && !isObj(o.spec)) {
    throw badRequest('Lease in version "v1" cannot be handled as a Lease: spec must be an object');
  }
  if (kind.group === 'rbac.authorization.k8s.io') errors.push(...rbacErrors(kind.plural, o, old));
  if (errors.length > 0) throw invalid(kind.group, kind.kind, name, errors);
  return o;
}
