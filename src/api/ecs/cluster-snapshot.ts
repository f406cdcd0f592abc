import { containerInstanceView, type ContainerInstanceRecord } from '../../core/ecs/container-instance.ts';
import { keys } from '../../core/ecs/keys.ts';
import type { Scope } from '../../core/ecs/scope.ts';
import type { TaskRecord } from '../../core/ecs/task.ts';
import type { InstanceSnapshot } from '../../scheduler/first-fit.ts';
import type { Store } from '../../store/store.ts';

export interface ClusterSnapshot {
  instances: ContainerInstanceRecord[];
  /** Tasks that are not STOPPED. */
  tasks: TaskRecord[];
}

export async function loadClusterSnapshot(store: Store, scope: Scope, cluster: string): Promise<ClusterSnapshot> {
  const [instances, tasks] = await Promise.all([store.list(keys.containerInstances(scope, cluster)), store.list(keys.tasks(scope, cluster))]);
  return {
    instances: instances.items.map((kv) => JSON.parse(kv.value) as ContainerInstanceRecord),
    tasks: tasks.items.map((kv) => JSON.parse(kv.value) as TaskRecord).filter((t) => t.lastStatus !== 'STOPPED'),
  };
}

/**
 * Each instance's resources left: what it registered less what its unstopped tasks
 * reserve. Derived here rather than stored, so tasks are the one source of truth.
 */
export function usage(instance: ContainerInstanceRecord, tasks: readonly TaskRecord[]): { cpu: number; memory: number; ports: Set<string>; running: number; pending: number } {
  const registered = (name: string) => instance.registeredResources.find((r) => r.name === name);
  let cpu = registered('CPU')?.integerValue ?? 0;
  let memory = registered('MEMORY')?.integerValue ?? 0;
  const ports = new Set<string>([
    ...(registered('PORTS')?.stringSetValue ?? []).map((p) => `${p}/tcp`),
    ...(registered('PORTS_UDP')?.stringSetValue ?? []).map((p) => `${p}/udp`),
  ]);
  let running = 0;
  let pending = 0;
  for (const t of tasks) {
    if (t.containerInstanceArn !== instance.containerInstanceArn) continue;
    cpu -= Number(t.cpu ?? 0);
    memory -= Number(t.memory ?? 0);
    for (const c of t.containers) for (const b of c.networkBindings) ports.add(`${b.hostPort}/${b.protocol}`);
    for (const p of t.reservedPorts ?? []) ports.add(p);
    if (t.lastStatus === 'RUNNING') running++;
    else pending++;
  }
  return { cpu, memory, ports, running, pending };
}

export function instanceSnapshots(snap: ClusterSnapshot): InstanceSnapshot[] {
  return snap.instances.map((i) => {
    const u = usage(i, snap.tasks);
    return {
      arn: i.containerInstanceArn,
      status: i.status,
      agentConnected: i.agentConnected,
      cpu: u.cpu,
      memory: u.memory,
      portsInUse: u.ports,
      attributes: new Set(i.attributes.map((a) => a.name)),
      ...(i.attributes.find((a) => a.name === 'ecs.availability-zone')?.value !== undefined && { availabilityZone: i.attributes.find((a) => a.name === 'ecs.availability-zone')!.value! }),
    };
  });
}

/** The instance as DescribeContainerInstances shows it: counts and remaining resources derived. */
export function instanceView(i: ContainerInstanceRecord, tasks: readonly TaskRecord[]): ContainerInstanceRecord {
  const u = usage(i, tasks);
  return {
    ...containerInstanceView(i),
    runningTasksCount: u.running,
    pendingTasksCount: u.pending,
    remainingResources: i.registeredResources.map((r) =>
      r.name === 'CPU' ? { ...r, integerValue: u.cpu }
        : r.name === 'MEMORY' ? { ...r, integerValue: u.memory }
          : r.name === 'PORTS' ? { ...r, stringSetValue: [...u.ports].filter((p) => p.endsWith('/tcp')).map((p) => p.slice(0, -4)) }
            : r.name === 'PORTS_UDP' ? { ...r, stringSetValue: [...u.ports].filter((p) => p.endsWith('/udp')).map((p) => p.slice(0, -4)) }
              : r),
  };
}
