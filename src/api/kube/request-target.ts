/**
 * What a request's method and URL say, parsed once per distinct request line: the path, the
 * query string, the resource route (route.ts) and the authorization attributes
 * (rbac/attributes.ts). All of it is a pure function of the method, the URL and the kind
 * registry (fixed for a server's life), and clients repeat their request lines (kubectl's and
 * informers' GETs and LISTs, a controller's polls), so the URL parse and the two path walks
 * happen once per line, not per request. Each request gets its own URLSearchParams.
 */
import { Lru } from '../../lib/lru.ts';
import type { KindRegistry } from './kinds.ts';
import { routeOf, type ResourceRoute } from './route.ts';
import { requestAttributes } from './rbac/attributes.ts';
import type { RequestAttributes } from './rbac/types.ts';

/** Request lines kept per server: a cluster's hot objects and collections. */
export const MAX_TARGETS = 4096;
/** Bytes of request lines kept per server (a URL may be as long as a request header: 16 KB and more). */
export const MAX_TARGET_BYTES = 4 * 1024 * 1024;
/** What an entry costs besides its key: the route, the attributes, the strings. */
const TARGET_OVERHEAD_BYTES = 600;

export interface RequestTarget {
  /** The path, without a trailing slash (but `/`). */
  readonly path: string;
  /** The query string, with its `?` (or ''). */
  readonly search: string;
  readonly route: ResourceRoute | undefined;
  /** Why the path names no route it could read (a malformed escape): thrown where the route is needed. */
  readonly routeError?: unknown;
  readonly attrs: RequestAttributes;
}

export class RequestTargets {
  readonly #registry: KindRegistry;
  readonly #lru = new Lru<string, RequestTarget>({ maxEntries: MAX_TARGETS, maxWeight: MAX_TARGET_BYTES, weigh: (_t, key) => key.length + TARGET_OVERHEAD_BYTES });

  constructor(registry: KindRegistry) {
    this.#registry = registry;
  }

  of(method: string, rawUrl: string): RequestTarget {
    const key = `${method} ${rawUrl}`;
    const kept = this.#lru.get(key);
    if (kept) return kept;
    const target = parseTarget(this.#registry, method, rawUrl);
    this.#lru.set(key, target);
    return target;
  }
}

/** The request line parsed (what RequestTargets keeps). */
export function parseTarget(registry: KindRegistry, method: string, rawUrl: string): RequestTarget {
  const url = new URL(rawUrl, 'https://kube');
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/$/, '') : url.pathname;
  const attrs = requestAttributes(method, path, url.searchParams);
  try {
    return { path, search: url.search, route: routeOf(registry, path), attrs };
  } catch (routeError) {
    return { path, search: url.search, route: undefined, routeError, attrs };
  }
}
