/**
 * The API server's paths that are not resources: `/version`, the health checks, discovery
 * (`/api`, `/apis`, aggregated v2|v2beta1, the group and group-version documents) and the
 * OpenAPI documents (v2 as JSON or gnostic protobuf, the v3 index and per group-version).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeSchemas } from './contract.ts';
import { aggregated, aggregatedContentType, aggregatedVersion, apiVersions, group, groupList, resourceList } from './discovery.ts';
import { healthCheck, versionInfo } from './health.ts';
import { send } from './http-answer.ts';
import type { KindRegistry } from './kinds.ts';
import { OPENAPI_V2_PROTOBUF, OPENAPI_V2_PROTOBUF_CONTENT_TYPE, openapiV2Protobuf } from './schema/openapi-v2-proto.ts';
import { notAcceptable, pageNotFound } from './status.ts';

export interface NonResourceDeps {
  readonly registry: KindRegistry;
  readonly schemas: KubeSchemas;
  /** host:port the server listens on (`/api`'s serverAddressByClientCIDRs). */
  readonly address: string;
  /** The cluster's Kubernetes minor version, e.g. "1.32". */
  readonly clusterVersion: string;
}

/** Answers a GET of a non-resource path; 404 when it is none of them. */
export function answerNonResource(deps: NonResourceDeps, req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): void {
  const { registry, schemas } = deps;
  if (path === '/version') return send(res, 200, versionInfo(deps.clusterVersion));
  const health = healthCheck(path, query);
  if (health) return send(res, 200, health, 'text/plain; charset=utf-8');
  const agg = aggregatedVersion(req.headers.accept);
  if (path === '/api') {
    if (agg) return send(res, 200, aggregated(registry, true, agg), aggregatedContentType(agg));
    return send(res, 200, apiVersions(deps.address));
  }
  if (path === '/apis') {
    if (agg) return send(res, 200, aggregated(registry, false, agg), aggregatedContentType(agg));
    return send(res, 200, groupList(registry));
  }
  if (path === '/api/v1') return send(res, 200, resourceList(registry.inGroupVersion('', 'v1'), 'v1'));
  const g = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (g) {
    if (g[2] === undefined) {
      const doc = group(registry, g[1]!);
      if (doc) return send(res, 200, doc);
    } else {
      const kinds = registry.inGroupVersion(g[1]!, g[2]);
      if (kinds.length > 0) return send(res, 200, resourceList(kinds, `${g[1]}/${g[2]}`));
    }
  }
  const served = registry.served();
  if (path === '/openapi/v2') {
    const doc = schemas.openapiV2(served);
    // client-go's discovery asks for gnostic's protobuf only (kubectl's client-side validation).
    if (req.headers.accept?.includes(OPENAPI_V2_PROTOBUF)) return send(res, 200, openapiV2Protobuf(doc), OPENAPI_V2_PROTOBUF_CONTENT_TYPE);
    if (req.headers.accept?.includes('protobuf') && !req.headers.accept.includes('json')) throw notAcceptable();
    return send(res, 200, doc);
  }
  if (path === '/openapi/v3') return send(res, 200, schemas.openapiV3Index(served));
  if (path.startsWith('/openapi/v3/')) {
    const doc = schemas.openapiV3(path.slice('/openapi/v3/'.length), served);
    if (doc) return send(res, 200, doc);
  }
  throw pageNotFound();
}
