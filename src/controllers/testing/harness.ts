/**
 * What controller tests build on: fixture builders for cluster snapshots (instances, tasks),
 * a manual clock whose timers fire only when a test advances it, a cluster state that serves
 * the snapshots a test sets, and a placer that records what it was asked to launch.
 */
import type { ClusterRef, ClusterSnapshot, ClusterState, InstanceState, TaskSummary } from '../../cluster/types.ts';
import { listSnapshot } from '../../cluster/snapshot.ts';
import { NO_COUNTS } from '../../core/ecs/cluster.ts';
import { newContainerInstance, type ContainerInstanceRecord } from '../../core/ecs/container-instance.ts';
import { keys } from '../../core/ecs/keys.ts';
import type { Scope } from '../../core/ecs/scope.ts';
import type { Launch, LaunchResult, Placer } from '../../scheduler/launch.ts';
import type { Timers } from '../runner.ts';

export const SCOPE: Scope = { account: '000000000000', region: 'us-east-1' };
export const REF: ClusterRef = { scope: SCOPE, cluster: 'default' };

const hex = (n: number) => n.toString(16).padStart(32, '0');

export function instance(n: number, o: { disconnectedAt?: number; agentConnected?: boolean; status?: ContainerInstanceRecord['status']; modRevision?: number } = {}): InstanceState {
  const base = newContainerInstance(SCOPE, REF.cluster, hex(n), { ec2InstanceId: `i-${n}`, resources: [], attributes: [], tags: [] }, 0);
  const record: ContainerInstanceRecord = {
    ...base, agentConnected: o.agentConnected ?? true, status: o.status ?? 'ACTIVE',
    ...(o.disconnectedAt !== undefined && { agentDisconnectedAt: o.disconnectedAt }),
  };
  return { key: keys.containerInstance(SCOPE, REF.cluster, hex(n)), modRevision: o.modRevision ?? 1, record, ...(o.disconnectedAt !== undefined && { disconnectedAt: o.disconnectedAt }) };
}

export function task(n: number, o: { on?: InstanceState; group?: string; lastStatus?: TaskSummary['lastStatus']; modRevision?: number } = {}): TaskSummary {
  const id = hex(1_000_000 + n);
  return {
    key: keys.task(SCOPE, REF.cluster, id), modRevision: o.modRevision ?? 1, id,
    taskArn: `arn:aws:ecs:${SCOPE.region}:${SCOPE.account}:task/${REF.cluster}/${id}`,
    taskDefinitionArn: `arn:aws:ecs:${SCOPE.region}:${SCOPE.account}:task-definition/web:1`, family: 'web',
    ...(o.on && { containerInstanceArn: o.on.record.containerInstanceArn }),
    lastStatus: o.lastStatus ?? 'RUNNING', desiredStatus: o.lastStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING',
    group: o.group ?? 'family:web', launchType: 'EC2', cpu: 0, memory: 0, ports: [], eni: false,
    healthStatus: 'UNKNOWN', healthChecked: false, createdAt: 0,
  };
}

/** `foreign`: other clusters' tasks on this cluster's instances (a Fargate pool host's). */
export function snapshot(o: { ref?: ClusterRef; revision?: number; instances?: InstanceState[]; tasks?: TaskSummary[]; foreign?: TaskSummary[] } = {}): ClusterSnapshot {
  const ref = o.ref ?? REF;
  return listSnapshot({
    ...ref, revision: o.revision ?? 1,
    clusterRecord: {
      key: keys.cluster(ref.scope, ref.cluster), modRevision: 1,
      value: { clusterArn: `arn:aws:ecs:${ref.scope.region}:${ref.scope.account}:cluster/${ref.cluster}`, clusterName: ref.cluster, status: 'ACTIVE', tags: [], settings: [], capacityProviders: [], defaultCapacityProviderStrategy: [], createdAt: 0 },
    },
    instances: o.instances ?? [], tasks: o.tasks ?? [], services: [], ...(o.foreign && { foreign: o.foreign }),
  });
}

/** A clock for tests: `now` moves and timers fire only in `advance`. */
export class ManualClock implements Timers {
  #now: number;
  #next = 0;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now = (): number => this.#now;

  set(fn: () => void, ms: number): unknown {
    const id = ++this.#next;
    this.#timers.set(id, { at: this.#now + ms, fn });
    return id;
  }

  clear(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Pending timers (the runner's bounds are visible here). */
  get pending(): number {
    return this.#timers.size;
  }

  /**
   * Moves time forward by `ms`, firing due timers in time order; `settle` runs after each
   * (let the work a timer started finish before the next fires).
   */
  async advance(ms: number, settle: () => Promise<void> = async () => {}): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      let first: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.#timers) if (e[1].at <= end && (!first || e[1].at < first[1].at)) first = e;
      if (!first) break;
      this.#timers.delete(first[0]);
      this.#now = Math.max(this.#now, first[1].at);
      first[1].fn();
      await settle();
    }
    this.#now = end;
    await settle();
  }
}

/** A cluster state serving the snapshots a test sets; `set` tells the listeners, as a watch batch would. */
export class FakeClusterState implements ClusterState {
  readonly #snapshots = new Map<string, ClusterSnapshot>();
  readonly #listeners = new Set<(changed: readonly ClusterRef[]) => void>();
  #revision = 0;

  set(s: ClusterSnapshot): void {
    this.#snapshots.set(`${s.scope.account}/${s.scope.region}/${s.cluster}`, s);
    this.#revision = Math.max(this.#revision, s.revision);
    const ref = { scope: s.scope, cluster: s.cluster };
    for (const l of this.#listeners) l([ref]);
  }

  ready = async (): Promise<void> => {};
  revision = (): number => this.#revision;
  caughtUp = async (): Promise<void> => {};
  clusters = (): ClusterRef[] => [...this.#snapshots.values()].map((s) => ({ scope: s.scope, cluster: s.cluster }));
  snapshot = (ref: ClusterRef): ClusterSnapshot | undefined => this.#snapshots.get(`${ref.scope.account}/${ref.scope.region}/${ref.cluster}`);
  cluster = (ref: ClusterRef) => this.snapshot(ref)?.clusterRecord;
  placementSnapshot = () => ({ instances: [] });
  placementInstance = () => undefined;
  followPlacement = () => ({ drain: () => ({ all: true, arns: new Set<string>() }), close: () => {} });
  siblingClusters = (): readonly ClusterRef[] => [];
  counts = () => NO_COUNTS;
  instanceUsage = () => ({ cpu: 0, memory: 0, eni: 0, running: 0, pending: 0, ports: [] });
  task = (ref: ClusterRef, id: string): TaskSummary | undefined => this.snapshot(ref)?.tasks.find((t) => t.id === id);
  groupCounts = (ref: ClusterRef, group: string) => {
    const out = new Map<string, { running: number; pending: number }>();
    for (const t of this.snapshot(ref)?.tasks ?? []) {
      if (t.group !== group || t.startedBy === undefined || t.desiredStatus !== 'RUNNING' || t.lastStatus === 'STOPPED') continue;
      const c = out.get(t.startedBy) ?? { running: 0, pending: 0 };
      c[t.lastStatus === 'RUNNING' ? 'running' : 'pending']++;
      out.set(t.startedBy, c);
    }
    return out;
  };
  *tasks(ref: ClusterRef): Iterable<TaskSummary> {
    yield* this.snapshot(ref)?.tasks ?? [];
  }
  *tasksOnInstance(arn: string): Iterable<TaskSummary> {
    for (const s of this.#snapshots.values()) yield* s.tasks.filter((t) => t.containerInstanceArn === arn && t.lastStatus !== 'STOPPED');
  }
  onChange(listener: (changed: readonly ClusterRef[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  close(): void {
    this.#listeners.clear();
  }
}

/** A placer that records each launch and answers what the test tells it to. */
export class RecordingPlacer implements Placer {
  readonly launches: Launch[] = [];
  answer: (l: Launch) => Promise<LaunchResult> = async () => ({ tasks: [], failures: [] });

  launch(l: Launch): Promise<LaunchResult> {
    this.launches.push(l);
    return this.answer(l);
  }
}
