/**
 * Discovery documents, from the kinds registry: `/api`, `/api/v1`, `/apis`, `/apis/<g>`,
 * `/apis/<g>/<v>`, and aggregated discovery (apidiscovery.k8s.io v2 and v2beta1), which kubectl
 * asks for first.
 */
import { createHash } from 'node:crypto';
import type { KindInfo, KindRegistry } from './kinds.ts';

/** The one hash a resource's storage version has: clients only compare it. */
const storageVersionHash = (k: KindInfo): string => createHash('sha256').update(`${k.group}/${k.version}/${k.kind}`).digest('base64').slice(0, 11);

export function apiVersions(serverAddress: string): object {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

export function resourceList(kinds: readonly KindInfo[], groupVersion: string): object {
  const resources: object[] = [];
  for (const k of kinds) {
    resources.push({
      name: k.plural, singularName: k.singular, namespaced: k.namespaced, kind: k.kind, verbs: k.verbs,
      ...(k.shortNames.length > 0 && { shortNames: k.shortNames }),
      ...(k.categories.length > 0 && { categories: k.categories }),
      storageVersionHash: storageVersionHash(k),
    });
    for (const s of k.subresources) {
      resources.push({ name: `${k.plural}/${s.name}`, singularName: '', namespaced: k.namespaced,
        ...(s.kind && { group: s.kind.group, version: s.kind.version }), kind: (s.kind ?? k).kind, verbs: s.verbs });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

function apiGroup(name: string, versions: readonly string[]): object {
  const vs = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: vs, preferredVersion: vs[0] };
}

export function groupList(registry: KindRegistry): object {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: registry.groups().filter((g) => g.group !== '').map((g) => apiGroup(g.group, g.versions)) };
}

export function group(registry: KindRegistry, name: string): object | undefined {
  const g = registry.groups().find((x) => x.group === name && name !== '');
  return g && { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(g.group, g.versions) };
}

/** The aggregated discovery media type kubectl asks for, by version (v2, v2beta1), or undefined. */
export function aggregatedVersion(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const part of (accept ?? '').split(',')) {
    const params = part.split(';').map((p) => p.trim());
    if (params[0] !== 'application/json' || !params.includes('g=apidiscovery.k8s.io') || !params.includes('as=APIGroupDiscoveryList')) continue;
    if (params.includes('v=v2')) return 'v2';
    if (params.includes('v=v2beta1')) return 'v2beta1';
  }
  return undefined;
}

export const aggregatedContentType = (v: 'v2' | 'v2beta1'): string => `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`;

/** `/api` (core: true) or `/apis` as an APIGroupDiscoveryList. */
export function aggregated(registry: KindRegistry, core: boolean, v: 'v2' | 'v2beta1'): object {
  const items = registry.groups().filter((g) => (g.group === '') === core).map((g) => ({
    metadata: { name: g.group, creationTimestamp: null },
    versions: g.versions.map((version) => ({
      version,
      resources: registry.inGroupVersion(g.group, version).map((k) => ({
        resource: k.plural,
        responseKind: { group: k.group, version: k.version, kind: k.kind },
        scope: k.namespaced ? 'Namespaced' : 'Cluster',
        singularResource: k.singular,
        verbs: k.verbs,
        ...(k.shortNames.length > 0 && { shortNames: k.shortNames }),
        ...(k.categories.length > 0 && { categories: k.categories }),
        ...(k.subresources.length > 0 && {
          subresources: k.subresources.map((s) => ({ subresource: s.name, responseKind: s.kind ?? { group: k.group, version: k.version, kind: k.kind }, verbs: s.verbs })),
        }),
      })),
      freshness: 'Current',
    })),
  }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${v}`, metadata: {}, items };
}
