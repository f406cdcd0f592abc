/**
 * The `kubernetes` Service's environment variables, as the kubelet gives every container
 * (kubelet_pods.go getServiceEnvVarMap: the master service of the `default` namespace is
 * always included, even with `enableServiceLinks: false`). In-cluster clients find the API
 * server by them: client-go's rest.InClusterConfig and @kubernetes/client-node's
 * loadFromCluster read KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT. They rank
 * below what the container sets itself, and `$(VAR)` in its env can read them. Pure.
 *
 * Not yet: the variables of the pod's own namespace's other Services (enableServiceLinks).
 */

/** The `kubernetes` Service as pods see it: its cluster IP and its one port, `https` 443/TCP. */
export interface MasterService {
  clusterIP: string;
  port: number;
}

/** The port the `kubernetes` Service exposes, as kube-apiserver's master service has it. */
export const MASTER_SERVICE_PORT = 443;

/** The Docker-links-style variables of the `kubernetes` Service, in the kubelet's names. */
export function masterServiceEnv(s: MasterService): { name: string; value: string }[] {
  const url = `tcp://${s.clusterIP}:${s.port}`;
  const prefix = `KUBERNETES_PORT_${s.port}_TCP`;
  return [
    { name: 'KUBERNETES_SERVICE_HOST', value: s.clusterIP },
    { name: 'KUBERNETES_SERVICE_PORT', value: String(s.port) },
    { name: 'KUBERNETES_SERVICE_PORT_HTTPS', value: String(s.port) },
    { name: 'KUBERNETES_PORT', value: url },
    { name: prefix, value: url },
    { name: `${prefix}_PROTO`, value: 'tcp' },
    { name: `${prefix}_PORT`, value: String(s.port) },
    { name: `${prefix}_ADDR`, value: s.clusterIP },
  ];
}
