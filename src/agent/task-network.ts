/** Pure: a container's network setting and the task's hostname, from the task's network. */

import type { NetworkSetting } from '../runtime/container/index.ts';
import type { TaskNetwork } from '../runtime/network/types.ts';
import type { TaskSpec } from '../core/workload/spec.ts';

export function containerNetwork(net: TaskNetwork | undefined, name: string): NetworkSetting {
  if (!net || net.hostNetwork) return { mode: 'host' };
  const path = net.containers.find((c) => c.name === name)?.netnsPath ?? net.netnsPath;
  if (!path) return { mode: 'none' };
  return { mode: 'namespace', path, ...(net.ip && { addresses: [net.ip] }) };
}

/** awsvpc: `ip-10-0-0-5`, as on AWS; else the task id's first 12 characters. */
export function taskHostname(spec: Pick<TaskSpec, 'network'>, net: TaskNetwork | undefined, taskId: string): string {
  const ip = net?.ip;
  return spec.network.mode === 'awsvpc' && ip ? `ip-${ip.replace(/\./g, '-')}` : taskId.slice(0, 12);
}

/** Where the agent reaches a container's ports (its probes): its own address, the task's, or localhost in host mode. */
export function probeAddress(net: TaskNetwork | undefined, name: string): string {
  if (!net || net.hostNetwork) return '127.0.0.1';
  return net.containers.find((c) => c.name === name)?.ip ?? net.ip ?? '127.0.0.1';
}
