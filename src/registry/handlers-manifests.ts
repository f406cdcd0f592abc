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
import { lookupReference, parseReference } from './names.ts';

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

export async function putManifestRoute(core: RegistryCore, req: IncomingMessage, res: ServerResponse, name: string, reference: string): Promise<void> {
  const ref = parseReference(reference);
  const body = await readBody(req, MAX_MANIFEST_BYTES);
  const result = await putManifest(core, name, ref, body, req.headers['content-type'], { createRepo: true, now: core.now() });
  const { digest, subject } = result.record;
  sendEmpty(res, 201, {
    Location: `/v2/${name}/manifests/${digest}`,
    'Docker-Content-Digest': digest,
    ...(subject && { 'OCI-Subject': subject }),
  });
  if (!result.existed || !result.tagUnchanged) core.notifyPush(name, digest);
}

export async function deleteManifestRoute(core: RegistryCore, res: ServerResponse, name: string, reference: string): Promise<void> {
  await deleteManifest(core.store, name, lookupReference(reference) ?? (await unknownReference(core.store, name, reference)));
  sendEmpty(res, 202);
}
