/**
 * What the placer is built from and reads (placer.ts, placer-pool.ts): its own file, so the
 * placer's parts depend on it and not on each other.
 */
import type { ClusterRecord } from '../core/ecs/cluster.ts';
import type { Scope } from '../core/ecs/scope.ts';
import type { TaskRecord } from '../core/ecs/task.ts';
import type { Condition, Store } from '../store/store.ts';
import type { ProviderTask } from './capacity-strategy.ts';
import type { Ids } from './placer-build.ts';
import type { FeedSource } from './placer-sessions.ts';
import type { SiblingSource } from './placer-siblings.ts';
import type { OpenSession } from './session.ts';
import type { Rng } from './types.ts';

/**
 * The placer's view of the cluster state, declared here so the scheduler depends on no
 * other module's state: its snapshot, the cluster record, a group's tasks, and waiting
 * until it reflects a store revision (read your writes).
 */
export interface PlacementSource extends FeedSource, SiblingSource {
  caughtUp(revision: number): Promise<void>;
  cluster(ref: { scope: Scope; cluster: string }): { readonly value: ClusterRecord } | undefined;
  /** Instances not deregistered: none means the cluster has nowhere to place. */
  counts(ref: { scope: Scope; cluster: string }): { readonly registeredContainerInstancesCount: number };
  tasks(ref: { scope: Scope; cluster: string }, filter: { group: string }): Iterable<ProviderTask>;
}

export interface PlacerDeps {
  readonly store: Store;
  /** What the placer reads of the cluster state (src/cluster/: ClusterState has it all). */
  readonly state: PlacementSource;
  /** How a cluster's working copy is opened (session.ts); default: the fast session (session-fast.ts). */
  readonly openSession?: OpenSession;
  readonly ids: Ids;
  readonly rng: Rng;
  /**
   * Where the placer leaves each task record it writes beside its JSON, so the cluster state
   * in this process indexes the object instead of parsing it back (store/parsed-values.ts).
   */
  readonly parsedValues?: { remember(key: string, value: string, parsed: unknown): void };
}

/** A waiting task as read, and the conditions that pin it to that read (placer-pool.ts; task-store.ts taskPins). */
export interface HeldTask { readonly task: TaskRecord; readonly pins: readonly Condition[] }
