/**
 * Record builders for the cluster state's tests (and the placer's): stored shapes with
 * only what matters to the case spelled out.
 */
import { newCluster } from '../core/ecs/cluster.ts';
import { newContainerInstance, normaliseResources } from '../core/ecs/container-instance.ts';
import { keys } from '../core/ecs/keys.ts';
import { ecsArn, type Scope } from '../core/ecs/scope.ts';
import type { Op } from '../store/store.ts';
import type { StoredInstance, StoredTask } from './summary.ts';

export const SCOPE: Scope = { account: '123456789012', region: 'us-east-1' };

export function putOp(key: string, value: unknown): Op {
  return { type: 'put', key, value: JSON.stringify(value) };
}

export function clusterOp(name: string, scope: Scope = SCOPE): Op {
  return putOp(keys.cluster(scope, name), newCluster(scope, { clusterName: name, tags: [], settings: [] }, 1_700_000_000));
}

export function instanceRecord(cluster: string, id: string, o: { cpu?: number; memory?: number; ports?: string[]; registeredAt?: number; status?: StoredInstance['status']; connected?: boolean; scope?: Scope; attributes?: { name: string; value?: string }[] } = {}): StoredInstance {
  const scope = o.scope ?? SCOPE;
  const r = newContainerInstance(scope, cluster, id, {
    ec2InstanceId: `i-${id}`,
    resources: normaliseResources([
      { name: 'CPU', type: 'INTEGER', integerValue: o.cpu ?? 2048 },
      { name: 'MEMORY', type: 'INTEGER', integerValue: o.memory ?? 4096 },
      { name: 'PORTS', type: 'STRINGSET', stringSetValue: o.ports ?? [] },
    ]),
    attributes: [{ name: 'ecs.availability-zone', value: 'us-east-1a' }, ...(o.attributes ?? [])],
    tags: [],
  }, o.registeredAt ?? 1_700_000_000);
  return { ...r, status: o.status ?? 'ACTIVE', agentConnected: o.connected ?? true };
}

export function instanceOp(cluster: string, id: string, o: Parameters<typeof instanceRecord>[2] = {}): Op {
  return putOp(keys.containerInstance(o.scope ?? SCOPE, cluster, id), instanceRecord(cluster, id, o));
}

export function taskRecord(cluster: string, id: string, o: {
  instance?: string; cpu?: number; memory?: number; ports?: string[]; lastStatus?: StoredTask['lastStatus'];
  desiredStatus?: StoredTask['desiredStatus']; group?: string; startedBy?: string; family?: string; awsvpc?: boolean; scope?: Scope;
  launchType?: StoredTask['launchType'];
} = {}): StoredTask {
  const scope = o.scope ?? SCOPE;
  const family = o.family ?? 'web';
  return {
    taskArn: ecsArn(scope, `task/${cluster}/${id}`),
    clusterArn: ecsArn(scope, `cluster/${cluster}`),
    taskDefinitionArn: ecsArn(scope, `task-definition/${family}:1`),
    ...(o.instance !== undefined && { containerInstanceArn: ecsArn(scope, `container-instance/${cluster}/${o.instance}`) }),
    overrides: {},
    lastStatus: o.lastStatus ?? 'PENDING',
    desiredStatus: o.desiredStatus ?? 'RUNNING',
    cpu: String(o.cpu ?? 256),
    memory: String(o.memory ?? 512),
    containers: [],
    ...(o.startedBy !== undefined && { startedBy: o.startedBy }),
    version: 1,
    createdAt: 1_700_000_000,
    group: o.group ?? `family:${family}`,
    launchType: o.launchType ?? 'EC2',
    attachments: [],
    healthStatus: 'UNKNOWN',
    tags: [],
    enableExecuteCommand: false,
    networkMode: o.awsvpc ? 'awsvpc' : 'bridge',
    reservedPorts: o.ports ?? [],
  };
}

export function taskOp(cluster: string, id: string, o: Parameters<typeof taskRecord>[2] = {}): Op {
  return putOp(keys.task(o.scope ?? SCOPE, cluster, id), taskRecord(cluster, id, o));
}
