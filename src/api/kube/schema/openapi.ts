/**
 * `/openapi/v2` (swagger 2.0) and `/openapi/v3` (an index of group-versions, each an OpenAPI 3.0
 * document) for the kinds a server serves, shaped as the Kubernetes API server shapes them:
 * paths per resource with `x-kubernetes-action` and `x-kubernetes-group-version-kind`, the
 * definitions the served kinds reach, refs in v3 wrapped in `allOf` beside their description.
 */
import { createHash } from 'node:crypto';
import { EXTRA_DEFINITIONS, KINDS, apiVersionOf, gvkKey } from './kinds.ts';
import type { KindInfo } from './kinds.ts';
import type { GroupVersionKind } from '../contract.ts';
import type { Definitions, OpenApiSchema } from './types.ts';

type Obj = Record<string, unknown>;
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
const ref2 = (name: string): Obj => ({ $ref: `#/definitions/${name}` });

/** `CoreV1`, `AppsV1`, `EventsV1`: the group-version part of operation ids and tags. */
function opPrefix(k: { group: string; version: string }): string {
  const g = k.group === '' ? 'core' : (k.group.split('.')[0] as string);
  return `${g[0]?.toUpperCase()}${g.slice(1)}${k.version[0]?.toUpperCase()}${k.version.slice(1)}`;
}
const tagOf = (k: { group: string; version: string }): string => `${k.group === '' ? 'core' : (k.group.split('.')[0] as string)}_${k.version}`;
/** `api/v1` or `apis/apps/v1`: where a group-version's paths live. */
export const gvPath = (k: { group: string; version: string }): string => (k.group === '' ? `api/${k.version}` : `apis/${k.group}/${k.version}`);

function param(name: string, where: 'path' | 'query', type: string, description: string, required = where === 'path'): Obj {
  return { name, in: where, type, description, ...(required ? { required: true } : {}), uniqueItems: true };
}
const NAMESPACE = param('namespace', 'path', 'string', 'object name and auth scope, such as for teams and projects');
const PRETTY = param('pretty', 'query', 'string', "If 'true', then the output is pretty printed.");
const DRY_RUN = param('dryRun', 'query', 'string', 'When present, indicates that modifications should not be persisted. Valid value: All');
const FIELD_MANAGER = param('fieldManager', 'query', 'string', 'The name of the actor or entity making these changes.');
const FIELD_VALIDATION = param('fieldValidation', 'query', 'string', 'How the server treats unknown and duplicate fields: Ignore, Warn or Strict.');
const FORCE = param('force', 'query', 'boolean', 'Force is going to "force" Apply requests; must be unset for other patch types.');
const LIST_PARAMS = ['allowWatchBookmarks:boolean', 'continue:string', 'fieldSelector:string', 'labelSelector:string', 'limit:integer', 'resourceVersion:string', 'resourceVersionMatch:string', 'sendInitialEvents:boolean', 'timeoutSeconds:integer', 'watch:boolean']
  .map((s) => { const [n, t] = s.split(':') as [string, string]; return param(n, 'query', t, `See the Kubernetes API reference for ${n}.`); });
const WRITE_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

function operation(verb: string, id: string, k: KindInfo, gvk: GroupVersionKind, response: string, extra: Obj = {}): Obj {
  return {
    description: `${verb} ${id}`,
    consumes: ['*/*'],
    produces: ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'],
    schemes: ['https'],
    tags: [tagOf(k)],
    operationId: id,
    responses: { 200: { description: 'OK', schema: ref2(response) }, 401: { description: 'Unauthorized' } },
    'x-kubernetes-action': verb,
    'x-kubernetes-group-version-kind': { group: gvk.group, kind: gvk.kind, version: gvk.version },
    ...extra,
  };
}

/** The paths of one served kind: its collection, its items, and its subresources. */
function pathsOf(k: KindInfo): Record<string, Obj> {
  const base = `/${gvPath(k)}`;
  const ns = k.namespaced ? 'Namespaced' : '';
  const pre = opPrefix(k);
  const coll = k.namespaced ? `${base}/namespaces/{namespace}/${k.plural}` : `${base}/${k.plural}`;
  const item = `${coll}/{name}`;
  const scope = k.namespaced ? [NAMESPACE, PRETTY] : [PRETTY];
  const body = (def: string): Obj => ({ name: 'body', in: 'body', required: true, schema: ref2(def) });
  const patchBody = { name: 'body', in: 'body', required: true, schema: ref2(`${META}Patch`) };
  if (k.createOnly === true) {
    return { [coll]: { post: operation('post', `create${pre}${ns}${k.kind}`, k, k, k.definition, { consumes: WRITE_TYPES, parameters: [body(k.definition), DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION] }), parameters: scope } };
  }
  const out: Record<string, Obj> = {
    [coll]: {
      get: operation('list', `list${pre}${ns}${k.kind}`, k, k, `${k.definition}List`, { parameters: LIST_PARAMS }),
      post: operation('post', `create${pre}${ns}${k.kind}`, k, k, k.definition, { consumes: WRITE_TYPES, parameters: [body(k.definition), DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION] }),
      delete: operation('deletecollection', `delete${pre}Collection${ns}${k.kind}`, k, k, `${META}Status`, { parameters: [body(`${META}DeleteOptions`), ...LIST_PARAMS] }),
      parameters: scope,
    },
    [item]: {
      get: operation('get', `read${pre}${ns}${k.kind}`, k, k, k.definition),
      put: operation('put', `replace${pre}${ns}${k.kind}`, k, k, k.definition, { consumes: WRITE_TYPES, parameters: [body(k.definition), DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION] }),
      patch: operation('patch', `patch${pre}${ns}${k.kind}`, k, k, k.definition, { consumes: PATCH_TYPES, parameters: [patchBody, DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE] }),
      delete: operation('delete', `delete${pre}${ns}${k.kind}`, k, k, `${META}Status`, { parameters: [{ name: 'body', in: 'body', schema: ref2(`${META}DeleteOptions`) }, DRY_RUN] }),
      parameters: [param('name', 'path', 'string', `name of the ${k.kind}`), ...scope],
    },
  };
  if (k.namespaced) out[`${base}/${k.plural}`] = { get: operation('list', `list${pre}${k.kind}ForAllNamespaces`, k, k, `${k.definition}List`), parameters: LIST_PARAMS };
  for (const sub of k.subresources) {
    const Sub = `${sub[0]?.toUpperCase()}${sub.slice(1)}`;
    const [def, gvk] = sub === 'scale'
      ? ['io.k8s.api.autoscaling.v1.Scale', { group: 'autoscaling', version: 'v1', kind: 'Scale' }]
      : [k.definition, k as GroupVersionKind];
    out[`${item}/${sub}`] = {
      get: operation('get', `read${pre}${ns}${k.kind}${Sub}`, k, gvk, def),
      put: operation('put', `replace${pre}${ns}${k.kind}${Sub}`, k, gvk, def, { consumes: WRITE_TYPES, parameters: [body(def), DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION] }),
      patch: operation('patch', `patch${pre}${ns}${k.kind}${Sub}`, k, gvk, def, { consumes: PATCH_TYPES, parameters: [patchBody, DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE] }),
      parameters: [param('name', 'path', 'string', `name of the ${k.kind}`), ...scope],
    };
  }
  return out;
}

/** The definitions `roots` reach through `$ref`, sorted by name. */
function closure(data: Definitions, roots: readonly string[]): Record<string, OpenApiSchema> {
  const seen = new Set<string>();
  const todo = [...roots];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) { v.forEach(visit); return; }
    if (v === null || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string') todo.push(x.slice(x.lastIndexOf('/') + 1));
      else visit(x);
    }
  };
  for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
    if (seen.has(name)) continue;
    seen.add(name);
    visit(data.definitions[name]);
  }
  return Object.fromEntries([...seen].sort().filter((n) => data.definitions[n] !== undefined).map((n) => [n, data.definitions[n] as OpenApiSchema]));
}

function servedKinds(served: readonly GroupVersionKind[]): KindInfo[] {
  const want = new Set(served.map(gvkKey));
  return KINDS.filter((k) => want.has(gvkKey(k)));
}

const rootsOf = (kinds: readonly KindInfo[]): string[] => [...kinds.flatMap((k) => (k.createOnly === true ? [k.definition] : [k.definition, `${k.definition}List`])), ...EXTRA_DEFINITIONS];

const info = (data: Definitions): Obj => ({ title: 'Kubernetes', version: `v${data.kubernetes}.0` });

export function openapiV2(data: Definitions, served: readonly GroupVersionKind[]): Obj {
  const kinds = servedKinds(served);
  const paths: Record<string, Obj> = {};
  for (const k of kinds) Object.assign(paths, pathsOf(k));
  return {
    swagger: '2.0',
    info: info(data),
    paths: Object.fromEntries(Object.keys(paths).sort().map((p) => [p, paths[p]])),
    definitions: closure(data, rootsOf(kinds)),
    securityDefinitions: { BearerToken: { description: 'Bearer Token authentication', type: 'apiKey', name: 'authorization', in: 'header' } },
    security: [{ BearerToken: [] }],
  };
}

/** A v2 schema as OpenAPI 3.0 writes it: refs to components, a ref with siblings wrapped in allOf. */
function toV3(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toV3);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Obj;
  if (typeof o.$ref === 'string') {
    const target = `#/components/schemas/${o.$ref.slice(o.$ref.lastIndexOf('/') + 1)}`;
    const rest = Object.entries(o).filter(([k]) => k !== '$ref');
    return rest.length === 0 ? { $ref: target } : { ...Object.fromEntries(rest.map(([k, x]) => [k, toV3(x)])), allOf: [{ $ref: target }] };
  }
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, toV3(x)]));
}

/**
 * OpenAPI 3 says what v2 could not: IntOrString is an integer or a string, Quantity a string or
 * a number (so `kubectl explain` names them `<IntOrString>` and `<Quantity>`, as against the API server).
 */
const ONE_OF: Record<string, Obj> = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }] },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { oneOf: [{ type: 'string' }, { type: 'number' }] },
};
function oneOfTypes(schemas: Record<string, Obj>): Record<string, Obj> {
  const out = { ...schemas };
  for (const [name, shape] of Object.entries(ONE_OF)) {
    const s = out[name];
    if (s !== undefined) out[name] = { ...(s.description === undefined ? {} : { description: s.description }), ...shape };
  }
  return out;
}

/** A v2 operation as OpenAPI 3.0 writes it: body parameter → requestBody, schemas under content. */
function operationV3(op: Obj): Obj {
  const { consumes, produces, schemes: _schemes, parameters, responses, ...rest } = op as Obj & { consumes?: string[]; produces?: string[]; parameters?: Obj[]; responses: Record<string, Obj> };
  const body = parameters?.find((p) => p.in === 'body');
  const params = parameters?.filter((p) => p.in !== 'body').map(paramV3);
  const out: Obj = { ...rest };
  if (params !== undefined && params.length > 0) out.parameters = params;
  if (body !== undefined) out.requestBody = { content: Object.fromEntries((consumes ?? ['*/*']).map((t) => [t, { schema: toV3(body.schema) }])), ...(body.required === true ? { required: true } : {}) };
  out.responses = Object.fromEntries(Object.entries(responses).map(([code, r]) => [code, r.schema === undefined
    ? { description: r.description }
    : { description: r.description, content: Object.fromEntries((produces ?? ['application/json']).map((t) => [t, { schema: toV3(r.schema) }])) }]));
  return out;
}
const paramV3 = (p: Obj): Obj => {
  const { type, uniqueItems: _u, ...rest } = p;
  return { ...rest, schema: { type, uniqueItems: true } };
};

export function openapiV3(data: Definitions, groupVersion: string, served: readonly GroupVersionKind[]): Obj | undefined {
  const gv = groupVersion.replace(/^\/+/, '').replace(/^openapi\/v3\//, '');
  const kinds = servedKinds(served).filter((k) => gvPath(k) === gv || apiVersionOf(k) === gv);
  if (kinds.length === 0) return undefined;
  const paths: Record<string, Obj> = {};
  for (const k of kinds) {
    for (const [p, item] of Object.entries(pathsOf(k))) {
      paths[p] = Object.fromEntries(Object.entries(item).map(([verb, op]) => [verb, verb === 'parameters' ? (op as Obj[]).map(paramV3) : operationV3(op as Obj)]));
    }
  }
  return {
    openapi: '3.0.0',
    info: info(data),
    paths: Object.fromEntries(Object.keys(paths).sort().map((p) => [p, paths[p]])),
    components: {
      schemas: oneOfTypes(toV3(closure(data, rootsOf(kinds))) as Record<string, Obj>),
      securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } },
    },
  };
}

/** The content hash in `serverRelativeURL`: clients cache a group-version's document by it. */
export const contentHash = (doc: object): string => createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();

export function openapiV3Index(data: Definitions, served: readonly GroupVersionKind[], documentOf: (gv: string) => Obj | undefined): Obj {
  const gvs = [...new Set(servedKinds(served).map(gvPath))].sort();
  const paths: Record<string, Obj> = {};
  for (const gv of gvs) {
    const doc = documentOf(gv);
    if (doc !== undefined) paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${contentHash(doc)}` };
  }
  return { paths };
}
