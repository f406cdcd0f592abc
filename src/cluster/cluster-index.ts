/**
 * One cluster's in-memory indexes: its record, container instances (with what their tasks
 * use, kept as running sums), task summaries in key order and by instance, group,
 * startedBy and family, services, and the cluster's counts. Every change is applied as
 * "remove the old contribution, add the new one", so nothing is ever recounted by a scan.
 */
import type { ClusterCounts, ClusterRecord } from '../core/ecs/cluster.ts';
import { poolTaskGroup, SPOT_TASKS_GROUP } from '../core/ecs/fargate.ts';
import { ecsArn, type Scope } from '../core/ecs/scope.ts';
import { runsOnFargate, type ServiceRecord } from '../core/ecs/service.ts';
import type { PlacementInstance } from '../scheduler/types.ts';
import { holdsResources, type StoredInstance } from './summary.ts';
import { HOST_ATTRIBUTE, remainingOf, type SiblingHooks, type SiblingUsage } from './host-siblings.ts';
import { UNPLACED, type Held, type InstanceState, type InstanceUsage, type TaskFilter, type TaskSummary } from './types.ts';
import { LazySorted } from './lazy-sorted.ts';
import { TaskIndex } from './task-index.ts';

/** Tasks by id, in id order when read (lazy-sorted.ts: a write does not pay for the order). */
type Tree<V> = LazySorted<V>;
function tree<V>(): Tree<V> {
  return new LazySorted<V>();
}

/**
 * awsvpc network interfaces an instance can attach when it registers no `ENI` resource:
 * 120, the most ECS allows an instance with ENI trunking (ECS developer guide, "Elastic
 * network interface trunking"). An agent that registers `ENI` sets its own.
 */
export const DEFAULT_ENI_SLOTS = 120;

export interface GroupCount {
  running: number;
  pending: number;
}

const NO_GROUP_COUNTS: ReadonlyMap<string, GroupCount> = new Map();
/**
 * The changed-instances buffer (placement feed) is kept between events up to this many
 * entries: an event changes a few instances; a load or re-list, which names every one,
 * leaves a buffer that is dropped instead of kept.
 */
export const MAX_KEPT_CHANGES = 64;

/** What the not-STOPPED tasks on one instance hold, as running sums. */
interface Usage {
  cpu: number;
  memory: number;
  eni: number;
  /** Pod tasks: what the node's pod capacity (status.capacity.pods) is counted against. */
  pods: number;
  running: number;
  pending: number;
  count: number;
  /** Host port → how many tasks hold it (a reported binding and a reservation may repeat). */
  readonly ports: Map<string, number>;
  /** Of those, host port → how many tasks hold it dynamically (TaskSummary.dynamicPorts). */
  readonly dynamicPorts: Map<string, number>;
  readonly groups: Map<string, number>;
}

interface InstanceEntry {
  readonly state: InstanceState;
  /** What placement reads of the record alone (attributes, registered resources): built once per record. */
  base?: PlacementBase;
  /** Built on first use after a change of the instance or of its usage, from `base` and the usage. */
  placement?: PlacementInstance;
}

/**
 * Where an index lives among the others: a task counts in the usage of the instance it is
 * placed on, and that instance may belong to another cluster (a Fargate task of any cluster
 * runs on a host of the Fargate pool, fargate.ts). Its own cluster keeps the task; the
 * instance's cluster keeps the usage. Without a home (a lone index in a test), every
 * instance is counted here.
 */
export interface IndexHome {
  readonly scope: Scope;
  readonly cluster: string;
  /** The index of the cluster that holds the instance `instanceArn` names (made when missing); undefined: an ARN that names no cluster. */
  readonly indexOf: (instanceArn: string) => ClusterIndex | undefined;
  /** The other registrations of an instance's host (host-siblings.ts): their usage is subtracted from its view. */
  readonly siblings?: SiblingHooks;
}

export class ClusterIndex {
  readonly #home: IndexHome | undefined;
  /** `arn:aws:ecs:<region>:<account>:container-instance/<cluster>/`: an instance ARN of this cluster starts with it. */
  readonly #instancePrefix: string | undefined;
  /**
   * Tasks of other clusters placed on this cluster's instances (the Fargate pool's hosts), by
   * instance ARN then task key, while they hold resources (not STOPPED): what an instance's
   * agent is told at hello. Bounded by what those instances run.
   */
  readonly #foreign = new Map<string, Map<string, TaskSummary>>();

  constructor(home?: IndexHome) {
    this.#home = home;
    this.#instancePrefix = home && ecsArn(home.scope, `container-instance/${home.cluster}/`);
  }

  clusterRecord: Held<ClusterRecord> | undefined;
  readonly #instances = new Map<string, InstanceEntry>();
  /** Instance ARN → usage, independent of the instance record (a task may be seen first). */
  readonly #usage = new Map<string, Usage>();
  /** Every task by id: point reads, and key order for ListTasks' pages and the snapshot's list. */
  readonly #tasks: Tree<TaskSummary> = tree<TaskSummary>();
  /**
   * Secondary indexes: value → the tasks with it, by id (key order). Each holds the current
   * summary, so a walk reads no other index (a lookup per task in the 100,000-task tree cost
   * more than the walk: 24 ms for DescribeServices of 10 services of 1,000 tasks); a value
   * most tasks share is kept by reference to #tasks instead (task-index.ts: dense buckets).
   */
  readonly #byInstance = new TaskIndex(this.#tasks, (s) => s.containerInstanceArn ?? UNPLACED);
  readonly #byGroup = new TaskIndex(this.#tasks, (s) => s.group);
  readonly #byStartedBy = new TaskIndex(this.#tasks, (s) => s.startedBy);
  readonly #byFamily = new TaskIndex(this.#tasks, (s) => s.family);
  /** So that ListTasks --desired-status STOPPED walks the stopped tasks, not all of them. */
  readonly #byDesired = new TaskIndex(this.#tasks, (s) => s.desiredStatus);
  /** Group → startedBy → its tasks desired RUNNING and not STOPPED, running and pending: a service's counts without a walk. */
  readonly #groupCounts = new Map<string, Map<string, GroupCount>>();
  /** Group → the change number of its last task write (groupVersion); one entry per group of held tasks. */
  readonly #groupVersions = new Map<string, number>();
  #groupChanges = 0;
  readonly #services = new Map<string, Held<ServiceRecord>>();
  #registered = 0;
  #running = 0;
  #pending = 0;
  #runningFargate = 0;
  #pendingFargate = 0;
  /** Services by status (ACTIVE, DRAINING), all and Fargate ones. */
  #serviceCounts = { active: 0, draining: 0, activeFargate: 0, drainingFargate: 0 };
  /** Cached views, dropped by any change. */
  #instanceList: InstanceState[] | undefined;
  #placementList: PlacementInstance[] | undefined;
  #taskList: TaskSummary[] | undefined;
  #serviceList: Held<ServiceRecord>[] | undefined;
  /**
   * Instance ARNs whose placement view changed since the cluster state last took them
   * (placement-feed.ts), the first #placementChangeCount of this buffer: it takes them after
   * every store event, so this holds one event's. The buffer is kept across events (a fresh
   * array per event was ~150 bytes of garbage per placed task), unless a load made it large.
   */
  #placementChanged: string[] = [];
  #placementChangeCount = 0;

  isEmpty(): boolean {
    return !this.clusterRecord && this.#instances.size === 0 && this.#tasks.size === 0 && this.#services.size === 0 && this.#usage.size === 0;
  }

  // ---- instances

  instance(id: string): InstanceState | undefined {
    return this.#instances.get(id)?.state;
  }

  putInstance(id: string, key: string, modRevision: number, record: StoredInstance): void {
    this.removeInstance(id);
    const state: InstanceState = {
      key, modRevision, record,
      ...(record.agentDisconnectedAt !== undefined && { disconnectedAt: record.agentDisconnectedAt }),
    };
    this.#instances.set(id, { state });
    if (record.status !== 'INACTIVE') this.#registered++;
    this.#instanceList = this.#placementList = undefined;
    this.#changedPlacement(record.containerInstanceArn);
    this.#home?.siblings?.registered(record.containerInstanceArn, hostOf(record));
  }

  removeInstance(id: string): void {
    const old = this.#instances.get(id);
    if (!old) return;
    this.#instances.delete(id);
    if (old.state.record.status !== 'INACTIVE') this.#registered--;
    this.#instanceList = this.#placementList = undefined;
    this.#changedPlacement(old.state.record.containerInstanceArn);
    this.#home?.siblings?.registered(old.state.record.containerInstanceArn, undefined);
  }

  /** Another registration of this instance's host changed what it holds (host-siblings.ts): its view is rebuilt and reported changed. */
  siblingChanged(arn: string): void {
    const e = this.#instances.get(arn.slice(arn.lastIndexOf('/') + 1));
    if (e) delete e.placement;
    this.#placementList = undefined;
    this.#changedPlacement(arn);
  }

  /** Instances in registration order (then key order): placement breaks ties by it. */
  instances(): readonly InstanceState[] {
    return (this.#instanceList ??= [...this.#instances.values()].map((e) => e.state)
      .sort((a, b) => a.record.registeredAt - b.record.registeredAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
  }

  /** What an instance's not-STOPPED tasks hold and count. */
  usageOf(instanceArn: string): InstanceUsage | undefined {
    const u = this.#usage.get(instanceArn);
    if (!u) return undefined;
    // Only ports some task holds statically: a dynamic binding is not a reservation.
    const reserved = [...u.ports].filter(([p, n]) => n > (u.dynamicPorts.get(p) ?? 0)).map(([p]) => p);
    return { cpu: u.cpu, memory: u.memory, eni: u.eni, running: u.running, pending: u.pending, ports: reserved };
  }

  placementInstances(): readonly PlacementInstance[] {
    if (this.#placementList) return this.#placementList;
    const out: PlacementInstance[] = [];
    for (const s of this.instances()) {
      const id = s.key.slice(s.key.lastIndexOf('/') + 1);
      const e = this.#instances.get(id)!;
      out.push(e.placement ??= placementInstance(e.base ??= placementBase(id, s.record), this.#usage.get(s.record.containerInstanceArn), this.#siblingUsage(s.record.containerInstanceArn)));
    }
    return (this.#placementList = out);
  }

  // ---- placement feed (placement-feed.ts): one instance's view, and which ones changed

  /** One instance as placement sees it (built on first use after a change), or undefined when the cluster has no such instance. */
  placementInstance(arn: string): PlacementInstance | undefined {
    const id = arn.slice(arn.lastIndexOf('/') + 1);
    const e = this.#instances.get(id);
    if (!e || e.state.record.containerInstanceArn !== arn) return undefined;
    return (e.placement ??= placementInstance(e.base ??= placementBase(id, e.state.record), this.#usage.get(arn), this.#siblingUsage(arn)));
  }

  #siblingUsage(arn: string): SiblingUsage | undefined {
    return this.#home?.siblings?.siblingUsage(arn);
  }

  /** How many instance ARNs changed since the last clear: the first this many of `placementChanges` (repeats possible). */
  get placementChangeCount(): number {
    return this.#placementChangeCount;
  }

  /** The changed ARNs' buffer: valid until this index next changes or is cleared; read only its first `placementChangeCount`. */
  get placementChanges(): readonly string[] {
    return this.#placementChanged;
  }

  /** Forgets the changed ARNs (the cluster state has handed them to the feeds). */
  clearPlacementChanges(): void {
    this.#placementChangeCount = 0;
    if (this.#placementChanged.length > MAX_KEPT_CHANGES) this.#placementChanged = [];
  }

  #changedPlacement(arn: string): void {
    this.#placementChanged[this.#placementChangeCount++] = arn;
  }

  // ---- tasks

  task(id: string): TaskSummary | undefined {
    return this.#tasks.get(id);
  }

  get taskCount(): number {
    return this.#tasks.size;
  }

  putTask(s: TaskSummary): void {
    const old = this.#tasks.get(s.id);
    this.#tasks.set(s.id, s);
    // Most writes change a task's status only: its index entries stay where they are.
    if (old) this.#count(old, -1);
    this.#reindex(old, s);
    this.#count(s, 1);
    if (old) this.#countGroup(old, -1);
    this.#countGroup(s, 1);
  }

  removeTask(id: string): void {
    const old = this.#tasks.get(id);
    if (!old) return;
    this.#tasks.delete(id);
    this.#count(old, -1);
    this.#reindex(old, undefined);
    this.#countGroup(old, -1);
  }

  /**
   * Changes whenever a task of the group is put or removed (see ClusterSnapshot.groupVersion);
   * 0 for a group with no task. Numbered per index: a re-list's fresh indexes number again,
   * and also answer a new instance list, which the service reconciler compares as well.
   */
  groupVersion(group: string): number {
    return this.#groupVersions.get(group) ?? 0;
  }

  /** Counts of the group's tasks desired RUNNING and not yet STOPPED, by startedBy (what DescribeServices shows per deployment). */
  groupCounts(group: string): ReadonlyMap<string, Readonly<GroupCount>> {
    return this.#groupCounts.get(group) ?? NO_GROUP_COUNTS;
  }

  #countGroup(s: TaskSummary, sign: 1 | -1): void {
    // Any change of a task moves its group's version to a number never given before; a
    // group with no task left forgets its own (bounded by the groups of held tasks).
    if (this.#byGroup.has(s.group)) this.#groupVersions.set(s.group, ++this.#groupChanges);
    else this.#groupVersions.delete(s.group);
    if (s.startedBy === undefined || s.desiredStatus !== 'RUNNING' || s.lastStatus === 'STOPPED') return;
    let byStarter = this.#groupCounts.get(s.group);
    if (!byStarter) this.#groupCounts.set(s.group, (byStarter = new Map()));
    let c = byStarter.get(s.startedBy);
    if (!c) byStarter.set(s.startedBy, (c = { running: 0, pending: 0 }));
    c[s.lastStatus === 'RUNNING' ? 'running' : 'pending'] += sign;
    if (c.running === 0 && c.pending === 0) {
      byStarter.delete(s.startedBy);
      if (byStarter.size === 0) this.#groupCounts.delete(s.group);
    }
  }

  /** Moves a task's entries in the secondary indexes from what `old` said to what `now` says. */
  #reindex(old: TaskSummary | undefined, now: TaskSummary | undefined): void {
    const id = (now ?? old)!.id;
    move(this.#byGroup, id, now, old?.group, now?.group);
    move(this.#byFamily, id, now, old?.family, now?.family);
    move(this.#byStartedBy, id, now, old?.startedBy, now?.startedBy);
    // A task placed on no instance (waiting for Fargate Spot capacity) is indexed under UNPLACED.
    move(this.#byInstance, id, now, old && (old.containerInstanceArn ?? UNPLACED), now && (now.containerInstanceArn ?? UNPLACED));
    move(this.#byDesired, id, now, old?.desiredStatus, now?.desiredStatus);
  }

  /** Adds (or takes away) a task's part of the cluster's counts and its instance's usage. */
  #count(s: TaskSummary, sign: 1 | -1): void {
    this.#taskList = undefined;
    const fargate = s.launchType === 'FARGATE';
    if (s.lastStatus === 'RUNNING') {
      this.#running += sign;
      if (fargate) this.#runningFargate += sign;
    } else if (s.lastStatus !== 'STOPPED' && s.desiredStatus !== 'STOPPED') {
      this.#pending += sign;
      if (fargate) this.#pendingFargate += sign;
    }
    if (s.containerInstanceArn === undefined || !holdsResources(s)) return;
    const arn = s.containerInstanceArn;
    // Another cluster's instance (a Fargate pool host): its index counts the usage, under a
    // group qualified by this cluster. An ARN that names no cluster counts here, as before.
    const owner = this.#home && !arn.startsWith(this.#instancePrefix!) ? this.#home.indexOf(arn) : undefined;
    if (owner && owner !== this) owner.countForeign(s, poolTaskGroup(this.#home!.scope, this.#home!.cluster, s.group), sign);
    else this.#countUsage(s, s.group, sign);
  }

  /** A task of another cluster placed on one of this cluster's instances: its usage (group qualified by its cluster) and the instance's foreign tasks. */
  countForeign(s: TaskSummary, group: string, sign: 1 | -1): void {
    const arn = s.containerInstanceArn!;
    let on = this.#foreign.get(arn);
    if (sign > 0) {
      if (!on) this.#foreign.set(arn, (on = new Map()));
      on.set(s.key, s);
    } else if (on) {
      on.delete(s.key);
      if (on.size === 0) this.#foreign.delete(arn);
    }
    this.#countUsage(s, group, sign);
    if (s.capacityProviderName === 'FARGATE_SPOT') bump(this.#usage.get(arn)?.groups ?? new Map(), SPOT_TASKS_GROUP, sign);
  }

  /**
   * The tasks placed on one of this cluster's instances that hold resources there: its own
   * (not STOPPED) and other clusters' (a pool host's). O(its tasks), no scan.
   */
  *tasksOn(instanceArn: string): Iterable<TaskSummary> {
    for (const s of this.#byInstance.values(instanceArn)) if (holdsResources(s)) yield s;
    yield* this.#foreign.get(instanceArn)?.values() ?? [];
  }

  #countUsage(s: TaskSummary, group: string, sign: 1 | -1): void {
    const arn = s.containerInstanceArn!;
    let u = this.#usage.get(arn);
    if (!u) this.#usage.set(arn, (u = { cpu: 0, memory: 0, eni: 0, pods: 0, running: 0, pending: 0, count: 0, ports: new Map(), dynamicPorts: new Map(), groups: new Map() }));
    u.cpu += sign * s.cpu;
    u.memory += sign * s.memory;
    if (s.eni) u.eni += sign;
    if (s.pod) u.pods += sign;
    if (s.lastStatus === 'RUNNING') u.running += sign; else u.pending += sign;
    u.count += sign;
    for (const p of s.ports) bump(u.ports, p, sign);
    for (const p of s.dynamicPorts ?? []) bump(u.dynamicPorts, p, sign);
    bump(u.groups, group, sign);
    if (u.count === 0) this.#usage.delete(arn);
    const id = arn.slice(arn.lastIndexOf('/') + 1);
    const e = this.#instances.get(id);
    if (e) delete e.placement;
    this.#placementList = undefined;
    this.#changedPlacement(arn);
    this.#home?.siblings?.usageChanged(arn);
  }

  /** Tasks in key (id) order, optionally only those matching every filter, strictly after `after`. */
  *tasks(filter: TaskFilter = {}): Iterable<TaskSummary> {
    const candidates = this.#filtered(filter);
    if (candidates.some(([index, value]) => !index.has(value))) return;
    // Walk the smallest index; check the other filters on each summary.
    const smallest = candidates.sort(([a, x], [b, y]) => a.size(x) - b.size(y))[0];
    const start = filter.after;
    if (!smallest) {
      // No filter but the cursor: every task, in order.
      for (const [id, s] of this.#tasks.entries(start)) if (start === undefined || id > start) yield s;
      return;
    }
    for (const [id, s] of smallest[0].entries(smallest[1], start)) {
      if (start !== undefined && id <= start) continue;
      if (filter.instanceArn !== undefined && (s.containerInstanceArn ?? UNPLACED) !== filter.instanceArn) continue;
      if (filter.group !== undefined && s.group !== filter.group) continue;
      if (filter.startedBy !== undefined && s.startedBy !== filter.startedBy) continue;
      if (filter.family !== undefined && s.family !== filter.family) continue;
      if (filter.desiredStatus !== undefined && s.desiredStatus !== filter.desiredStatus) continue;
      yield s;
    }
  }

  /** `tasks(filter)` as an array; one filter alone (a service's group) is its index's values, copied without a walk. */
  taskArray(filter: TaskFilter): TaskSummary[] {
    const given = this.#filtered(filter);
    if (given.length === 1 && filter.after === undefined) return given[0]![0].values(given[0]![1]);
    return [...this.tasks(filter)];
  }

  /** The index and value of each filter given. */
  #filtered(filter: TaskFilter): [TaskIndex, string][] {
    const out: [TaskIndex, string][] = [];
    if (filter.instanceArn !== undefined) out.push([this.#byInstance, filter.instanceArn]);
    if (filter.group !== undefined) out.push([this.#byGroup, filter.group]);
    if (filter.startedBy !== undefined) out.push([this.#byStartedBy, filter.startedBy]);
    if (filter.family !== undefined) out.push([this.#byFamily, filter.family]);
    if (filter.desiredStatus !== undefined) out.push([this.#byDesired, filter.desiredStatus]);
    return out;
  }

  taskList(): readonly TaskSummary[] {
    return (this.#taskList ??= this.#tasks.valuesArray());
  }

  // ---- services

  service(name: string): Held<ServiceRecord> | undefined {
    return this.#services.get(name);
  }

  putService(name: string, held: Held<ServiceRecord>): void {
    this.removeService(name);
    this.#services.set(name, held);
    this.#countService(held.value, 1);
    this.#serviceList = undefined;
  }

  removeService(name: string): void {
    const old = this.#services.get(name);
    if (!old) return;
    this.#services.delete(name);
    this.#countService(old.value, -1);
    this.#serviceList = undefined;
  }

  #countService(s: ServiceRecord, sign: 1 | -1): void {
    const c = this.#serviceCounts;
    const fargate = runsOnFargate(s);
    if (s.status === 'ACTIVE') {
      c.active += sign;
      if (fargate) c.activeFargate += sign;
    } else if (s.status === 'DRAINING') {
      c.draining += sign;
      if (fargate) c.drainingFargate += sign;
    }
  }

  services(): readonly Held<ServiceRecord>[] {
    return (this.#serviceList ??= [...this.#services.values()].sort((a, b) => (a.key < b.key ? -1 : 1)));
  }

  counts(): ClusterCounts {
    return {
      registeredContainerInstancesCount: this.#registered,
      runningTasksCount: this.#running,
      pendingTasksCount: this.#pending,
      activeServicesCount: this.#serviceCounts.active,
      runningFargateTasksCount: this.#runningFargate,
      pendingFargateTasksCount: this.#pendingFargate,
      activeFargateServicesCount: this.#serviceCounts.activeFargate,
      drainingServicesCount: this.#serviceCounts.draining,
      drainingFargateServicesCount: this.#serviceCounts.drainingFargate,
    };
  }
}

/** Moves task `id`'s entry in one secondary index from value `from` to `to` (`now`: its new summary; none: removed). */
function move(index: TaskIndex, id: string, now: TaskSummary | undefined, from: string | undefined, to: string | undefined): void {
  // Same place: the entry stays and holds the new summary.
  if (from === to) {
    if (from !== undefined && now) index.set(from, now, true);
    return;
  }
  if (from !== undefined) index.delete(from, id);
  if (to !== undefined && now) index.set(to, now, false);
}

function bump(map: Map<string, number>, k: string, sign: 1 | -1): void {
  const n = (map.get(k) ?? 0) + sign;
  if (n <= 0) map.delete(k); else map.set(k, n);
}

/** The part of an instance's placement view that only its record decides; shared by every view built from it (all read-only). */
interface PlacementBase {
  readonly arn: string;
  readonly id: string;
  readonly ec2InstanceId: string | undefined;
  readonly agentVersion: string | undefined;
  readonly status: PlacementInstance['status'];
  readonly agentConnected: boolean;
  readonly registeredAt: number;
  readonly attributes: ReadonlyMap<string, string | undefined>;
  readonly capacityProvider: string | undefined;
  readonly cpu: number;
  readonly memory: number;
  readonly eni: number;
  /** Ports its agent reserves, "port/protocol". */
  readonly reserved: ReadonlySet<string>;
  /** Its node's Kubernetes fields (taints, cordon): the pod scheduler's node filters read them. */
  readonly kubeNode: StoredInstance['kubeNode'];
}

function placementBase(id: string, r: StoredInstance): PlacementBase {
  const registered = (name: string) => r.registeredResources.find((x) => x.name === name);
  return {
    arn: r.containerInstanceArn,
    id,
    // What the cluster query language's ec2InstanceId and agentVersion read.
    ec2InstanceId: r.ec2InstanceId || undefined,
    agentVersion: r.versionInfo?.agentVersion,
    status: r.status,
    agentConnected: r.agentConnected,
    registeredAt: r.registeredAt,
    attributes: new Map(r.attributes.map((a) => [a.name, a.value])),
    capacityProvider: r.capacityProviderName,
    cpu: registered('CPU')?.integerValue ?? 0,
    memory: registered('MEMORY')?.integerValue ?? 0,
    eni: registered('ENI')?.integerValue ?? DEFAULT_ENI_SLOTS,
    reserved: new Set<string>([
      ...(registered('PORTS')?.stringSetValue ?? []).map((p) => `${p}/tcp`),
      ...(registered('PORTS_UDP')?.stringSetValue ?? []).map((p) => `${p}/udp`),
    ]),
    kubeNode: r.kubeNode,
  };
}

/** The host id an instance's agent set (host-siblings.ts); none for an INACTIVE instance (it holds nothing). */
function hostOf(r: StoredInstance): string | undefined {
  return r.status === 'INACTIVE' ? undefined : r.attributes.find((a) => a.name === HOST_ATTRIBUTE)?.value;
}

/**
 * An instance's placement view: its record's part less what its tasks hold, and less what
 * its host's other registrations' tasks hold (`sib`). A change of usage rebuilds only this.
 */
function placementInstance(b: PlacementBase, u: Usage | undefined, sib?: SiblingUsage): PlacementInstance {
  let ports = b.reserved;
  if (u?.ports.size) {
    const all = new Set(b.reserved);
    for (const p of u.ports.keys()) all.add(p);
    ports = all;
  }
  const left = remainingOf(b, u, sib);
  // Built by assignment: spread temporaries here were garbage for every task placed (a view
  // is rebuilt once per instance a batch touches, each task for spread strategies).
  const v: { -readonly [K in keyof PlacementInstance]: PlacementInstance[K] } = {
    arn: b.arn,
    id: b.id,
    status: b.status,
    agentConnected: b.agentConnected,
    registeredAt: b.registeredAt,
    attributes: b.attributes,
    cpu: left.cpu,
    memory: left.memory,
    eni: left.eni,
    portsInUse: ports,
    groups: u ? new Map(u.groups) : new Map(),
    taskCount: u?.count ?? 0,
  };
  if (b.ec2InstanceId !== undefined) v.ec2InstanceId = b.ec2InstanceId;
  if (b.agentVersion !== undefined) v.agentVersion = b.agentVersion;
  if (b.capacityProvider !== undefined) v.capacityProvider = b.capacityProvider;
  if (b.kubeNode !== undefined) v.kubeNode = b.kubeNode;
  if (u?.pods) v.pods = u.pods;
  return v;
}
