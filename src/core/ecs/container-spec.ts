/**
 * ECS container definitions (a run's overrides applied) as the workload model's neutral
 * ContainerSpec (src/core/workload/spec.ts), which is what the agent runs. Pure. Every
 * field the agent or its runtime read is carried over as given, so a task runs exactly as
 * it did when the agent read the definitions themselves; `volumesFrom` is resolved here
 * into plain mounts, so the agent knows volumes and mounts only.
 */
import type { ContainerSpec, HealthCheckSpec, LinuxSettings, MountSpec, PortSpec, SecurityContext, VolumeSpec } from '../workload/spec.ts';
import { HEALTH_CHECK, type ContainerDefinition } from './task-definition.ts';

/** ECS's restartAttemptPeriod when a restart policy gives none (ContainerRestartPolicy: "By default … 300 seconds"). */
export const ECS_RESTART_ATTEMPT_PERIOD_SECONDS = 300;

type Def = ContainerDefinition;
type Mount = { sourceVolume?: string; containerPath?: string; readOnly?: boolean };

/** A definition's volumes: a host `sourcePath` is bound as it is; any other is a task directory (efs and docker volumes included, as Berth runs them). */
export function volumeSpecs(volumes: readonly Record<string, unknown>[] | undefined): VolumeSpec[] {
  return (volumes ?? []).map((v) => {
    const name = typeof v.name === 'string' ? v.name : '';
    const path = (v.host as { sourcePath?: string } | undefined)?.sourcePath;
    return path !== undefined ? { name, hostPath: { path } } : { name, scratch: {} };
  });
}

/** The containers of a definition, overrides applied (task.ts effectiveContainers), as specs. */
export function containerSpecs(defs: readonly Def[]): ContainerSpec[] {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const mountsOf = (d: Def | undefined, readOnlyAll: boolean): MountSpec[] =>
    ((d?.mountPoints ?? []) as Mount[]).map((m) => ({ volume: m.sourceVolume ?? 'unnamed', path: m.containerPath!, readOnly: readOnlyAll || m.readOnly === true }));
  return defs.map((d) => {
    // volumesFrom: the named containers' own mount points, read-only when asked (Docker's rule).
    const inherited = (d.volumesFrom ?? []).flatMap((v) => mountsOf(byName.get(v.sourceContainer!), v.readOnly === true));
    return containerSpecOf(d, [...mountsOf(d, false), ...inherited]);
  });
}

function containerSpecOf(d: Def, mounts: MountSpec[]): ContainerSpec {
  const security: SecurityContext = defined({
    user: d.user as string | undefined,
    privileged: d.privileged,
    readOnlyRootFilesystem: d.readonlyRootFilesystem as boolean | undefined,
    capabilities: (d.linuxParameters as { capabilities?: SecurityContext['capabilities'] } | undefined)?.capabilities,
    securityOptions: d.dockerSecurityOptions as string[] | undefined,
  });
  const { capabilities: _caps, ...lp } = (d.linuxParameters ?? {}) as Record<string, unknown>;
  const linux: LinuxSettings = defined({
    ...(lp as Omit<LinuxSettings, 'ulimits' | 'sysctls' | 'labels' | 'hostname' | 'extraHosts' | 'dnsServers' | 'dnsSearchDomains' | 'disableNetworking'>),
    ulimits: d.ulimits as LinuxSettings['ulimits'],
    sysctls: d.systemControls as LinuxSettings['sysctls'],
    labels: d.dockerLabels as Record<string, string> | undefined,
    hostname: d.hostname as string | undefined,
    extraHosts: d.extraHosts as LinuxSettings['extraHosts'],
    dnsServers: d.dnsServers as string[] | undefined,
    dnsSearchDomains: d.dnsSearchDomains as string[] | undefined,
    disableNetworking: d.disableNetworking as boolean | undefined,
  });
  const log = d.logConfiguration as { logDriver?: string; options?: Record<string, string> } | undefined;
  const restart = d.restartPolicy as { enabled?: boolean; ignoredExitCodes?: number[]; restartAttemptPeriod?: number } | undefined;
  return {
    name: d.name,
    image: d.image,
    essential: d.essential !== false,
    ...(d.entryPoint !== undefined && { entrypoint: d.entryPoint as string[] }),
    ...(d.command !== undefined && { command: d.command as string[] }),
    ...(d.workingDirectory !== undefined && { workingDir: d.workingDirectory as string }),
    env: ((d.environment ?? []) as { name: string; value: string }[]),
    ...(d.environmentFiles !== undefined && { envFiles: d.environmentFiles as { value: string; type: string }[] }),
    ports: (d.portMappings ?? []).map((p): PortSpec => defined({
      containerPort: p.containerPort, hostPort: p.hostPort, protocol: (p.protocol ?? 'tcp') as 'tcp' | 'udp', name: p.name,
      containerPortRange: p.containerPortRange, appProtocol: p.appProtocol,
    }) as PortSpec),
    resources: defined({ cpu: d.cpu ?? 0, memory: d.memory, memoryReservation: d.memoryReservation }) as ContainerSpec['resources'],
    ...(d.dependsOn !== undefined && { dependsOn: d.dependsOn }),
    ...(d.healthCheck !== undefined && { healthCheck: healthCheckOf(d.healthCheck) }),
    // ECS restarts after any exit but the ignored codes (exit 0 included), so Always, under
    // ECS's attempt period (its presence tells the agent to follow ECS's rules, not the kubelet's).
    ...(restart?.enabled === true && { restart: defined({ policy: 'Always' as const, ignoredExitCodes: restart.ignoredExitCodes, attemptPeriodSeconds: restart.restartAttemptPeriod ?? ECS_RESTART_ATTEMPT_PERIOD_SECONDS }) as ContainerSpec['restart'] }),
    mounts,
    ...(Object.keys(security).length > 0 && { security }),
    ...(Object.keys(linux).length > 0 && { linux }),
    ...(d.stopTimeout !== undefined && { stopTimeout: d.stopTimeout }),
    ...(log?.logDriver !== undefined && { log: { driver: log.logDriver, ...(log.options !== undefined && { options: log.options }) } }),
    ...(d.interactive !== undefined && { stdin: d.interactive as boolean }),
    ...(d.pseudoTerminal !== undefined && { tty: d.pseudoTerminal as boolean }),
  };
}

/** ECS's health check with its defaults (a registered definition has them; a spec always does). */
function healthCheckOf(h: NonNullable<Def['healthCheck']>): HealthCheckSpec {
  return {
    command: h.command,
    interval: h.interval ?? HEALTH_CHECK.interval.dflt,
    timeout: h.timeout ?? HEALTH_CHECK.timeout.dflt,
    retries: h.retries ?? HEALTH_CHECK.retries.dflt,
    startPeriod: h.startPeriod ?? HEALTH_CHECK.startPeriod.dflt,
  };
}

/** The object without its undefined members (the spec is stored as JSON: absent, not undefined). */
function defined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
