/**
 * A container's spec (src/core/workload/spec.ts) as the OCI spec builder reads it
 * (src/runtime/container/spec-input.ts ContainerFields, which keeps the ECS names). Pure.
 */
import type { ContainerSpec } from '../core/workload/spec.ts';
import type { ContainerFields } from '../runtime/container/spec-input.ts';
import type { EnvVar } from './env-files.ts';

/** The runtime's fields of a container, `environment` being its final environment (files and the agent's own variables merged in). */
export function runtimeFields(c: ContainerSpec, environment: readonly EnvVar[]): ContainerFields {
  const { ulimits, sysctls, labels, hostname, extraHosts, dnsServers, dnsSearchDomains, dnsOptions, disableNetworking, ...linuxParameters } = c.linux ?? {};
  const s = c.security ?? {};
  const lp = { ...linuxParameters, ...(s.capabilities !== undefined && { capabilities: s.capabilities }) };
  return defined({
    entryPoint: c.entrypoint,
    command: c.command,
    environment,
    workingDirectory: c.workingDir,
    user: s.user,
    cpu: c.resources.cpu,
    cpuLimit: c.resources.cpuLimit,
    memory: c.resources.memory,
    memoryReservation: c.resources.memoryReservation,
    readonlyRootFilesystem: s.readOnlyRootFilesystem,
    privileged: s.privileged,
    disableNetworking,
    linuxParameters: Object.keys(lp).length > 0 ? lp : undefined,
    ulimits,
    hostname,
    extraHosts,
    dnsServers,
    dnsSearchDomains,
    dnsOptions,
    dockerLabels: labels,
    dockerSecurityOptions: s.securityOptions,
    systemControls: sysctls,
    pseudoTerminal: c.tty,
    interactive: c.stdin,
    stdinOnce: c.stdinOnce,
  });
}

function defined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
