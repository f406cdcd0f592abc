/**
 * A request's attributes as the API server's RequestInfo makes them, pure: a resource request
 * (`/api/<v>/…`, `/apis/<g>/<v>/…`: verb from the method, `list`/`watch`/`deletecollection`
 * when no name is given, the namespace, resource, name and subresource from the path; a
 * namespace's own path is in that namespace) or a non-resource one (any other path, and the
 * discovery paths `/api`, `/api/v1`, `/apis/<g>[/<v>]`: the method, lower-cased, is the verb).
 */
import type { RequestAttributes } from './types.ts';

const METHOD_VERBS: Readonly<Record<string, string>> = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
/** Subresources of a namespace (`/api/v1/namespaces/<ns>/status`), not resources inside it. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

const isTrue = (v: string | null): boolean => v === 'true' || v === '1';

export function requestAttributes(method: string, path: string, query: URLSearchParams): RequestAttributes {
  const parts = path.split('/').filter((p) => p !== '').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  const nonResource = (): RequestAttributes => ({ resourceRequest: false, verb: method.toLowerCase(), path });
  let apiGroup: string;
  let apiVersion: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) [apiGroup, apiVersion, rest] = ['', parts[1]!, parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 4) [apiGroup, apiVersion, rest] = [parts[1]!, parts[2]!, parts.slice(3)];
  else return nonResource();
  const verbOfMethod = METHOD_VERBS[method.toUpperCase()];
  if (verbOfMethod === undefined) return nonResource();
  let verb = verbOfMethod;
  // The old watch paths: /api/v1/watch/namespaces/<ns>/pods.
  if (rest[0] === 'watch') {
    verb = 'watch';
    rest = rest.slice(1);
    if (rest.length === 0) return nonResource();
  }
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1]!;
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
  }
  const resource = rest[0] ?? '';
  let name = rest[1] ?? '';
  const subresource = rest[2] ?? '';
  if (verb === 'get') {
    if (isTrue(query.get('watch'))) verb = 'watch';
    else if (name === '') verb = 'list';
  }
  if ((verb === 'list' || verb === 'watch') && name === '') {
    // A list or watch of exactly one name (`metadata.name=x`) is about that object.
    const exact = (query.get('fieldSelector') ?? '').split(',').map((s) => /^metadata\.name==?(.+)$/.exec(s.trim())?.[1]).find((n) => n !== undefined);
    if (exact !== undefined && !exact.includes('/') && exact !== '.' && exact !== '..') name = exact;
  }
  if (verb === 'delete' && name === '') verb = 'deletecollection';
  return { resourceRequest: true, verb, apiGroup, apiVersion, resource, subresource, namespace, name };
}
