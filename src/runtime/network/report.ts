/**
 * What ECS reports about a task's network, derived from its record: networkBindings per
 * container, and for awsvpc the ENI attachment and per-container network interfaces. Pure.
 */
import type { NetworkConfig } from './config.ts';
import { netnsPath } from './link-plan.ts';
import type { TaskRecord } from './state.ts';
import type { ContainerNetwork, EniAttachment, NetworkBinding, TaskNetwork } from './types.ts';

/** ECS reports host ports as bound on every address. */
const BIND_ALL = '0.0.0.0';
/** AWS names the us-east-1 private DNS zone differently from every other region. */
const US_EAST_1_ZONE = 'ec2.internal';

export interface EniFacts {
  readonly attachmentId: string;
  readonly eniId: string;
  readonly subnetId: string;
  readonly macAddress: string;
  readonly privateIPv4Address: string;
  readonly region: string;
}

/** `ip-10-0-1-23.ec2.internal` in us-east-1, `ip-10-0-1-23.<region>.compute.internal` elsewhere. */
export function privateDnsName(ip: string, region: string): string {
  const zone = region === 'us-east-1' ? US_EAST_1_ZONE : `${region}.compute.internal`;
  return `ip-${ip.replaceAll('.', '-')}.${zone}`;
}

/** The ECS `ElasticNetworkInterface` attachment of an awsvpc task. */
export function eniAttachment(f: EniFacts): EniAttachment {
  return {
    id: f.attachmentId,
    type: 'ElasticNetworkInterface',
    status: 'ATTACHED',
    details: [
      { name: 'subnetId', value: f.subnetId },
      { name: 'networkInterfaceId', value: f.eniId },
      { name: 'macAddress', value: f.macAddress },
      { name: 'privateDnsName', value: privateDnsName(f.privateIPv4Address, f.region) },
      { name: 'privateIPv4Address', value: f.privateIPv4Address },
    ],
  };
}

export function taskNetwork(config: NetworkConfig, r: TaskRecord): TaskNetwork {
  const shared = r.endpoints.length === 1 ? r.endpoints[0] : undefined;
  const vpcEndpoint = r.mode === 'awsvpc' ? shared : undefined;
  const eni = r.eni && vpcEndpoint?.ip && vpcEndpoint.mac
    ? eniAttachment({ ...r.eni, subnetId: config.vpc.subnetId, macAddress: vpcEndpoint.mac, privateIPv4Address: vpcEndpoint.ip, region: config.vpc.region })
    : undefined;
  const containers: ContainerNetwork[] = r.containers.map((name) => {
    const e = r.endpoints.find((x) => x.containers.includes(name));
    // awsvpc containers report no host bindings: they are reached on the task's own address.
    const networkBindings: NetworkBinding[] = r.mode === 'awsvpc' ? [] : r.ports
      .filter((p) => p.containerName === name)
      .map((p) => ({ bindIP: BIND_ALL, containerPort: p.containerPort, hostPort: p.hostPort, protocol: p.protocol }));
    return {
      name,
      ...(e && { netnsPath: netnsPath(e.netns) }),
      ...(e?.ip !== undefined && { ip: e.ip }),
      ...(e?.hostVeth !== undefined && { hostVeth: e.hostVeth }),
      networkBindings,
      networkInterfaces: r.eni && vpcEndpoint?.ip ? [{ attachmentId: r.eni.attachmentId, privateIpv4Address: vpcEndpoint.ip }] : [],
    };
  });
  return {
    taskId: r.taskId,
    mode: r.mode,
    hostNetwork: r.mode === 'host',
    ...(shared && { netnsPath: netnsPath(shared.netns) }),
    ...(shared?.ip !== undefined && { ip: shared.ip }),
    containers,
    ...(eni && { eniAttachment: eni }),
  };
}
