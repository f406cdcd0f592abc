/**
 * Which resource a URL names: `/api/v1/...` (core) or `/apis/<group>/<version>/...`, then
 * `namespaces/<ns>/<plural>[/<name>[/<sub>]]` or `<plural>[/<name>[/<sub>]]`.
 */
import type { KindInfo, KindRegistry } from './kinds.ts';

export interface ResourceRoute {
  readonly kind: KindInfo;
  /** The namespace of the URL (undefined: all namespaces, or a cluster-scoped kind). */
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
}

/** The route of `path`, undefined when it names no kind served, or 'group' / 'version' for a discovery path. */
export function routeOf(registry: KindRegistry, path: string): ResourceRoute | undefined {
  const parts = path.split('/').filter((p) => p !== '').map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const nsKind = registry.byResource('', 'v1', 'namespaces');
    // `/api/v1/namespaces/<ns>/<sub>` is a subresource of the namespace itself.
    const isNamespaceSub = group === '' && rest.length === 3 && nsKind?.subresources.some((s) => s.name === rest[2]);
    if (!isNamespaceSub) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
  }
  const kind = registry.byResource(group, version, rest[0]!);
  if (!kind || rest.length > 3) return undefined;
  if (namespace !== undefined && !kind.namespaced) return undefined;
  const subresource = rest[2];
  if (subresource !== undefined && !kind.subresources.some((s) => s.name === subresource)) return undefined;
  return { kind, namespace, name: rest[1], subresource };
}
