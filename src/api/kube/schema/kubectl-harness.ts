/**
 * A tiny HTTPS Kubernetes API server for the schemas' kubectl tests only: discovery, the OpenAPI
 * documents, and get/create/patch (strategic merge and apply) over an in-memory map, so kubectl
 * (explain, apply, apply --server-side) can be run against BerthKubeSchemas before the real
 * API server (src/api/kube/) is joined to them. Not part of Berth's server.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeSchemaError } from '../contract.ts';
import type { GroupVersionKind } from '../contract.ts';
import { KINDS, apiVersionOf } from './kinds.ts';
import type { KindInfo } from './kinds.ts';
import type { BerthKubeSchemas } from './schemas.ts';
import { duplicateFieldPaths, fieldWarnings, strictDecodingMessage } from './validate.ts';

type Obj = Record<string, unknown>;

export interface Harness {
  readonly url: string;
  readonly dir: string;
  /** Objects by `plural/namespace/name`. */
  readonly objects: Map<string, Obj>;
  /** Every request, `METHOD path?query content-type`. */
  readonly requests: string[];
  /** Runs kubectl against the harness (asynchronously: the server answers from this process). */
  kubectl(args: string[], input?: string): Promise<{ status: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

const status = (code: number, reason: string, message: string): Obj => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

export async function startHarness(schemas: BerthKubeSchemas, now: () => Date = () => new Date()): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-kubeschema-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const objects = new Map<string, Obj>();
  const requests: string[] = [];
  const served: GroupVersionKind[] = KINDS.map(({ group, version, kind }) => ({ group, version, kind }));

  const send = (res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'content-type': 'application/json', ...headers });
    res.end(text);
  };

  const discovery = (path: string): unknown => {
    if (path === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] };
    if (path === '/apis') {
      const groups = [...new Set(KINDS.filter((k) => k.group !== '').map((k) => k.group))];
      return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map((name) => {
        const v = { groupVersion: `${name}/v1`, version: 'v1' };
        return { name, versions: [v], preferredVersion: v };
      }) };
    }
    const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (m === null) return undefined;
    const [group, version] = m[1] !== undefined ? ['', m[1]] : [m[2] as string, m[3] as string];
    const kinds = KINDS.filter((k) => k.group === group && k.version === version);
    if (kinds.length === 0) return undefined;
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources: kinds.flatMap((k) => [
      { name: k.plural, singularName: k.kind.toLowerCase(), namespaced: k.namespaced, kind: k.kind, verbs: k.createOnly === true ? ['create'] : ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] },
      ...k.subresources.map((s) => ({ name: `${k.plural}/${s}`, singularName: '', namespaced: k.namespaced, kind: s === 'scale' ? 'Scale' : k.kind, verbs: ['get', 'patch', 'update'] })),
    ]) };
  };

  const resourceOf = (path: string): { kind: KindInfo; namespace: string; name?: string } | undefined => {
    const m = /^\/(?:api\/v1|apis\/([^/]+)\/v1)\/(?:namespaces\/([^/]+)\/)?([^/]+)(?:\/([^/]+))?$/.exec(path);
    if (m === null) return undefined;
    const kind = KINDS.find((k) => k.group === (m[1] ?? '') && k.plural === m[3]);
    if (kind === undefined) return undefined;
    return { kind, namespace: m[2] ?? '', ...(m[4] === undefined ? {} : { name: m[4] }) };
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const url = new URL(req.url ?? '/', 'https://x');
    const path = url.pathname;
    requests.push(`${req.method} ${path}${url.search} ${req.headers['content-type'] ?? ''}`);
    if (req.method === 'GET') {
      if (path === '/openapi/v2') return send(res, 200, schemas.openapiV2(served));
      if (path === '/openapi/v3') return send(res, 200, schemas.openapiV3Index(served));
      if (path.startsWith('/openapi/v3/')) {
        const doc = schemas.openapiV3(path.slice('/openapi/v3/'.length), served);
        return doc === undefined ? send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource')) : send(res, 200, doc);
      }
      const d = discovery(path);
      if (d !== undefined) return send(res, 200, d);
    }
    const r = resourceOf(path);
    if (r === undefined) return send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const gvk: GroupVersionKind = { group: r.kind.group, version: r.kind.version, kind: r.kind.kind };
    const key = (name: string): string => `${r.kind.plural}/${r.namespace}/${name}`;
    const notFound = (name: string): void => send(res, 404, { ...status(404, 'NotFound', `${r.kind.plural} "${name}" not found`), details: { name, kind: r.kind.plural } });
    const dryRun = url.searchParams.get('dryRun') === 'All';
    const manager = url.searchParams.get('fieldManager') ?? 'unknown';
    const validation = url.searchParams.get('fieldValidation') ?? 'Warn';
    const validate = (obj: unknown, text: string): boolean => {
      const unknown = schemas.unknownFields(gvk, obj);
      const dups = text.trimStart().startsWith('{') ? duplicateFieldPaths(text) : [];
      if (unknown.length + dups.length === 0 || validation === 'Ignore') return true;
      if (validation === 'Strict') { send(res, 400, status(400, 'BadRequest', strictDecodingMessage(gvk, unknown, dups))); return false; }
      res.setHeader('warning', fieldWarnings(unknown, dups).map((w) => `299 - "${w}"`).join(', '));
      return true;
    };
    const store = (name: string, obj: Obj): void => { if (!dryRun) objects.set(key(name), obj); };
    try {
      if (req.method === 'GET' && r.name !== undefined) {
        const o = objects.get(key(r.name));
        return o === undefined ? notFound(r.name) : send(res, 200, o);
      }
      if (req.method === 'POST' && r.name === undefined) {
        const obj = JSON.parse(body) as Obj;
        if (!validate(obj, body)) return;
        const meta = (obj.metadata ?? {}) as Obj;
        const name = meta.name as string;
        if (objects.has(key(name))) return send(res, 409, status(409, 'AlreadyExists', `${r.kind.plural} "${name}" already exists`));
        const created: Obj = { ...obj, metadata: { ...meta, namespace: r.kind.namespaced ? r.namespace : undefined, uid: `uid-${name}`, resourceVersion: '1', creationTimestamp: now().toISOString().slice(0, 19) + 'Z' } };
        (created.metadata as Obj).managedFields = schemas.managedFieldsAfterUpdate(gvk, undefined, created, manager, now());
        store(name, created);
        return send(res, 201, created);
      }
      if (req.method === 'PATCH' && r.name !== undefined) {
        const type = req.headers['content-type'] ?? '';
        const live = objects.get(key(r.name));
        const patch = JSON.parse(body) as Obj;
        if (type.startsWith('application/apply-patch')) {
          if (!validate(patch, body)) return;
          const out = schemas.apply(gvk, live, patch, manager, url.searchParams.get('force') === 'true', now());
          if ('conflicts' in out) {
            return send(res, 409, { ...status(409, 'Conflict', out.message), details: { causes: out.conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}" using ${c.apiVersion}`, field: c.field })) } });
          }
          store(r.name, out.object as Obj);
          return send(res, live === undefined ? 201 : 200, out.object);
        }
        if (live === undefined) return notFound(r.name);
        if (!type.startsWith('application/strategic-merge-patch')) return send(res, 415, status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/strategic-merge-patch+json, application/apply-patch+yaml`));
        const next = schemas.strategicMerge(gvk, live, patch) as Obj;
        if (!validate(next, JSON.stringify(next))) return;
        (next.metadata as Obj).managedFields = schemas.managedFieldsAfterUpdate(gvk, live, next, manager, now());
        (next.metadata as Obj).resourceVersion = String(Number((live.metadata as Obj).resourceVersion) + 1);
        store(r.name, next);
        return send(res, 200, next);
      }
      return send(res, 405, status(405, 'MethodNotAllowed', `${req.method} is not supported by this test server`));
    } catch (e) {
      if (e instanceof KubeSchemaError) return send(res, e.code, status(e.code, e.reason, e.message));
      throw e;
    }
  };

  const server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => { body += c; });
    req.on('end', () => {
      try { handle(req, res, body); } catch (e) { send(res, 500, status(500, 'InternalError', String(e))); }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const url = `https://127.0.0.1:${port}`;
  writeFileSync(join(dir, 'kubeconfig'), JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'h',
    clusters: [{ name: 'h', cluster: { server: url, 'certificate-authority': join(dir, 'cert.pem') } }],
    users: [{ name: 'u', user: { token: 'test' } }],
    contexts: [{ name: 'h', context: { cluster: 'h', user: 'u', namespace: 'default' } }],
  }));
  return {
    url, dir, objects, requests,
    kubectl(args, input) {
      return new Promise((resolve) => {
        const child = execFile('kubectl', ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), ...args],
          { encoding: 'utf8', timeout: 60_000, env: { ...process.env, HOME: dir } },
          (error, stdout, stderr) => resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr }));
        child.stdin?.end(input ?? '');
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
