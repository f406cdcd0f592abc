/**
 * The `scale` subresource of deployments and replicasets (`kubectl scale`, autoscalers): an
 * autoscaling/v1 Scale view of the object — spec.replicas, status.replicas and the selector as
 * a string — read, replaced or patched; a write changes the object's `spec.replicas` (a spec
 * change: its generation moves) and answers the Scale after it.
 */
import { apiVersionOf } from './kinds.ts';
import type { Obj } from './kind-rules.ts';
import { applyPatch, patchTypeOf } from './patch.ts';
import type { RestDeps, RestRequest, RestResponse } from './rest-types.ts';
import { badRequest, conflict, methodNotAllowed, StatusError } from './status.ts';

const SCALE_GVK = { group: 'autoscaling', version: 'v1', kind: 'Scale' };

interface Selector { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] }

/** A label selector as its string form (labels.Selector.String()): `app=web,tier in (a,b)`. */
export function selectorString(s: Selector | undefined): string {
  const parts: string[] = [];
  for (const k of Object.keys(s?.matchLabels ?? {}).sort()) parts.push(`${k}=${s!.matchLabels![k]}`);
  for (const r of s?.matchExpressions ?? []) {
    const values = [...(r.values ?? [])].sort().join(',');
    if (r.operator === 'In') parts.push(`${r.key} in (${values})`);
    else if (r.operator === 'NotIn') parts.push(`${r.key} notin (${values})`);
    else if (r.operator === 'Exists') parts.push(r.key);
    else if (r.operator === 'DoesNotExist') parts.push(`!${r.key}`);
  }
  return parts.sort().join(',');
}

export function toScale(o: Obj): Obj {
  const spec = (o.spec ?? {}) as { replicas?: number; selector?: Selector };
  const status = (o.status ?? {}) as { replicas?: number };
  const m = o.metadata;
  return {
    kind: 'Scale', apiVersion: apiVersionOf(SCALE_GVK),
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector: selectorString(spec.selector) },
  };
}

function replicasOf(scale: Obj): number {
  const r = (scale.spec as { replicas?: unknown } | undefined)?.replicas ?? 0;
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 0) {
    throw new StatusError(422, 'Invalid', `Scale.autoscaling "${scale.metadata.name ?? ''}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(r)}: must be greater than or equal to 0`, {
      name: scale.metadata.name, group: 'autoscaling', kind: 'Scale', causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(r)}: must be greater than or equal to 0`, field: 'spec.replicas' }],
    });
  }
  return r;
}

export async function handleScale(deps: RestDeps, req: RestRequest): Promise<RestResponse> {
  const { kind, namespace, name } = req.route;
  if (name === undefined) throw methodNotAllowed();
  if (req.method === 'GET') {
    const scale = toScale(await deps.storage.get(kind, namespace, name));
    return { status: 200, body: scale };
  }
  if (req.method !== 'PUT' && req.method !== 'PATCH') throw methodNotAllowed();
  const dryRun = req.query.getAll('dryRun').length > 0;
  const fieldManager = req.query.get('fieldManager') || (req.userAgent ?? 'unknown').split('/')[0]!;
  const r = await deps.storage.update(kind, namespace, name, (cur) => {
    if (!cur) return undefined;
    const before = toScale(cur);
    let wanted: Obj;
    if (req.method === 'PUT') {
      try {
        wanted = JSON.parse(req.body) as Obj;
      } catch (err) {
        throw badRequest(`Scale in version "v1" cannot be handled as a Scale: ${(err as Error).message}`);
      }
      wanted.metadata ??= {};
    } else {
      const type = patchTypeOf(req.contentType);
      if (type === 'apply') throw new StatusError(415, 'UnsupportedMediaType', 'apply patches are not supported on the scale subresource here: patch spec.replicas with a merge patch');
      // Scale has no lists: a strategic merge patch of it is a merge patch.
      wanted = applyPatch(type === 'strategic' ? 'merge' : type, SCALE_GVK, deps.schemas, before, req.body) as Obj;
    }
    const rv = wanted.metadata?.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== cur.metadata.resourceVersion) throw conflict(kind, name);
    cur.spec = { ...(cur.spec as object), replicas: replicasOf(wanted) };
    return cur;
  }, { dryRun, fieldManager });
  return { status: 200, body: toScale(r.object) };
}
