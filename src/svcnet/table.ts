/**
 * A cluster's service table, pure: what every node of an EKS cluster needs to forward a
 * Service's virtual IP and node ports to its ready endpoints, and to answer its DNS names,
 * computed from the cluster's Services and EndpointSlices (what kube-proxy and CoreDNS read).
 *
 *   Services ──┐
 *              ├─ serviceTable ─▶ entries (one per Service, keyed `<ns>/<name>`)
 *   Slices ────┘                    ports: clusterIP:port/proto ─▶ ready endpoints' IP:targetPort
 *                                   endpoints: every endpoint (DNS: headless names, readiness)
 *   diffTable(before, after) ─▶ { put, remove }: what a node is sent after its first whole table
 *
 * A Service port's endpoints are the slices' endpoints whose slice names a port of the same
 * name and protocol (the EndpointSlice controller names slice ports after the Service's), at
 * the slice port's number: the target port as resolved for those pods.
 */

/** Services per table: Kubernetes' scalability threshold for a cluster (10,000 Services); more are left out, and said so. */
export const MAX_TABLE_SERVICES = 10_000;
/** The cluster domain pods' resolvers search (the kubelet's --cluster-domain default, as on EKS). */
export const CLUSTER_DOMAIN = 'cluster.local';

export type PortProtocol = 'TCP' | 'UDP' | 'SCTP';

export interface EntryTarget {
  readonly ip: string;
  readonly port: number;
}

export interface EntryPort {
  /** '' for a Service's single unnamed port. */
  readonly name: string;
  readonly protocol: PortProtocol;
  readonly port: number;
  readonly nodePort?: number;
  /** Ready endpoints (or every endpoint with publishNotReadyAddresses), each once, in address order. */
  readonly targets: readonly EntryTarget[];
}

export interface EntryEndpoint {
  readonly ip: string;
  readonly hostname?: string;
  readonly ready: boolean;
}

/** One Service as the nodes see it. */
export interface ServiceEntry {
  readonly namespace: string;
  readonly name: string;
  /** The Service's cluster IPs; none for a headless or ExternalName Service. */
  readonly clusterIPs: readonly string[];
  readonly externalName?: string;
  readonly publishNotReadyAddresses?: boolean;
  readonly ports: readonly EntryPort[];
  /** Every endpoint of its slices, for DNS (a headless Service's names, readiness). */
  readonly endpoints: readonly EntryEndpoint[];
}

/** What a node of one cluster is told: the cluster's DNS address and its services. */
export interface ServiceTable {
  /** The cluster's uid (src/api/kube KubeClusterRef.uid). */
  readonly cluster: string;
  /** The `kube-dns` Service's address (the 10th of the service range) and the cluster domain. */
  readonly dns: { readonly ip: string; readonly domain: string };
  readonly entries: readonly ServiceEntry[];
}

export interface TableDelta {
  readonly put: readonly ServiceEntry[];
  /** Keys (`<ns>/<name>`) of entries gone. */
  readonly remove: readonly string[];
}

/** What a node is sent: a whole table (null: it is a node of no served cluster), or a change from version `from`. */
export type TableUpdate =
  | { readonly kind: 'full'; readonly version: number; readonly table: ServiceTable | null }
  | ({ readonly kind: 'delta'; readonly from: number; readonly version: number } & TableDelta);

/** The fields of a Service the table reads (core/v1). */
export interface ServiceObject {
  readonly metadata: { readonly namespace?: string; readonly name?: string; readonly deletionTimestamp?: string };
  readonly spec?: {
    readonly type?: string;
    readonly clusterIP?: string;
    readonly clusterIPs?: readonly string[];
    readonly externalName?: string;
    readonly publishNotReadyAddresses?: boolean;
    readonly ports?: readonly { readonly name?: string; readonly protocol?: string; readonly port: number; readonly nodePort?: number }[];
  };
}

/** The fields of an EndpointSlice the table reads (discovery.k8s.io/v1). */
export interface SliceObject {
  readonly metadata: { readonly namespace?: string; readonly name?: string; readonly labels?: Readonly<Record<string, string>> };
  readonly addressType?: string;
  readonly endpoints?: readonly {
    readonly addresses?: readonly string[];
    readonly hostname?: string;
    readonly conditions?: { readonly ready?: boolean; readonly serving?: boolean; readonly terminating?: boolean };
  }[] | null;
  readonly ports?: readonly { readonly name?: string; readonly protocol?: string; readonly port?: number }[] | null;
}

/** The label tying a slice to its Service (discovery.k8s.io/v1). */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export const entryKey = (e: { readonly namespace: string; readonly name: string }): string => `${e.namespace}/${e.name}`;

const protocolOf = (p: string | undefined): PortProtocol => (p === 'UDP' || p === 'SCTP' ? p : 'TCP');
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The table's entries: one per Service (sorted by key), at most MAX_TABLE_SERVICES. A
 * Service being deleted is still served until it is gone, as kube-proxy serves it.
 */
export function serviceTable(services: readonly ServiceObject[], slices: readonly SliceObject[]): ServiceEntry[] {
  const slicesOf = new Map<string, SliceObject[]>();
  for (const s of slices) {
    const service = s.metadata.labels?.[SERVICE_NAME_LABEL];
    // IPv4 only: Berth's tasks and cluster IPs are IPv4 (FQDN slices are not endpoints a node forwards to).
    if (service === undefined || (s.addressType ?? 'IPv4') !== 'IPv4') continue;
    const key = `${s.metadata.namespace ?? ''}/${service}`;
    let list = slicesOf.get(key);
    if (!list) slicesOf.set(key, (list = []));
    list.push(s);
  }
  const out: ServiceEntry[] = [];
  for (const svc of services) {
    const { namespace, name } = svc.metadata;
    if (namespace === undefined || name === undefined) continue;
    out.push(entryOf(svc, namespace, name, slicesOf.get(`${namespace}/${name}`) ?? []));
  }
  out.sort((a, b) => byText(entryKey(a), entryKey(b)));
  return out.slice(0, MAX_TABLE_SERVICES);
}

function entryOf(svc: ServiceObject, namespace: string, name: string, slices: readonly SliceObject[]): ServiceEntry {
  const spec = svc.spec ?? {};
  const external = spec.type === 'ExternalName';
  const ips = external ? [] : (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter((ip) => ip !== '' && ip !== 'None');
  const publishNotReady = spec.publishNotReadyAddresses === true;
  // Endpoint readiness: a nil `ready` is ready (discovery.k8s.io/v1's rule for consumers).
  const endpoints = new Map<string, EntryEndpoint>();
  for (const s of slices) {
    for (const e of s.endpoints ?? []) {
      const ready = e.conditions?.ready !== false;
      for (const ip of e.addresses ?? []) {
        const had = endpoints.get(ip);
        endpoints.set(ip, { ip, ...(e.hostname !== undefined && { hostname: e.hostname }), ready: ready || had?.ready === true });
      }
    }
  }
  const ports: EntryPort[] = (spec.ports ?? []).map((p) => {
    const portName = p.name ?? '';
    const protocol = protocolOf(p.protocol);
    const targets = new Map<string, EntryTarget>();
    for (const s of slices) {
      const sp = (s.ports ?? []).find((x) => (x.name ?? '') === portName && protocolOf(x.protocol) === protocol);
      if (sp?.port === undefined) continue;
      for (const e of s.endpoints ?? []) {
        if (e.conditions?.ready === false && !publishNotReady) continue;
        for (const ip of e.addresses ?? []) targets.set(`${ip}:${sp.port}`, { ip, port: sp.port });
      }
    }
    return {
      name: portName, protocol, port: p.port,
      ...(p.nodePort !== undefined && !external && { nodePort: p.nodePort }),
      targets: [...targets.values()].sort((a, b) => byText(`${a.ip}:${a.port}`, `${b.ip}:${b.port}`)),
    };
  });
  return {
    namespace, name, clusterIPs: ips,
    ...(external && spec.externalName !== undefined && { externalName: spec.externalName }),
    ...(publishNotReady && { publishNotReadyAddresses: true }),
    ports,
    endpoints: [...endpoints.values()].sort((a, b) => byText(a.ip, b.ip)),
  };
}

/** What changed between two tables' entries (both sorted or not): entries to put whole, keys to remove. */
export function diffTable(before: readonly ServiceEntry[], after: readonly ServiceEntry[]): TableDelta {
  const old = new Map(before.map((e) => [entryKey(e), JSON.stringify(e)]));
  const put: ServiceEntry[] = [];
  const seen = new Set<string>();
  for (const e of after) {
    const key = entryKey(e);
    seen.add(key);
    if (old.get(key) !== JSON.stringify(e)) put.push(e);
  }
  const remove = [...old.keys()].filter((k) => !seen.has(k));
  return { put, remove };
}

/** `entries` with `delta` applied (the agent's side of a delta). */
export function applyDelta(entries: readonly ServiceEntry[], delta: TableDelta): ServiceEntry[] {
  const byKey = new Map(entries.map((e) => [entryKey(e), e]));
  for (const k of delta.remove) byKey.delete(k);
  for (const e of delta.put) byKey.set(entryKey(e), e);
  return [...byKey.values()].sort((a, b) => byText(entryKey(a), entryKey(b)));
}
