/**
 * A pod's containers as the task's ContainerSpecs: init containers first, each waiting for
 * the one before (SUCCESS, or START for a sidecar: an init container with restartPolicy
 * Always), the app containers waiting for the last; `command`/`args` become entrypoint/command
 * with `$(VAR)` expanded; requests and limits in CPU units and MiB; probes with named ports
 * resolved; the pod's security context under the container's. Pure.
 */
import type { UnresolvedRef } from '../../workload/kube.ts';
import type { ContainerSpec, LinuxSettings, ProbeHandler, ProbeSpec, SecurityContext } from '../../workload/spec.ts';
import { containerEnv, expand, type Lookups, type PlacedFacts, type PodFields } from './env.ts';
import { cpuUnits, mebibytes, parseQuantity } from './quantity.ts';
import { masterServiceEnv, type MasterService } from './service-env.ts';
import type { Container, PodSpec, Probe } from './types.ts';

export interface ContainersResult {
  containers: ContainerSpec[];
  unresolved: UnresolvedRef[];
  needsPlacement: boolean;
}

/** A probe's port: a number, or the name of one of the container's ports (0 when no port has it). */
function portOf(port: number | string, c: Container): number {
  if (typeof port === 'number') return port;
  return /^\d+$/.test(port) ? Number(port) : c.ports?.find((p) => p.name === port)?.containerPort ?? 0;
}

function probeSpec(p: Probe | undefined, c: Container): ProbeSpec | undefined {
  if (!p) return undefined;
  let handler: ProbeHandler;
  if (p.exec) handler = { exec: { command: p.exec.command ?? [] } };
  else if (p.httpGet) {
    const h = p.httpGet;
    handler = { httpGet: { path: h.path ?? '/', port: portOf(h.port, c), ...(h.host && { host: h.host }), scheme: h.scheme ?? 'HTTP', headers: (h.httpHeaders ?? []).map((x) => ({ name: x.name, value: x.value })) } };
  } else if (p.tcpSocket) handler = { tcpSocket: { port: portOf(p.tcpSocket.port, c), ...(p.tcpSocket.host && { host: p.tcpSocket.host }) } };
  else handler = { grpc: { port: p.grpc!.port, ...(p.grpc!.service && { service: p.grpc!.service }) } };
  return {
    handler,
    initialDelaySeconds: p.initialDelaySeconds ?? 0,
    periodSeconds: p.periodSeconds ?? 10,
    timeoutSeconds: p.timeoutSeconds ?? 1,
    successThreshold: p.successThreshold ?? 1,
    failureThreshold: p.failureThreshold ?? 3,
    ...(p.terminationGracePeriodSeconds !== undefined && { terminationGracePeriodSeconds: p.terminationGracePeriodSeconds }),
  };
}

function security(spec: PodSpec, c: Container): SecurityContext | undefined {
  const pod = spec.securityContext ?? {};
  const own = c.securityContext ?? {};
  const uid = own.runAsUser ?? pod.runAsUser;
  const gid = own.runAsGroup ?? pod.runAsGroup;
  const out: SecurityContext = {
    ...(uid !== undefined && { user: gid !== undefined ? `${uid}:${gid}` : String(uid) }),
    ...(own.privileged !== undefined && { privileged: own.privileged }),
    ...(own.readOnlyRootFilesystem !== undefined && { readOnlyRootFilesystem: own.readOnlyRootFilesystem }),
    ...(own.capabilities && { capabilities: { ...(own.capabilities.add && { add: own.capabilities.add }), ...(own.capabilities.drop && { drop: own.capabilities.drop }) } }),
  };
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The resolver option the kubelet gives every pod resolving through the cluster DNS: short names try the search path first. */
export const POD_DNS_NDOTS = 5;

/**
 * dnsConfig.options over `base` (`name` or `name:value`), as the kubelet's mergeDNSOptions: by
 * name, the pod's value winning, an option without a value written as its name alone.
 */
function mergeDnsOptions(base: readonly string[], own: readonly { name?: string; value?: string }[]): string[] {
  const byName = new Map<string, string | undefined>();
  for (const o of base) {
    const colon = o.indexOf(':');
    byName.set(colon < 0 ? o : o.slice(0, colon), colon < 0 ? undefined : o.slice(colon + 1));
  }
  for (const o of own) if (o.name) byName.set(o.name, o.value || undefined);
  return [...byName].map(([name, value]) => (value === undefined ? name : `${name}:${value}`));
}

const unique = (list: readonly string[]): string[] => [...new Set(list)];

/**
 * The pod's resolver, as the kubelet's dnsPolicy makes it (pkg/kubelet/network/dns):
 * - ClusterFirst (the default; on the host network only as ClusterFirstWithHostNet): the
 *   cluster DNS, `search <ns>.svc.<domain> svc.<domain> <domain>`, `options ndots:5`;
 *   without a cluster DNS it falls back to Default, as the kubelet does;
 * - Default: the host's resolv.conf (the agent's), dnsConfig's entries in its place;
 * - None: dnsConfig alone (validation requires a nameserver).
 * dnsConfig's nameservers and searches are appended (duplicates dropped), its options merged.
 */
function podDns(spec: PodSpec, clusterDns: ClusterDns | undefined, namespace: string): Pick<LinuxSettings, 'dnsServers' | 'dnsSearchDomains' | 'dnsOptions'> {
  const policy = spec.dnsPolicy ?? 'ClusterFirst';
  const hostNetwork = spec.hostNetwork === true;
  const dnsConfig = spec.dnsConfig ?? {};
  const own = { servers: dnsConfig.nameservers ?? [], searches: dnsConfig.searches ?? [], options: dnsConfig.options ?? [] };
  if (policy === 'None') return { dnsServers: unique(own.servers), dnsSearchDomains: unique(own.searches), dnsOptions: mergeDnsOptions([], own.options) };
  const cluster = clusterDns !== undefined && (policy === 'ClusterFirst' ? !hostNetwork : policy === 'ClusterFirstWithHostNet');
  if (cluster) {
    const d = clusterDns.domain;
    return {
      dnsServers: unique([clusterDns.server, ...own.servers]),
      dnsSearchDomains: unique([`${namespace}.svc.${d}`, `svc.${d}`, d, ...own.searches]),
      dnsOptions: mergeDnsOptions([`ndots:${POD_DNS_NDOTS}`], own.options),
    };
  }
  // Default: the host's, but for what dnsConfig names.
  return {
    ...(own.servers.length > 0 && { dnsServers: unique(own.servers) }),
    ...(own.searches.length > 0 && { dnsSearchDomains: unique(own.searches) }),
    ...(own.options.length > 0 && { dnsOptions: mergeDnsOptions([], own.options) }),
  };
}

/** Linux settings of the pod every container shares: hostname, sysctls, /etc/hosts entries, resolver. */
export function podLinux(spec: PodSpec, podName: string, clusterDns: ClusterDns | undefined, namespace: string): LinuxSettings | undefined {
  const hostNetwork = spec.hostNetwork === true;
  const out: LinuxSettings = {
    ...(!hostNetwork && { hostname: (spec.hostname ?? podName).slice(0, 63) }),
    ...((spec.securityContext?.sysctls ?? []).length > 0 && { sysctls: spec.securityContext!.sysctls!.map((s) => ({ namespace: s.name, value: s.value })) }),
    ...((spec.hostAliases ?? []).length > 0 && { extraHosts: spec.hostAliases!.flatMap((a) => (a.hostnames ?? []).map((hostname) => ({ hostname, ipAddress: a.ip }))) }),
    ...podDns(spec, clusterDns, namespace),
  };
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The cluster's DNS service, for pods whose dnsPolicy resolves through it. */
export interface ClusterDns {
  server: string;
  /** The cluster domain ("cluster.local"). */
  domain: string;
}

export interface ContainerInputs {
  spec: PodSpec;
  pod: PodFields;
  lookups: Lookups;
  placed: PlacedFacts | undefined;
  clusterDns: ClusterDns | undefined;
  /** The `kubernetes` Service, when the cluster has one: every container gets its variables (service-env.ts). */
  masterService?: MasterService | undefined;
}

/** Every container of the pod, init containers first, as the agent runs them. */
export function podContainers(i: ContainerInputs): ContainersResult {
  const { spec } = i;
  const inits = spec.initContainers ?? [];
  const all = [...inits, ...spec.containers];
  const unresolved: UnresolvedRef[] = [];
  let needsPlacement = false;
  const linux = podLinux(spec, i.pod.name, i.clusterDns, i.pod.namespace);
  const services = i.masterService ? masterServiceEnv(i.masterService) : [];
  const last = inits.at(-1);
  const waitFor = (c: Container | undefined) => (c ? [{ containerName: c.name, condition: c.restartPolicy === 'Always' ? 'START' : 'SUCCESS' }] : undefined);
  const containers = all.map((c, n): ContainerSpec => {
    const init = n < inits.length;
    const env = containerEnv(c, all, i.pod, i.lookups, i.placed, services);
    unresolved.push(...env.unresolved);
    needsPlacement ||= env.needsPlacement;
    const vars = new Map(env.env.map((e) => [e.name, e.value]));
    const requests = c.resources?.requests ?? {};
    const limits = c.resources?.limits ?? {};
    const q = (v: unknown) => parseQuantity(v);
    const sidecar = init && c.restartPolicy === 'Always';
    const dependsOn = init ? waitFor(inits[n - 1]) : waitFor(last);
    const probes = {
      ...(c.livenessProbe && { liveness: probeSpec(c.livenessProbe, c)! }),
      ...(c.readinessProbe && { readiness: probeSpec(c.readinessProbe, c)! }),
      ...(c.startupProbe && { startup: probeSpec(c.startupProbe, c)! }),
    };
    const sec = security(spec, c);
    return {
      name: c.name,
      image: c.image ?? '',
      ...(init && { init: true }),
      // A pod ends by its restart policy when its containers have exited, not when one does.
      essential: false,
      ...(c.command && { entrypoint: c.command.map((a) => expand(a, vars)) }),
      ...(c.args && { command: c.args.map((a) => expand(a, vars)) }),
      ...(c.workingDir && { workingDir: c.workingDir }),
      env: env.env,
      ports: (c.ports ?? []).map((p) => ({
        containerPort: p.containerPort,
        ...(p.hostPort ? { hostPort: p.hostPort } : {}),
        protocol: p.protocol === 'UDP' ? 'udp' : 'tcp',
        ...(p.name !== undefined && { name: p.name }),
      })),
      resources: {
        cpu: q(requests.cpu) ? cpuUnits(q(requests.cpu)!) : 0,
        ...(q(limits.cpu) && { cpuLimit: cpuUnits(q(limits.cpu)!) }),
        ...(q(limits.memory) && { memory: mebibytes(q(limits.memory)!) }),
        ...(q(requests.memory) && { memoryReservation: mebibytes(q(requests.memory)!) }),
      },
      ...(dependsOn && { dependsOn }),
      ...(Object.keys(probes).length > 0 && { probes }),
      restart: { policy: sidecar ? 'Always' : init ? (spec.restartPolicy === 'Never' ? 'Never' : 'OnFailure') : spec.restartPolicy ?? 'Always' },
      // subPathExpr is expanded from the container's environment, as the kubelet does.
      mounts: (c.volumeMounts ?? []).map((m) => {
        const subPath = m.subPath || (m.subPathExpr ? expand(m.subPathExpr, vars) : '');
        return { volume: m.name, path: m.mountPath, readOnly: m.readOnly === true, ...(subPath && { subPath }) };
      }),
      ...(sec && { security: sec }),
      ...(linux && { linux }),
      stopTimeout: spec.terminationGracePeriodSeconds ?? 30,
      ...(c.stdin && { stdin: true }),
      ...(c.stdin && c.stdinOnce && { stdinOnce: true }),
      ...(c.tty && { tty: true }),
    };
  });
  return { containers, unresolved, needsPlacement };
}
