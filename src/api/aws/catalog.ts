/**
 * The wire facts of every AWS service (models/services.json, generated from botocore's
 * models by scripts/gen-aws-catalog.py): what a request for a service looks like, and so
 * how to tell which service a request is for and how to answer it in its own protocol.
 */

import services from './models/services.json' with { type: 'json' };

/** The protocols of the AWS SDKs, as botocore names them. */
export type Protocol = 'query' | 'ec2' | 'json' | 'rest-json' | 'rest-xml' | 'smithy-rpc-v2-cbor';

export interface ServiceFacts {
  /** botocore's name for the service, which is also the aws CLI's command: `ec2`, `elbv2`, … */
  readonly name: string;
  /** The service in a SigV4 credential scope; several services may share one. */
  readonly signingName: string;
  /** Preferred first: a client speaks the first of these it knows. */
  readonly protocols: readonly Protocol[];
  readonly apiVersion: string;
  /** JSON protocols: `X-Amz-Target` is `<targetPrefix>.<Operation>` (rpc-v2-cbor: the service in the path). */
  readonly targetPrefix?: string;
  readonly jsonVersion?: string;
  /** XML protocols: the namespace of the service's documents, errors included. */
  readonly xmlNamespace?: string;
  /** REST protocols, for some services only: `METHOD requestUri Operation`. */
  readonly routes?: readonly string[];
  /** REST protocols, for services without routes that share a signing name: path prefixes only they have (`/v2/email`). */
  readonly pathPrefixes?: readonly string[];
}

export interface ServiceCatalog {
  readonly services: readonly ServiceFacts[];
  bySigningName(signingName: string): readonly ServiceFacts[];
  byTargetPrefix(prefix: string): readonly ServiceFacts[];
  byApiVersion(version: string): readonly ServiceFacts[];
  /** The operation of `service` that `method path?query` is, by its routes; undefined when none fits or the catalog has no routes for it. */
  routeOf(service: ServiceFacts, method: string, url: string): string | undefined;
  /** True when `path` is under one of the service's own path prefixes. */
  ownsPath(service: ServiceFacts, path: string): boolean;
}

/** A REST route compiled for matching. */
interface Route {
  readonly method: string;
  readonly path: RegExp;
  /** Query parameters the request URI names literally (`?uploads`, `?versionId=…` forms). */
  readonly query: readonly [string, string | undefined][];
  readonly operation: string;
  /** Literal characters in the template, query included: of two routes that fit, the one with more wins (`/a/b` over `/a/{x}`, `/d?WithTags` over `/d`). */
  readonly specificity: number;
}

/** Builds the catalog over `data` (default: the generated one). Everything in it is bounded by the data: ~420 services, a few hundred routes. */
export function serviceCatalog(data: Readonly<Record<string, Omit<ServiceFacts, 'name'>>> = services as Record<string, Omit<ServiceFacts, 'name'>>): ServiceCatalog {
  const all = Object.entries(data).map(([name, facts]): ServiceFacts => ({ name, ...facts }));
  const index = (key: (s: ServiceFacts) => string | undefined) => {
    const map = new Map<string, ServiceFacts[]>();
    for (const s of all) {
      const k = key(s);
      if (k !== undefined) map.set(k, [...(map.get(k) ?? []), s]);
    }
    return (k: string): readonly ServiceFacts[] => map.get(k) ?? [];
  };
  // Compiled on first use: a route table is only needed when a request for that service comes.
  const compiled = new Map<string, readonly Route[]>();
  const routesOf = (s: ServiceFacts): readonly Route[] => {
    let routes = compiled.get(s.name);
    if (!routes) compiled.set(s.name, (routes = (s.routes ?? []).map(compileRoute)));
    return routes;
  };
  return {
    services: all,
    bySigningName: index((s) => s.signingName),
    byTargetPrefix: index((s) => s.targetPrefix),
    byApiVersion: index((s) => s.apiVersion),
    routeOf(service, method, url) {
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
      let best: Route | undefined;
      for (const r of routesOf(service)) {
        if (r.method !== method || !r.path.test(path)) continue;
        if (!r.query.every(([k, v]) => (v === undefined ? query.has(k) : query.get(k) === v))) continue;
        if (!best || r.specificity > best.specificity) best = r;
      }
      return best?.operation;
    },
    ownsPath: (service, path) => service.pathPrefixes?.some((p) => path === p || path.startsWith(`${p}/`)) ?? false,
  };
}

/** `GET /2015-03-31/functions/{FunctionName}/invocations?x-id=Y Op`: `{label}` is one segment, `{label+}` the rest of the path. */
function compileRoute(spec: string): Route {
  const [method = '', uri = '', operation = ''] = spec.split(' ');
  const q = uri.indexOf('?');
  const template = q < 0 ? uri : uri.slice(0, q);
  const query = [...new URLSearchParams(q < 0 ? '' : uri.slice(q + 1))].map(([k, v]): [string, string | undefined] => [k, v === '' ? undefined : v]);
  let literal = q < 0 ? 0 : uri.length - q;
  const source = template.split(/(\{[^}]+\})/).map((part) => {
    if (part.startsWith('{')) return part.endsWith('+}') ? '.+' : '[^/]+';
    literal += part.length;
    return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }).join('');
  // A trailing slash is the client's to add or leave (botocore sends the template's).
  return { method, path: new RegExp(`^${source.replace(/\/$/, '')}/?$`), query, operation, specificity: literal };
}

/** The catalog of the services botocore knows, built once. */
export const awsServices: ServiceCatalog = serviceCatalog();
