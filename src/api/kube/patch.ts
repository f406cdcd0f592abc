/**
 * PATCH bodies by content type: JSON patch (RFC 6902, fast-json-patch), merge patch
 * (RFC 7386), strategic merge patch (the kind's schema: KubeSchemas.strategicMerge). Server-side
 * apply (`application/apply-patch+yaml`) goes through KubeSchemas.apply in rest.ts.
 */
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import type { GroupVersionKind, KubeSchemas } from './contract.ts';
import { KubeSchemaError } from './contract.ts';
import { badRequest, StatusError, unsupportedMediaType } from './status.ts';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export function patchTypeOf(contentType: string | undefined): PatchType {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  switch (type) {
    case 'application/json-patch+json': return 'json';
    case 'application/merge-patch+json': return 'merge';
    case 'application/strategic-merge-patch+json': return 'strategic';
    case 'application/apply-patch+yaml': case 'application/apply-patch+cbor': return 'apply';
    default: throw unsupportedMediaType(type);
  }
}

/** RFC 7386: objects merge key by key, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** A schema error as the Status the server answers. */
export function schemaError(err: unknown): never {
  if (err instanceof KubeSchemaError) throw new StatusError(err.code, err.reason, err.message);
  throw err;
}

export function applyPatch(type: Exclude<PatchType, 'apply'>, gvk: GroupVersionKind, schemas: KubeSchemas, current: object, body: string): object {
  let patch: unknown;
  try {
    patch = JSON.parse(body);
  } catch (err) {
    throw badRequest(`error decoding patch: ${(err as Error).message}`);
  }
  if (type === 'json') {
    if (!Array.isArray(patch)) throw badRequest('json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp');
    try {
      return jsonpatch.applyPatch(current, patch as Operation[], true, false).newDocument;
    } catch (err) {
      const e = err as { name?: string; message: string };
      throw new StatusError(422, 'Invalid', `the server rejected our request due to an error in our request: ${e.message.split('\n')[0]}`);
    }
  }
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw badRequest('error decoding patch: a merge patch must be a JSON object');
  if (type === 'merge') return mergePatch(current, patch) as object;
  try {
    return schemas.strategicMerge(gvk, current, patch);
  } catch (err) {
    return schemaError(err);
  }
}
