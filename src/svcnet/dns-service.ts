/**
 * The cluster DNS as pods and the API see it: the `kube-dns` Service of `kube-system` at the
 * 10th address of the service range (10.100.0.10 on EKS's default 10.100.0.0/16), which every
 * node answers itself (node-dns.ts) instead of CoreDNS pods; and what a pod's resolv.conf
 * gets (`clusterDnsFor`: the pods backend passes it to podToTaskSpec as `clusterDns`; the
 * search path `<ns>.svc.cluster.local svc.cluster.local cluster.local` is podLinux's).
 */
import type { KubeControllerDeps } from '../api/kube/server.ts';
import type { KindInfo } from '../api/kube/kinds.ts';
import type { Obj } from '../api/kube/kind-rules.ts';
import { StatusError } from '../api/kube/status.ts';
import { apiServerIP, dnsServiceIP, parseRange } from '../core/kube/service-ips.ts';
import { MASTER_SERVICE_PORT, type MasterService } from '../core/kube/pod/service-env.ts';
import { CLUSTER_DOMAIN } from './table.ts';

/** EKS's service range when the cluster names none (kubernetesNetworkConfig.serviceIpv4Cidr's default). */
export const EKS_DEFAULT_SERVICE_CIDR = '10.100.0.0/16';
export const DNS_SERVICE_NAMESPACE = 'kube-system';
export const DNS_SERVICE_NAME = 'kube-dns';
// Pods' resolver options (ndots:5) are made with the pod's spec: core/kube/pod/containers.ts.
export { POD_DNS_NDOTS } from '../core/kube/pod/containers.ts';
/** The manager the Service's create is recorded under. */
const FIELD_MANAGER = 'berth-cluster-dns';

/** What podToTaskSpec's `clusterDns` takes (src/core/kube/pod/containers.ts ClusterDns), for a cluster's service range. */
export function clusterDnsFor(serviceIpv4Cidr: string | undefined): { server: string; domain: string } {
  return { server: dnsServiceIP(parseRange(serviceIpv4Cidr ?? EKS_DEFAULT_SERVICE_CIDR)), domain: CLUSTER_DOMAIN };
}

/** The `kubernetes` Service as pods' env names it (core/kube/pod/service-env.ts), for a cluster's service range. */
export function masterServiceFor(serviceIpv4Cidr: string | undefined): MasterService {
  return { clusterIP: apiServerIP(parseRange(serviceIpv4Cidr ?? EKS_DEFAULT_SERVICE_CIDR)), port: MASTER_SERVICE_PORT };
}

/**
 * The `kube-dns` Service as EKS's CoreDNS add-on has it (labels, ports `dns` 53/UDP and
 * `dns-tcp` 53/TCP), without a selector: no pods serve it, every node does.
 */
export function dnsServiceObject(clusterIP: string): Obj {
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: {
      name: DNS_SERVICE_NAME, namespace: DNS_SERVICE_NAMESPACE,
      labels: { 'eks.amazonaws.com/component': 'kube-dns', 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
    },
    spec: {
      type: 'ClusterIP', clusterIP, clusterIPs: [clusterIP], sessionAffinity: 'None',
      ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 }, { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 }],
    },
  } as unknown as Obj;
}

/** Creates the `kube-dns` Service unless it exists (409: someone made it; kept as it is). */
export async function ensureDnsService(deps: Pick<KubeControllerDeps, 'backends'>, servicesKind: KindInfo, clusterIP: string): Promise<void> {
  try {
    await deps.backends.for(servicesKind).create(servicesKind, DNS_SERVICE_NAMESPACE, dnsServiceObject(clusterIP), { dryRun: false, fieldManager: FIELD_MANAGER });
  } catch (err) {
    if (err instanceof StatusError && err.code === 409) return;
    throw err;
  }
}
