/**
 * A small stand-in for the kubeschema part's KubeSchemas, so the API server's tests run before
 * the real schemas land: top-level fields per kind (and ObjectMeta's) for unknown-field
 * checks, merge-patch semantics for strategic merge and apply (the served kinds have no
 * merge-keyed lists yet), one managedFields entry per manager, and OpenAPI v3 documents
 * with just what kubectl checks (PATCH operations that take `fieldValidation`).
 */
import type { GroupVersionKind, KubeSchemas, ManagedFieldsEntry } from '../../src/api/kube/contract.ts';
import { mergePatch } from '../../src/api/kube/patch.ts';

const COMMON = ['apiVersion', 'kind', 'metadata'];
const FIELDS: Record<string, readonly string[]> = {
  Namespace: ['spec', 'status'], ConfigMap: ['data', 'binaryData', 'immutable'], Secret: ['data', 'stringData', 'type', 'immutable'],
  ServiceAccount: ['secrets', 'imagePullSecrets', 'automountServiceAccountToken'], Lease: ['spec'],
  SelfSubjectAccessReview: ['spec', 'status'], SelfSubjectReview: ['status'], SelfSubjectRulesReview: ['spec', 'status'], SubjectAccessReview: ['spec', 'status'],
  Role: ['rules'], ClusterRole: ['rules', 'aggregationRule'], RoleBinding: ['subjects', 'roleRef'], ClusterRoleBinding: ['subjects', 'roleRef'],
  Service: ['spec', 'status'], Endpoints: ['subsets'], EndpointSlice: ['addressType', 'endpoints', 'ports'],
  Deployment: ['spec', 'status'], ReplicaSet: ['spec', 'status'], DaemonSet: ['spec', 'status'], Job: ['spec', 'status'], Pod: ['spec', 'status'], Node: ['spec', 'status'],
  Event: ['involvedObject', 'reason', 'message', 'source', 'firstTimestamp', 'lastTimestamp', 'count', 'type', 'eventTime', 'series', 'action', 'related', 'reportingComponent', 'reportingInstance',
    'regarding', 'note', 'reportingController', 'deprecatedSource', 'deprecatedFirstTimestamp', 'deprecatedLastTimestamp', 'deprecatedCount'],
};
const META = ['name', 'generateName', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds',
  'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields', 'selfLink'];

const gvPath = (g: GroupVersionKind): string => (g.group === '' ? `api/${g.version}` : `apis/${g.group}/${g.version}`);
const plural = (kind: string): string => `${kind.toLowerCase()}s`;

/** fieldsV1 of an object: every leaf field as `f:<name>`, as the real manager records sets. */
function fieldsOf(o: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return out;
  for (const [k, v] of Object.entries(o)) {
    if (['apiVersion', 'kind', 'status'].includes(k)) continue;
    if (k === 'metadata') {
      const m = v as Record<string, unknown>;
      const mf: Record<string, unknown> = {};
      for (const key of ['labels', 'annotations']) if (m[key]) mf[`f:${key}`] = fieldsOf(m[key]);
      if (Object.keys(mf).length > 0) out['f:metadata'] = mf;
      continue;
    }
    out[`f:${k}`] = v !== null && typeof v === 'object' && !Array.isArray(v) ? fieldsOf(v) : {};
  }
  return out;
}

export function schemasDouble(): KubeSchemas {
  const entry = (manager: string, operation: 'Apply' | 'Update', g: GroupVersionKind, o: object, now: Date, subresource?: string): ManagedFieldsEntry => ({
    manager, operation, apiVersion: g.group === '' ? g.version : `${g.group}/${g.version}`, time: now.toISOString().replace(/\.\d+Z$/, 'Z'),
    fieldsType: 'FieldsV1', fieldsV1: fieldsOf(o), ...(subresource !== undefined && { subresource }),
  });
  const others = (before: object | undefined, manager: string, op: string): ManagedFieldsEntry[] =>
    (((before as { metadata?: { managedFields?: ManagedFieldsEntry[] } } | undefined)?.metadata?.managedFields) ?? []).filter((e) => e.manager !== manager || e.operation !== op);
  return {
    knows: (g) => FIELDS[g.kind] !== undefined,
    openapiV2: (served) => ({ swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.32.9' }, paths: {}, definitions: Object.fromEntries(served.map((g) => [`io.k8s.${g.kind}`, { type: 'object' }])) }),
    openapiV3Index: (served) => ({ paths: Object.fromEntries([...new Set(served.map(gvPath))].map((p) => [p, { serverRelativeURL: `/openapi/v3/${p}?hash=0` }])) }),
    openapiV3: (gv, served) => {
      const kinds = served.filter((g) => gvPath(g) === gv);
      if (kinds.length === 0) return undefined;
      const paths: Record<string, object> = {};
      for (const g of kinds) {
        const gvk = { group: g.group, version: g.version, kind: g.kind };
        const path = g.kind === 'Namespace' ? `/${gv}/namespaces/{name}` : `/${gv}/namespaces/{namespace}/${plural(g.kind)}/{name}`;
        paths[path] = {
          patch: { 'x-kubernetes-group-version-kind': gvk, parameters: [{ name: 'fieldValidation', in: 'query', schema: { type: 'string' } }] },
          put: { 'x-kubernetes-group-version-kind': gvk, parameters: [{ name: 'fieldValidation', in: 'query', schema: { type: 'string' } }] },
        };
      }
      const schemas = Object.fromEntries(kinds.map((g) => [`io.k8s.berth.${g.kind}`, {
        type: 'object', description: `${g.kind} (Berth test schema).`, 'x-kubernetes-group-version-kind': [{ group: g.group, version: g.version, kind: g.kind }],
        properties: Object.fromEntries([...COMMON, ...(FIELDS[g.kind] ?? [])].map((f) => [f, { type: f === 'apiVersion' || f === 'kind' || f === 'type' ? 'string' : 'object', description: `The ${f} field.` }])),
      }]));
      return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.9' }, paths, components: { schemas } };
    },
    unknownFields: (g, o) => {
      const known = [...COMMON, ...(FIELDS[g.kind] ?? [])];
      const out: string[] = [];
      const obj = o as Record<string, unknown>;
      for (const k of Object.keys(obj)) if (!known.includes(k)) out.push(`.${k}`);
      for (const k of Object.keys((obj.metadata ?? {}) as object)) if (!META.includes(k)) out.push(`.metadata.${k}`);
      return out;
    },
    strategicMerge: (_g, original, patch) => mergePatch(original, patch) as object,
    apply: (g, live, applied, manager, _force, now) => {
      const merged = mergePatch(live ?? {}, applied) as { metadata: { managedFields?: ManagedFieldsEntry[] } };
      merged.metadata.managedFields = [...others(live, manager, 'Apply'), entry(manager, 'Apply', g, applied, now)];
      return { object: merged };
    },
    managedFieldsAfterUpdate: (g, before, after, manager, now, subresource) => [...others(before, manager, 'Update'), entry(manager, 'Update', g, after, now, subresource)],
  };
}
