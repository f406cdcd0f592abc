/**
 * A ZoneData over a list of services: the lookups the zone makes, indexed once per change of
 * the cluster's services (its owner rebuilds it when a Service or its endpoints change), so a
 * query costs a few map reads. Bounded by the cluster's own objects.
 */
import type { DnsService, Endpoint, ZoneData } from './zone.ts';

export function zoneIndex(domain: string, services: readonly DnsService[], namespaces: Iterable<string>): ZoneData {
  const byName = new Map<string, DnsService>();
  const byClusterIP = new Map<string, DnsService>();
  const byEndpointIP = new Map<string, { service: DnsService; endpoint: Endpoint }>();
  const known = new Set(namespaces);
  for (const s of services) {
    byName.set(`${s.namespace}/${s.name}`.toLowerCase(), s);
    known.add(s.namespace);
    for (const ip of s.clusterIPs) byClusterIP.set(ip, s);
    // Only a headless service's named endpoints have names of their own to point back to.
    if (s.clusterIPs.length === 0) for (const e of s.endpoints) if (e.hostname !== undefined) byEndpointIP.set(e.ip, { service: s, endpoint: e });
  }
  const lowerNamespaces = new Set([...known].map((n) => n.toLowerCase()));
  return {
    domain,
    service: (namespace, name) => byName.get(`${namespace}/${name}`),
    serviceByClusterIP: (ip) => byClusterIP.get(ip),
    endpointByIP: (ip) => byEndpointIP.get(ip),
    hasNamespace: (namespace) => lowerNamespaces.has(namespace),
  };
}
