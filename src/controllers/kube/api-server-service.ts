/**
 * The `kubernetes` Service of the `default` namespace, pure: what the API server keeps for
 * itself so pods find it (`kubernetes.default.svc`): a ClusterIP Service at the first address
 * of the service range, port 443 (`https`) to the API server's port, with no selector, and
 * its Endpoints and EndpointSlice (`kubernetes`) naming where pods reach the API server (its
 * in-cluster address: src/api/kube/README.md, "From inside pods"). Created when missing; the
 * endpoints rewritten when that address changes (a cluster served before had loopback there).
 */
import { jsonEqual, type WorkloadAction } from './workload-actions.ts';
import type { ObjectMeta } from './workload-objects.ts';
import { SERVICE_NAME_LABEL } from './endpoints.ts';
import { MASTER_SERVICE_PORT } from '../../core/kube/pod/service-env.ts';

export interface ApiServerEndpoint {
  /** The Service's cluster IP: the first of the cluster's service range. */
  readonly clusterIP: string;
  /** Where pods reach the API server (an IP address) and its port. */
  readonly ip: string;
  readonly port: number;
}

type Existing = { metadata: ObjectMeta; [field: string]: unknown } | undefined;

export function reconcileApiServerService(api: ApiServerEndpoint, service: Existing, endpoints: Existing, slice: Existing): WorkloadAction[] {
  const actions: WorkloadAction[] = [];
  const ns = 'default';
  const name = 'kubernetes';
  if (!service) {
    actions.push({ type: 'create', resource: 'services', namespace: ns, object: {
      apiVersion: 'v1', kind: 'Service',
      metadata: { name, namespace: ns, labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { type: 'ClusterIP', clusterIP: api.clusterIP, clusterIPs: [api.clusterIP], sessionAffinity: 'None', ports: [{ name: 'https', port: MASTER_SERVICE_PORT, protocol: 'TCP', targetPort: api.port }] },
    } });
  }
  const subsets = [{ addresses: [{ ip: api.ip }], ports: [{ name: 'https', port: api.port, protocol: 'TCP' }] }];
  if (!endpoints) {
    actions.push({ type: 'create', resource: 'endpoints', namespace: ns, object: { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace: ns, labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } }, subsets } });
  } else if (!jsonEqual(endpoints.subsets, subsets)) {
    actions.push({ type: 'update', resource: 'endpoints', namespace: ns, name, resourceVersion: endpoints.metadata.resourceVersion!, object: { ...endpoints, subsets } });
  }
  const sliceBody = {
    addressType: 'IPv4',
    endpoints: [{ addresses: [api.ip], conditions: { ready: true } }],
    ports: [{ name: 'https', port: api.port, protocol: 'TCP' }],
  };
  if (!slice) {
    actions.push({ type: 'create', resource: 'endpointslices', namespace: ns, object: {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name, namespace: ns, labels: { [SERVICE_NAME_LABEL]: name } }, ...sliceBody,
    } });
  } else if (!jsonEqual({ addressType: slice.addressType, endpoints: slice.endpoints, ports: slice.ports }, sliceBody)) {
    actions.push({ type: 'update', resource: 'endpointslices', namespace: ns, name, resourceVersion: slice.metadata.resourceVersion!, object: { ...slice, ...sliceBody } });
  }
  return actions;
}
