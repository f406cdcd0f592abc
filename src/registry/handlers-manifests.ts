/**
 * Manifests by tag or digest (spec "Pulling manifests", "Pushing manifests", "Deleting").
 * A reference that is neither is absent to GET, HEAD and DELETE (404) and malformed to PUT (400).
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RegistryCore } from './core.ts';
import { oci } from './errors.ts';
import { readBody, sendEmpty } from './http.ts';
import { MANIFEST_MEDIA_TYPES, MAX_MANIFEST_BYTES, baseMediaType } from './manifest-doc.ts';
import { deleteManifest, getManifest, putManifest, unknownReference } from './manifests.ts';
import { checkTag, lookupReference, parseReference } from './names.ts';

export async function getManifestRoute(core: RegistryCore, req: IncomingMessage, res: ServerResponse, name: string, reference: string): Promise<void> {
  const record = await getManifest(core.store, name, lookupReference(reference) ?? (await unknownReference(core.store, name, reference)));
  const accepted = acceptedTypes(req.headers.accept);
  if (accepted && !accepted.includes(record.mediaType)) {
    throw oci('MANIFEST_UNKNOWN', `manifest ${reference} is stored as ${record.mediaType}, which this request's Accept header does not list`, { mediaType: record.mediaType });
  }
  res.writeHead(200, {
    'Content-Type': record.mediaType,
    'Content-Length': record.size,
    'Docker-Content-Digest': record.digest,
    ETag: `"${record.digest}"`,
  });
  res.end(req.method === 'HEAD' ? undefined : record.body);
}

/**
 * The manifest media types an Accept header asks for, or undefined when it does not
 * restrict them (absent, a wildcard, or naming no manifest type at all — clients that
 * send only `application/json` still expect whatever is stored).
 */
export function acceptedTypes(header: string | undefined): string[] | undefined {
  if (!header) return undefined;
  const types = header.split(',').map((t) => baseMediaType(t)).filter((t): t is string => t !== undefined);
  if (types.some((t) => t === '*/*' || t === 'application/*')) return undefined;
  const manifestTypes = types.filter((t) => MANIFEST_MEDIA_TYPES.includes(t));
  return manifestTypes.length ? manifestTypes : undefined;
}

/**
 * PUT of a manifest by tag, or by digest with `?tag=` parameters (spec "Pushing manifests"
 * on the spec's main branch, after v1.1.1): every tag is set in one transaction, or none,
 * and the answer's `OCI-Tag` lists them.
 */
export async function putManifestRoute(core: RegistryCore, req: IncomingMessage, res: ServerResponse, name: string, reference: string, query: URLSearchParams): Promise<void> {
  const ref = parseReference(reference);
  const tags = query.getAll('tag').map(checkTag);
  if (tags.length > 0 && ref.kind === 'tag') {
    throw oci('TAG_INVALID', `tag parameters go with a push by digest, and this push names tag ${ref.tag}: put the manifest by its digest with ?tag=${ref.tag} among the others`, { tag: ref.tag });
  }
  const body = await readBody(req, MAX_MANIFEST_BYTES);
  const result = await putManifest(core, name, ref, body, req.headers['content-type'], { createRepo: true, now: core.now(), tags });
  const { digest, subject } = result.record;
  sendEmpty(res, 201, {
    Location: `/v2/${name}/manifests/${digest}`,
    'Docker-Content-Digest': digest,
    ...(subject && { 'OCI-Subject': subject }),
    ...(tags.length > 0 && { 'OCI-Tag': result.tags.join(', ') }),
  });
  if (!result.existed || !result.tagUnchanged) core.notifyPush(name, digest);
}

export async function deleteManifestRoute(core: RegistryCore, res: ServerResponse, name: string, reference: string): Promise<void> {
  await deleteManifest(core.store, name, lookupReference(reference) ?? (await unknownReference(core.store, name, reference)));
  sendEmpty(res, 202);
}
