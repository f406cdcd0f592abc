/** Blob reads and deletes, and the upload protocol (spec "Pulling blobs", "Pushing blobs"). */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RegistryCore } from './core.ts';
import { oci } from './errors.ts';
import { sendEmpty, sendError } from './http.ts';
import { keys } from './keys.ts';
import { checkDigest } from './names.ts';
import { parseContentRange, parseRangeHeader, uploadRange } from './ranges.ts';
import { ensureRepo, linkBlob, requireRepo } from './repositories.ts';
import { sendFileRange } from './send-file.ts';

const blobUrl = (name: string, digest: string) => `/v2/${name}/blobs/${digest}`;
const uploadUrl = (name: string, id: string) => `/v2/${name}/blobs/uploads/${id}`;

/** GET and HEAD of a blob, with single byte ranges. The file is streamed (send-file.ts), never buffered. */
export async function getBlob(core: RegistryCore, req: IncomingMessage, res: ServerResponse, name: string, digestParam: string): Promise<void> {
  const digest = checkDigest(digestParam);
  const link = await core.store.get(keys.link(name, digest));
  const blob = link ? await core.blobs.openRead(digest, { send: req.method === 'GET' }) : undefined;
  if (!blob) {
    await requireRepo(core.store, name);
    throw oci('BLOB_UNKNOWN', `blob ${digest} is not in repository ${name}`, { digest });
  }
  const { size } = blob;
  const headers = {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': digest,
    'Accept-Ranges': 'bytes',
    ETag: `"${digest}"`,
    // Content-addressed: a blob URL's content never changes.
    'Cache-Control': 'max-age=31536000',
  };
  const range = parseRangeHeader(req.method === 'GET' ? req.headers.range : undefined, size);
  if (range.kind === 'unsatisfiable') {
    await blob.close();
    sendError(res, oci('RANGE_INVALID', `the range ${req.headers.range} cannot be served from the blob's ${size} bytes: ask for bytes=<first>-<last> with first <= last < ${size}`, { size }), { 'Content-Range': `bytes */${size}` });
    return;
  }
  if (req.method === 'HEAD') {
    await blob.close();
    res.writeHead(200, { ...headers, 'Content-Length': size });
    res.end();
    return;
  }
  const { start, end } = range.kind === 'range' ? range.range : { start: 0, end: size - 1 };
  res.writeHead(range.kind === 'range' ? 206 : 200, {
    ...headers,
    'Content-Length': end - start + 1,
    ...(range.kind === 'range' && { 'Content-Range': `bytes ${start}-${end}/${size}` }),
  });
  if (size === 0) {
    await blob.close();
    res.end();
    return;
  }
  await sendFileRange(blob, start, end, res);
}

/** Removes the blob from the repository; the bytes go when GC finds nothing references them. */
export async function deleteBlob(core: RegistryCore, res: ServerResponse, name: string, digestParam: string): Promise<void> {
  const digest = checkDigest(digestParam);
  await requireRepo(core.store, name);
  const link = await core.store.get(keys.link(name, digest));
  if (!link) throw oci('BLOB_UNKNOWN', `blob ${digest} is not in repository ${name}`, { digest });
  await core.store.txn({ if: [{ key: link.key, modRevision: link.modRevision }], ops: [{ type: 'delete', key: link.key }] });
  sendEmpty(res, 202);
}

/** POST …/blobs/uploads/: a cross-repository mount, a monolithic upload, or a new session. */
export async function postUpload(core: RegistryCore, req: IncomingMessage, res: ServerResponse, name: string, query: URLSearchParams): Promise<void> {
  const now = core.now();
  const mount = query.get('mount');
  const from = query.get('from');
  if (mount !== null) {
    const digest = checkDigest(mount);
    const mounted = from !== null && (await tryMount(core, name, from, digest, now));
    if (mounted) {
      sendEmpty(res, 201, { Location: blobUrl(name, digest), 'Docker-Content-Digest': digest });
      return;
    }
    // Not mountable: the spec has the registry start an ordinary upload instead.
  }
  const digestParam = query.get('digest');
  if (digestParam !== null && mount === null) {
    const digest = checkDigest(digestParam);
    await ensureRepo(core.store, name, now);
    const length = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    const size = await core.uploads.stream(() => core.blobs.writeVerified(req, digest, length));
    await linkBlob(core.store, name, digest, size, now);
    sendEmpty(res, 201, { Location: blobUrl(name, digest), 'Docker-Content-Digest': digest });
    return;
  }
  await ensureRepo(core.store, name, now);
  const session = await core.uploads.start(name, now);
  sendEmpty(res, 202, { Location: uploadUrl(name, session.id), 'Docker-Upload-UUID': session.id, Range: uploadRange(0) });
}

async function tryMount(core: RegistryCore, name: string, from: string, digest: ReturnType<typeof checkDigest>, now: number): Promise<boolean> {
  if (!(await core.store.get(keys.link(from, digest)))) return false;
  return core.lock.shared(async () => {
    if (!(await core.blobs.touch(digest))) return false;
    const info = await core.blobs.stat(digest);
    await ensureRepo(core.store, name, now);
    await linkBlob(core.store, name, digest, info?.size ?? 0, now);
    return true;
  });
}

/** PATCH: one chunk, in order. */
export async function patchUpload(core: RegistryCore, req: IncomingMessage, res: ServerResponse, name: string, id: string): Promise<void> {
  const session = await core.uploads.find(name, id);
  const range = contentRange(req);
  const offset = await core.uploads.append(session, req, range);
  sendEmpty(res, 202, { Location: uploadUrl(name, id), 'Docker-Upload-UUID': id, Range: uploadRange(offset) });
}

/** PUT ?digest=: the last chunk (optional) and completion. */
export async function putUpload(core: RegistryCore, req: IncomingMessage, res: ServerResponse, name: string, id: string, query: URLSearchParams): Promise<void> {
  const session = await core.uploads.find(name, id);
  const digestParam = query.get('digest');
  if (digestParam === null) throw oci('DIGEST_INVALID', 'completing an upload needs ?digest=<digest of the whole blob>');
  const digest = checkDigest(digestParam);
  const range = contentRange(req);
  if (range) await core.uploads.append(session, req, range);
  const body = !range && hasBody(req) ? req : undefined;
  await core.uploads.finish(session, digest, body, core.now());
  sendEmpty(res, 201, { Location: blobUrl(name, digest), 'Docker-Content-Digest': digest });
}

export async function getUpload(core: RegistryCore, res: ServerResponse, name: string, id: string): Promise<void> {
  const session = await core.uploads.find(name, id);
  const offset = await core.uploads.offset(session);
  sendEmpty(res, 204, { Location: uploadUrl(name, id), 'Docker-Upload-UUID': id, Range: uploadRange(offset) });
}

export async function deleteUpload(core: RegistryCore, res: ServerResponse, name: string, id: string): Promise<void> {
  const session = await core.uploads.find(name, id);
  await core.uploads.cancel(session);
  sendEmpty(res, 204);
}

function contentRange(req: IncomingMessage) {
  const header = req.headers['content-range'];
  if (header === undefined) return undefined;
  const range = parseContentRange(header);
  if (!range) throw oci('RANGE_INVALID', `Content-Range ${JSON.stringify(header.slice(0, 100))} is not <start>-<end>`, undefined, 416);
  return range;
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return length !== undefined ? Number(length) > 0 : req.headers['transfer-encoding'] !== undefined;
}
