/**
 * The OCI distribution registry (spec v1.1) served under /v2/. See README.md.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '../store/store.ts';
import { authorize, challenge, credentialsOf, tokenResponse, type Access, type RegistryAuth } from './auth.ts';
import { BlobStore } from './blob-store.ts';
import { pushEvents, type RegistryCore } from './core.ts';
import { RegistryError, oci } from './errors.ts';
import { collectGarbage, type GcOptions, type GcReport } from './gc.ts';
import { GcLock } from '../lib/gc-lock.ts';
import { deleteBlob, deleteUpload, getBlob, getUpload, patchUpload, postUpload, putUpload } from './handlers-blobs.ts';
import { catalogRoute, referrersRoute, tagsRoute } from './handlers-listing.ts';
import { deleteManifestRoute, getManifestRoute, putManifestRoute } from './handlers-manifests.ts';
import { discardBody, readBody, sendError, sendJson } from './http.ts';
import { checkRepositoryName } from './names.ts';
import { matchRoute, type Route } from './router.ts';
import { Uploads } from './uploads.ts';

export type { RegistryAuth } from './auth.ts';
export type { RegistryCore, PushListener } from './core.ts';
export type { GcReport, GcOptions } from './gc.ts';
export { openTokenAuthority, type TokenAuthority } from './tokens.ts';

/** How often garbage collection runs by itself; an hour keeps disk use honest without churn. */
export const GC_INTERVAL_MS = 60 * 60 * 1000;
/** Largest form body of a token request (a username, a token and a few fields). */
const MAX_TOKEN_FORM_BYTES = 16 * 1024;

export interface RegistryDeps {
  readonly store: Store;
  readonly dataDir: string;
  readonly auth: RegistryAuth;
  readonly log?: (line: string) => void;
  /** Account named in anonymous tokens. Default '000000000000'. */
  readonly accountId?: string;
  /** Run GC on a timer (default true). */
  readonly gcInterval?: number | false;
  readonly now?: () => number;
}

export interface Registry {
  /** True for /v2 and everything under /v2/. */
  accepts(req: IncomingMessage): boolean;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Mark-and-sweep of unreferenced blobs and abandoned uploads (also run on a timer). */
  collectGarbage(options?: GcOptions): Promise<GcReport>;
  /** What the ECR API works with. */
  readonly core: RegistryCore;
  close(): Promise<void>;
}

export function createRegistry(deps: RegistryDeps): Registry {
  const log = deps.log ?? (() => undefined);
  const blobs = new BlobStore(deps.dataDir);
  blobs.init();
  const lock = new GcLock();
  const core: RegistryCore = {
    store: deps.store,
    blobs,
    uploads: new Uploads(deps.store, blobs, lock),
    lock,
    auth: deps.auth,
    log,
    now: deps.now ?? Date.now,
    ...pushEvents(log),
  };
  let gcRunning: Promise<GcReport> | undefined;
  const gc = (options?: GcOptions) => {
    gcRunning ??= collectGarbage(core, options).finally(() => (gcRunning = undefined));
    return gcRunning;
  };
  const interval = deps.gcInterval === undefined ? GC_INTERVAL_MS : deps.gcInterval;
  const timer = interval === false ? undefined : setInterval(() => void gc().catch((e: unknown) => log(`registry gc failed: ${String(e)}`)), interval);
  timer?.unref();

  return {
    core,
    accepts: (req) => {
      const url = req.url ?? '';
      return url === '/v2' || url.startsWith('/v2/') || url.startsWith('/v2?');
    },
    handle: (req, res) => handle(core, req, res, deps.accountId ?? '000000000000'),
    collectGarbage: gc,
    async close() {
      if (timer) clearInterval(timer);
      await gcRunning?.catch(() => undefined);
    },
  };
}

async function handle(core: RegistryCore, req: IncomingMessage, res: ServerResponse, account: string): Promise<void> {
  res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
  // Not `new URL()`: it would resolve dot segments, and `/v2/../x` must reach the name check, not become `/x`.
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const url = { pathname: q < 0 ? raw : raw.slice(0, q), searchParams: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
  const route = matchRoute(url.pathname);
  try {
    await dispatch(core, req, res, route, url.searchParams, account);
  } catch (err) {
    if (res.headersSent) {
      // Mid-stream failure (the client went away, or the disk failed): all we can do is cut the connection.
      res.destroy();
      return;
    }
    const known = err instanceof RegistryError;
    if (!known && isDisconnect(err)) {
      res.destroy();
      return;
    }
    const e = known ? err : oci('UNKNOWN', 'the registry failed to process the request; the server log has the details');
    if (!known) core.log(`registry: ${req.method} ${url.pathname}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    const headers: Record<string, string> = {};
    if (e.code === 'UNAUTHORIZED') headers['WWW-Authenticate'] = challenge(core.auth, req.headers.host ?? 'localhost');
    // The client reads the answer once it has sent its body; one too big to wait for is cut off after it.
    if (!(await discardBody(req))) headers.Connection = 'close';
    sendError(res, e, headers, req.method === 'HEAD');
  }
}

function isDisconnect(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'EPIPE';
}

async function dispatch(core: RegistryCore, req: IncomingMessage, res: ServerResponse, route: Route, query: URLSearchParams, account: string): Promise<void> {
  const method = req.method ?? 'GET';
  const read = method === 'GET' || method === 'HEAD';
  const creds = () => credentialsOf(core.auth, req, query, core.now());
  const allow = (access: Access) => authorize(core.auth, creds(), access);
  const pull: Access = { action: 'pull' };
  const push: Access = { action: 'push' };

  switch (route.kind) {
    case 'base':
      // Challenged even when anonymous pulls are on: clients learn here how to authenticate,
      // and one that saw a 200 would never send the credentials a later push needs.
      allow(push);
      return sendJson(res, 200, {});
    case 'token': {
      const form = method === 'POST' ? new URLSearchParams((await readBody(req, MAX_TOKEN_FORM_BYTES)).toString('utf8')) : undefined;
      return sendJson(res, 200, tokenResponse(core.auth, req, query, form, core.now(), () => account));
    }
    case 'catalog':
      allow(pull);
      if (!read) return unsupported(method, route);
      return catalogRoute(core, res, query);
    case 'unknown':
      throw oci('UNSUPPORTED', `no registry endpoint at ${req.url?.slice(0, 200)}: see the OCI distribution spec for the /v2/ API`, undefined, 404);
  }

  const name = checkRepositoryName(route.name);
  switch (route.kind) {
    case 'blob':
      if (read) {
        allow({ action: 'pull', blob: { repo: name, digest: route.digest } });
        return getBlob(core, req, res, name, route.digest);
      }
      allow(push);
      if (method === 'DELETE') return deleteBlob(core, res, name, route.digest);
      return unsupported(method, route);
    case 'uploads':
      allow(push);
      if (method === 'POST') return postUpload(core, req, res, name, query);
      return unsupported(method, route);
    case 'upload':
      allow(push);
      switch (method) {
        case 'PATCH': return patchUpload(core, req, res, name, route.id);
        case 'PUT': return putUpload(core, req, res, name, route.id, query);
        case 'GET': return getUpload(core, res, name, route.id);
        case 'DELETE': return deleteUpload(core, res, name, route.id);
      }
      return unsupported(method, route);
    case 'manifest':
      if (read) {
        allow(pull);
        auditPull(core, creds(), method, name, route.reference);
        return getManifestRoute(core, req, res, name, route.reference);
      }
      allow(push);
      if (method === 'PUT') return putManifestRoute(core, req, res, name, route.reference, query);
      if (method === 'DELETE') return deleteManifestRoute(core, res, name, route.reference);
      return unsupported(method, route);
    case 'tags':
      allow(pull);
      if (method !== 'GET') return unsupported(method, route);
      return tagsRoute(core, res, name, query);
    case 'referrers':
      allow(pull);
      if (method !== 'GET') return unsupported(method, route);
      return referrersRoute(core, res, name, route.digest, query);
  }
}

/**
 * A pull made as a role session (a task execution role's, when an agent pulls for a task)
 * is written to the server log, as CloudTrail records the principal of ECR pulls; pulls as
 * the account's root (CLI users) are not, to keep the log quiet.
 */
function auditPull(core: RegistryCore, creds: ReturnType<typeof credentialsOf>, method: string, name: string, reference: string): void {
  if (method !== 'GET' || creds.kind !== 'valid' || creds.principal === undefined || !creds.principal.includes(':assumed-role/')) return;
  core.log(`registry: ${creds.principal} pulled ${name}:${reference}`);
}

function unsupported(method: string, route: Route): never {
  throw oci('UNSUPPORTED', `${method} is not supported on this ${route.kind} endpoint`, undefined, 405);
}
