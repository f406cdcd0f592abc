/**
 * The endpoints of a Service, pure: which pods it selects, at which address and port, and
 * whether each is ready — as EndpointSlices (discovery.k8s.io/v1, what kube-proxy, DNS and
 * `kubectl describe svc` read) and as the legacy core/v1 Endpoints (`kubectl get endpoints`).
 * A Service without a selector is left to its owner, as the API server's controllers leave it.
 */
import { controllerRef, selects, type ObjectMeta, type Pod } from './workload-objects.ts';
import { jsonEqual, type WorkloadAction } from './workload-actions.ts';

export interface ServicePort {
  name?: string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  port: number;
  /** A number, or the name of a container port in each pod. Defaults to `port`. */
  targetPort?: number | string;
}

export interface Service {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: { selector?: Record<string, string>; ports?: ServicePort[]; publishNotReadyAddresses?: boolean; clusterIP?: string; type?: string };
}

export interface EndpointSlice {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  addressType: 'IPv4';
  endpoints: SliceEndpoint[];
  ports: { name: string; port: number; protocol: string }[];
}

interface SliceEndpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  nodeName?: string;
  hostname?: string;
  targetRef: { kind: 'Pod'; namespace: string; name: string; uid: string };
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
/** Endpoints per slice: the API server controller's default (--max-endpoints-per-slice). */
export const MAX_ENDPOINTS_PER_SLICE = 100;

type ResolvedPort = { name: string; port: number; protocol: string };

/**
 * Actions that make the Service's EndpointSlices and Endpoints match its pods. `existing` are
 * the slices labelled with its name; `endpoints` its Endpoints object, if any; `suffix()`
 * names a new slice (`<service>-<suffix>`).
 */
export function reconcileEndpoints(service: Service, pods: readonly Pod[], existing: readonly EndpointSlice[],
  endpoints: { metadata: ObjectMeta; subsets?: unknown[] } | undefined, suffix: () => string): WorkloadAction[] {
  const selector = service.spec.selector;
  if (!selector || service.metadata.deletionTimestamp !== undefined) return [];
  const ns = service.metadata.namespace!;
  const name = service.metadata.name!;
  const selected = pods.filter((p) => p.metadata.deletionTimestamp === undefined && selects({ matchLabels: selector }, p.metadata.labels)
    && typeof p.status?.podIP === 'string' && p.status.phase !== 'Succeeded' && p.status.phase !== 'Failed');

  // Pods whose named target ports resolve alike share a slice (and an Endpoints subset).
  const groups = new Map<string, { ports: ResolvedPort[]; pods: Pod[] }>();
  for (const pod of selected) {
    const ports = (service.spec.ports ?? []).map((sp) => resolvePort(sp, pod)).filter((p): p is ResolvedPort => p !== undefined);
    const key = JSON.stringify(ports);
    const g = groups.get(key) ?? { ports, pods: [] };
    g.pods.push(pod);
    groups.set(key, g);
  }
  const wanted: Omit<EndpointSlice, 'metadata'>[] = [];
  for (const g of groups.values()) {
    const eps = g.pods.map((p) => endpointOf(p, ns)).sort((a, b) => a.targetRef.name.localeCompare(b.targetRef.name));
    for (let i = 0; i < eps.length; i += MAX_ENDPOINTS_PER_SLICE) {
      wanted.push({ addressType: 'IPv4', endpoints: eps.slice(i, i + MAX_ENDPOINTS_PER_SLICE), ports: g.ports });
    }
  }
  // A Service with no endpoints still has one (empty) slice, as the controller keeps one.
  if (wanted.length === 0) wanted.push({ addressType: 'IPv4', endpoints: [], ports: [] });

  const actions: WorkloadAction[] = [];
  const mine = existing.filter((s) => s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY).sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
  wanted.forEach((w, i) => {
    const have = mine[i];
    if (!have) {
      actions.push({ type: 'create', resource: 'endpointslices', namespace: ns, object: {
        apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
        metadata: { name: `${name}-${suffix()}`, generateName: `${name}-`, namespace: ns,
          labels: { [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: MANAGED_BY },
          ownerReferences: [controllerRef(service, 'v1', 'Service')] },
        ...w,
      } });
    } else if (!jsonEqual({ addressType: have.addressType, endpoints: have.endpoints, ports: have.ports }, w)) {
      actions.push({ type: 'update', resource: 'endpointslices', namespace: ns, name: have.metadata.name!, resourceVersion: have.metadata.resourceVersion!, object: { ...have, ...w } });
    }
  });
  for (const extra of mine.slice(wanted.length)) {
    actions.push({ type: 'delete', resource: 'endpointslices', namespace: ns, name: extra.metadata.name!, uid: extra.metadata.uid! });
  }

  const subsets = [...groups.values()].map((g) => {
    const address = (p: Pod) => ({ ip: p.status!.podIP as string, ...(p.spec?.nodeName && { nodeName: p.spec.nodeName }), targetRef: { kind: 'Pod', namespace: ns, name: p.metadata.name!, uid: p.metadata.uid! } });
    const ready = g.pods.filter((p) => isReady(p) || service.spec.publishNotReadyAddresses === true);
    const notReady = g.pods.filter((p) => !ready.includes(p));
    return {
      ...(ready.length > 0 && { addresses: ready.map(address) }),
      ...(notReady.length > 0 && { notReadyAddresses: notReady.map(address) }),
      ports: g.ports,
    };
  }).filter((s) => s.ports.length > 0);
  if (!endpoints) {
    actions.push({ type: 'create', resource: 'endpoints', namespace: ns, object: {
      apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace: ns, labels: { ...service.metadata.labels } }, ...(subsets.length > 0 && { subsets }),
    } });
  } else if (!jsonEqual(endpoints.subsets ?? [], subsets)) {
    // No subsets at all is no field at all, as the server serializes an empty list (omitempty).
    const { subsets: _old, ...rest } = endpoints;
    actions.push({ type: 'update', resource: 'endpoints', namespace: ns, name, resourceVersion: endpoints.metadata.resourceVersion!, object: subsets.length > 0 ? { ...rest, subsets } : rest });
  }
  return actions;
}

function isReady(p: Pod): boolean {
  return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

function endpointOf(p: Pod, ns: string): SliceEndpoint {
  const ready = isReady(p);
  const hostname = typeof p.spec?.hostname === 'string' && typeof p.spec.subdomain === 'string' ? p.spec.hostname : undefined;
  return {
    addresses: [p.status!.podIP as string],
    conditions: { ready, serving: ready, terminating: false },
    ...(p.spec?.nodeName && { nodeName: p.spec.nodeName }),
    ...(hostname !== undefined && { hostname }),
    targetRef: { kind: 'Pod', namespace: ns, name: p.metadata.name!, uid: p.metadata.uid! },
  };
}

/** A Service port's target on one pod: its number, or the pod's container port of that name (none: the pod is not an endpoint for it). */
function resolvePort(sp: ServicePort, pod: Pod): ResolvedPort | undefined {
  const protocol = sp.protocol ?? 'TCP';
  const target = sp.targetPort ?? sp.port;
  let port: number | undefined = typeof target === 'number' ? target : undefined;
  if (typeof target === 'string') {
    const containers = (pod.spec?.containers as { ports?: { name?: string; containerPort: number; protocol?: string }[] }[] | undefined) ?? [];
    port = containers.flatMap((c) => c.ports ?? []).find((p) => p.name === target && (p.protocol ?? 'TCP') === protocol)?.containerPort;
  }
  return port === undefined ? undefined : { name: sp.name ?? '', port, protocol };
}
