/**
 * The resource verbs (get, list, create, update, patch, apply, delete, deletecollection) as
 * the API server answers them. Thin: parse query and body, call the kind's storage backend,
 * shape the answer. Watch is in watch.ts, representations (Table, metadata) in table.ts.
 */
import { parse as parseYaml } from 'yaml';
import { parseFieldSelector, parseLabelSelector, SelectorError } from '../../core/kube/selectors.ts';
import { duplicateFields } from '../../core/kube/duplicate-fields.ts';
import type { ApplyConflict, FieldValidation, KubeSchemas } from './contract.ts';
import { apiVersionOf, type KindInfo } from './kinds.ts';
import type { Obj } from './kind-rules.ts';
import { applyPatch, patchTypeOf, schemaError } from './patch.ts';
import type { ResourceRoute } from './route.ts';
import { handleScale } from './scale.ts';
import { listAnswer } from './answer-cache.ts';
import { badRequest, methodNotAllowed, StatusError } from './status.ts';
import type { DeleteOptions, ListOptions, PropagationPolicy, WriteOptions } from './storage-backend.ts';

export type { RestDeps, RestRequest, RestResponse } from './rest-types.ts';
import type { RestDeps, RestRequest, RestResponse } from './rest-types.ts';

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The manager a write is recorded under: `fieldManager=`, else the client's user agent name (`kubectl`), as the server derives it. */
function fieldManagerOf(req: RestRequest): string {
  const given = req.query.get('fieldManager');
  if (given) {
    if (given.length > 128) throw badRequest(`fieldManager: Too long: may not be more than 128 bytes`);
    return given;
  }
  return (req.userAgent ?? 'unknown').split('/')[0]!.slice(0, 128);
}

function dryRunOf(q: URLSearchParams): boolean {
  const values = q.getAll('dryRun');
  for (const v of values) if (v !== 'All') throw badRequest(`Invalid dry run value: ${v}`);
  return values.length > 0;
}

function fieldValidationOf(q: URLSearchParams): FieldValidation {
  const v = q.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw badRequest(`fieldValidation: invalid value ${v}: must be one of Strict, Warn, Ignore`);
}

/** The request body as an object (JSON, or YAML for application/yaml). */
export function decodeBody(kind: KindInfo, body: string, contentType: string | undefined): Obj {
  const type = (contentType ?? 'application/json').split(';')[0]!.trim();
  if (!['application/json', 'application/yaml', 'application/apply-patch+yaml', ''].includes(type)) {
    throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`);
  }
  let o: unknown;
  try {
    o = (contentType ?? '').startsWith('application/yaml') || (contentType ?? '').startsWith('application/apply-patch+yaml') ? parseYaml(body) : JSON.parse(body);
  } catch (err) {
    throw badRequest(`${kind.kind} in version "${kind.version}" cannot be handled as a ${kind.kind}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isObj(o)) throw badRequest(`${kind.kind} in version "${kind.version}" cannot be handled as a ${kind.kind}: the body must be an object`);
  if (o.metadata === undefined || o.metadata === null) o.metadata = {};
  if (!isObj(o.metadata)) throw badRequest(`${kind.kind} in version "${kind.version}" cannot be handled as a ${kind.kind}: metadata must be an object`);
  return o as Obj;
}

/** Kind and apiVersion of a body must be this kind's (or absent); the server fills them. */
function checkTypeMeta(kind: KindInfo, o: Obj): void {
  const apiVersion = apiVersionOf(kind);
  if (o.apiVersion !== undefined && o.apiVersion !== apiVersion) {
    throw badRequest(`the API version in the data (${String(o.apiVersion)}) does not match the expected API version (${apiVersion})`);
  }
  if (o.kind !== undefined && o.kind !== kind.kind) throw badRequest(`the kind in the data (${String(o.kind)}) does not match the expected kind (${kind.kind})`);
  o.apiVersion = apiVersion;
  o.kind = kind.kind;
}

/** Unknown fields: Strict refuses with the server's message, Warn answers `Warning` headers. */
function validateFields(deps: RestDeps, kind: KindInfo, o: Obj, mode: FieldValidation, verbMessage: string, rawJson?: string): string[] {
  if (mode === 'Ignore') return [];
  let unknown: string[];
  try {
    unknown = deps.schemas.unknownFields(kind, o);
  } catch (err) {
    return schemaError(err);
  }
  const named = unknown.map((f) => `unknown field "${f.replace(/^\./, '')}"`);
  if (rawJson !== undefined) named.push(...duplicateFields(rawJson).map((f) => `duplicate field "${f}"`));
  if (named.length === 0) return [];
  if (mode === 'Strict') throw badRequest(`${verbMessage}strict decoding error: ${named.join(', ')}`);
  return named;
}

const cannotHandle = (kind: KindInfo): string => `${kind.kind} in version "${kind.version}" cannot be handled as a ${kind.kind}: `;

function checkNamespace(route: ResourceRoute, o: Obj): void {
  const ns = o.metadata.namespace;
  if (route.kind.namespaced && ns !== undefined && ns !== '' && ns !== route.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
}

/** The body as JSON text, when it is JSON (YAML bodies have their duplicates refused by the YAML parser). */
const jsonText = (req: RestRequest): string | undefined => ((req.contentType ?? 'application/json').startsWith('application/json') ? req.body : undefined);

export function listOptionsOf(kind: KindInfo, q: URLSearchParams): ListOptions {
  try {
    const limit = Number(q.get('limit') ?? '0');
    return {
      labels: parseLabelSelector(q.get('labelSelector') ?? ''),
      fields: parseFieldSelector(q.get('fieldSelector') ?? '', ['metadata.name', 'metadata.namespace', ...kind.fieldSelectors]),
      limit: Number.isSafeInteger(limit) && limit > 0 ? limit : 0,
      continueToken: q.get('continue') || undefined,
    };
  } catch (err) {
    if (err instanceof SelectorError) throw badRequest(err.message);
    throw err;
  }
}

function writeOptions(req: RestRequest): WriteOptions {
  return { dryRun: dryRunOf(req.query), fieldManager: fieldManagerOf(req), ...(req.user && { user: req.user }) };
}

export async function handleRest(deps: RestDeps, req: RestRequest): Promise<RestResponse> {
  const { route } = req;
  const { kind } = route;
  const verbOk = (v: string): boolean => kind.verbs.includes(v as never) || (route.subresource !== undefined && kind.subresources.some((s) => s.name === route.subresource && s.verbs.includes(v as never)));
  if (kind.namespaced && route.namespace === undefined && req.method !== 'GET') throw methodNotAllowed();
  if (route.subresource === 'scale') return handleScale(deps, req);
  switch (req.method) {
    case 'GET': {
      if (route.name !== undefined) {
        if (!verbOk('get')) throw methodNotAllowed();
        if (req.plain && deps.storage.getRaw) return { status: 200, body: {}, raw: await deps.storage.getRaw(kind, route.namespace, route.name) };
        const o = await deps.storage.get(kind, route.namespace, route.name);
        return { status: 200, body: o, items: [o] };
      }
      if (!verbOk('list')) throw methodNotAllowed();
      const options = listOptionsOf(kind, req.query);
      if (req.plain && deps.storage.listRaw && options.labels.length === 0 && options.fields.length === 0) {
        const page = await deps.storage.listRaw(kind, route.namespace, options);
        return { status: 200, body: {}, raw: listAnswer(kind.kind, apiVersionOf(kind), page) };
      }
      const page = await deps.storage.list(kind, route.namespace, options);
      const listMeta = { resourceVersion: page.resourceVersion, ...(page.continueToken !== undefined && { continue: page.continueToken }) };
      return { status: 200, body: { kind: `${kind.kind}List`, apiVersion: apiVersionOf(kind), metadata: listMeta, items: page.items }, items: page.items, listMeta };
    }
    case 'POST': {
      if (route.name !== undefined || !verbOk('create')) throw methodNotAllowed();
      const o = decodeBody(kind, req.body, req.contentType);
      checkTypeMeta(kind, o);
      checkNamespace(route, o);
      const warnings = validateFields(deps, kind, o, fieldValidationOf(req.query), cannotHandle(kind), jsonText(req));
      const created = await deps.storage.create(kind, route.namespace, o, writeOptions(req));
      return { status: 201, body: created, warnings };
    }
    case 'PUT': {
      if (route.name === undefined || !verbOk('update')) throw methodNotAllowed();
      const o = decodeBody(kind, req.body, req.contentType);
      checkTypeMeta(kind, o);
      checkNamespace(route, o);
      const warnings = validateFields(deps, kind, o, fieldValidationOf(req.query), cannotHandle(kind), jsonText(req));
      const r = await deps.storage.update(kind, route.namespace, route.name, (cur) => (cur ? o : undefined), { ...writeOptions(req), ...(route.subresource !== undefined && { subresource: route.subresource }) });
      return { status: r.created ? 201 : 200, body: r.object, warnings };
    }
    case 'PATCH':
      return patch(deps, req);
    case 'DELETE': {
      const options = deleteOptionsOf(req);
      if (route.name === undefined) {
        if (!verbOk('deletecollection')) throw methodNotAllowed();
        const page = await deps.storage.list(kind, route.namespace, { ...listOptionsOf(kind, req.query), limit: 0, continueToken: undefined });
        const items: Obj[] = [];
        for (const o of page.items) {
          try {
            items.push((await deps.storage.delete(kind, o.metadata.namespace, o.metadata.name!, options)).object);
          } catch (err) {
            if (!(err instanceof StatusError && err.code === 404)) throw err;
          }
        }
        return { status: 200, body: { kind: `${kind.kind}List`, apiVersion: apiVersionOf(kind), metadata: { resourceVersion: page.resourceVersion }, items } };
      }
      if (!verbOk('delete')) throw methodNotAllowed();
      const r = await deps.storage.delete(kind, route.namespace, route.name, options);
      if (!r.gone) return { status: 200, body: r.object };
      // Kinds whose registry does not return the deleted object answer a Success Status.
      return { status: 200, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: route.name, ...(kind.group !== '' && { group: kind.group }), kind: kind.plural, uid: r.object.metadata.uid } } };
    }
    default:
      throw methodNotAllowed();
  }
}

/** Apply's 409: the schemas' message (the server's field manager words), a cause per field. */
function applyConflict(kind: KindInfo, conflicts: readonly ApplyConflict[], message: string | undefined): StatusError {
  const using = (c: ApplyConflict) => c.apiVersion ?? apiVersionOf(kind);
  const text = message ?? `Apply failed with ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}: ${conflicts.map((c) => `conflict with "${c.manager}" using ${using(c)}: ${c.field}`).join('\n')}`;
  return new StatusError(409, 'Conflict', text, {
    causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}" using ${using(c)}`, field: c.field })),
  });
}

function deleteOptionsOf(req: RestRequest): DeleteOptions {
  let body: Record<string, unknown> = {};
  if (req.body.trim() !== '') {
    try {
      const parsed: unknown = JSON.parse(req.body);
      if (isObj(parsed)) body = parsed;
    } catch {
      throw badRequest('DeleteOptions in version "v1" cannot be handled as a DeleteOptions: the body is not JSON');
    }
  }
  const policy = (req.query.get('propagationPolicy') ?? body.propagationPolicy) as string | undefined;
  if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
    throw new StatusError(422, 'Invalid', `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan", "nil"`);
  }
  const dryRun = dryRunOf(req.query) || (Array.isArray(body.dryRun) && body.dryRun.includes('All'));
  const pre = isObj(body.preconditions) ? (body.preconditions as { uid?: string; resourceVersion?: string }) : undefined;
  return { dryRun, propagationPolicy: policy as PropagationPolicy | undefined, preconditions: pre };
}

async function patch(deps: RestDeps, req: RestRequest): Promise<RestResponse> {
  const { route } = req;
  const { kind } = route;
  if (route.name === undefined || !(kind.verbs.includes('patch') || route.subresource !== undefined)) throw methodNotAllowed();
  const type = patchTypeOf(req.contentType);
  const mode = fieldValidationOf(req.query);
  const options = { ...writeOptions(req), ...(route.subresource !== undefined && { subresource: route.subresource }) };
  let warnings: string[] = [];
  if (type === 'apply') {
    const applied = decodeBody(kind, req.body, req.contentType);
    checkTypeMeta(kind, applied);
    warnings = validateFields(deps, kind, applied, mode, cannotHandle(kind));
    const manager = req.query.get('fieldManager');
    if (!manager) {
      throw new StatusError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch', {
        group: 'meta.k8s.io', kind: 'PatchOptions', causes: [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }],
      });
    }
    const force = req.query.get('force') === 'true';
    const r = await deps.storage.update(kind, route.namespace, route.name, (cur) => {
      let out: ReturnType<KubeSchemas['apply']>;
      try {
        out = deps.schemas.apply(kind, cur, structuredClone(applied), manager, force, new Date(deps.now()));
      } catch (err) {
        return schemaError(err);
      }
      if ('conflicts' in out) {
        throw applyConflict(kind, out.conflicts, out.message);
      }
      const o = out.object as Obj;
      if (cur) o.metadata.resourceVersion = cur.metadata.resourceVersion;
      return o;
    }, { ...options, fieldManager: manager, applied: true });
    return { status: r.created ? 201 : 200, body: r.object, warnings };
  }
  const r = await deps.storage.update(kind, route.namespace, route.name, (cur) => {
    if (!cur) return undefined;
    const rv = cur.metadata.resourceVersion;
    // The patch sees the object as served, resourceVersion included: a JSON patch may test or
    // replace it (kubectl's move of client-side apply's fields to server-side apply does).
    const next = applyPatch(type, kind, deps.schemas, cur, req.body) as Obj;
    if (!isObj(next.metadata)) next.metadata = {};
    // A patch that names no resourceVersion applies to the current object (retried on conflict).
    if (next.metadata.resourceVersion === undefined) next.metadata.resourceVersion = rv;
    checkTypeMeta(kind, next);
    warnings = validateFields(deps, kind, next, mode, '');
    return next;
  }, options);
  return { status: 200, body: r.object, warnings };
}
