/**
 * Which AWS service and operation a request is for, and in which protocol the client
 * spoke, from what the request itself says (the catalog fills in the rest):
 *
 *   protocol    smithy-protocol: rpc-v2-cbor ─▶ rpc-v2-cbor; X-Amz-Target ─▶ JSON;
 *               Action= (form body or query) ─▶ Query (EC2's own for ec2); else REST
 *   service     SigV4 credential scope (header or presigned URL) ─▶ the services signed so,
 *               narrowed by the target prefix, the Version=, or the REST routes; unsigned:
 *               the target prefix, the Version=, or a REST route only one service has
 *   operation   the target's or the path's operation, the Action, or the matching route
 *
 * A client chooses the protocol from its own copy of the model: the aws CLI v2 of Debian 12
 * still speaks Query to SQS, which newer SDKs speak JSON 1.0 to. So the answer follows the
 * request's protocol, and the catalog decides only between REST-JSON and REST-XML.
 */

import type { IncomingHttpHeaders } from 'node:http';
import type { Protocol, ServiceCatalog, ServiceFacts } from './catalog.ts';
import { credentialScope } from './sigv4-scope.ts';

export interface WireRequest {
  readonly method: string;
  /** Path and query as sent. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The fields of an `application/x-www-form-urlencoded` body (a Query request), else undefined. */
  readonly form: URLSearchParams | undefined;
}

export interface Identified {
  readonly protocol: Protocol;
  /** From the catalog, when the request names a service it knows. */
  readonly service: ServiceFacts | undefined;
  /** What a message calls the service: the catalog's name, else the scope's or the target's. */
  readonly serviceName: string;
  /** The operation, or `METHOD /path` for a REST request no known route fits. */
  readonly operation: string;
  /** JSON protocols: the version the client sent (its Content-Type), 1.0 or 1.1. */
  readonly jsonVersion: string;
}

/** `/service/<service>/operation/<operation>`: every rpc-v2-cbor request's path (Smithy RPC v2 CBOR spec). */
const CBOR_PATH = /^\/service\/([^/?]+)\/operation\/([^/?]+)/;
const JSON_CONTENT_TYPE = /^application\/x-amz-json-(1\.[01])\b/;

/** The service, operation and protocol of an AWS request; undefined when nothing in it is AWS's. */
export function identify(req: WireRequest, catalog: ServiceCatalog): Identified | undefined {
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1));
  const scope = credentialScope(req.headers, req.url);
  // Signed: only the services signed so are candidates (none, for a signing name the catalog lacks).
  const signed = scope ? catalog.bySigningName(scope.service) : undefined;
  const jsonVersion = JSON_CONTENT_TYPE.exec(String(req.headers['content-type'] ?? ''))?.[1];
  const answer = (protocol: Protocol, service: ServiceFacts | undefined, fallbackName: string | undefined, operation: string): Identified => ({
    protocol,
    service,
    serviceName: service?.name ?? fallbackName ?? 'unknown',
    operation,
    jsonVersion: jsonVersion ?? service?.jsonVersion ?? '1.1',
  });

  const cbor = req.headers['smithy-protocol'] === 'rpc-v2-cbor' ? CBOR_PATH.exec(path) : null;
  if (cbor) {
    const [, name = '', operation = ''] = cbor.map(decodeURIComponentSafe);
    return answer('smithy-rpc-v2-cbor', pick(signed, catalog.byTargetPrefix(name)), scope?.service ?? name, operation);
  }

  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    const dot = target.lastIndexOf('.');
    const prefix = dot < 0 ? target : target.slice(0, dot);
    return answer('json', pick(signed, catalog.byTargetPrefix(prefix)), scope?.service ?? prefix, dot < 0 ? target : target.slice(dot + 1));
  }

  const action = req.form?.get('Action') ?? query.get('Action');
  if (action) {
    const version = req.form?.get('Version') ?? query.get('Version') ?? '';
    // Unsigned, a Version= date may be several services': the Query ones are likelier meant.
    const dated = [...catalog.byApiVersion(version)].sort((a, b) => Number(speaksQuery(b)) - Number(speaksQuery(a)));
    const service = pick(signed, dated);
    return answer(service?.protocols.includes('ec2') ? 'ec2' : 'query', service, scope?.service, action);
  }

  const route = (s: ServiceFacts) => catalog.routeOf(s, req.method, req.url);
  if (scope && signed) {
    // Of the services signed so, a REST one: the one whose route fits, or whose paths these are.
    const rest = signed.filter((s) => s.protocols.some((p) => p.startsWith('rest-')));
    const service = rest.find((s) => route(s) !== undefined) ?? rest.find((s) => catalog.ownsPath(s, path))
      ?? rest.find((s) => s.name === scope.service) ?? rest[0] ?? signed[0];
    return answer(restProtocol(service), service, scope.service, (service && route(service)) ?? `${req.method} ${path}`);
  }
  // Unsigned and REST: only a route that exactly one service has says whose it is.
  const routed = catalog.services.filter((s) => s.routes !== undefined && route(s) !== undefined);
  if (routed.length !== 1) return undefined;
  const service = routed[0]!;
  return answer(restProtocol(service), service, undefined, route(service)!);
}

/**
 * Of the services the signature names, those the request's other clue names too, the one
 * named as the signature is first (RDS before DocumentDB and Neptune, which sign as rds and
 * share its API version); else the first signed so. Unsigned, the clue's first.
 */
function pick(signed: readonly ServiceFacts[] | undefined, clued: readonly ServiceFacts[]): ServiceFacts | undefined {
  if (!signed) return clued[0];
  const both = signed.filter((s) => clued.includes(s));
  return both.find((s) => s.name === s.signingName) ?? both[0] ?? signed[0];
}

function speaksQuery(s: ServiceFacts): boolean {
  return s.protocols.includes('query') || s.protocols.includes('ec2');
}

function restProtocol(service: ServiceFacts | undefined): Protocol {
  return service?.protocols.includes('rest-xml') ? 'rest-xml' : 'rest-json';
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
