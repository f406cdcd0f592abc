/**
 * Fargate's vocabulary, shared by the API (validation, the Task view), the placer (the
 * pool of hosts that offer Fargate capacity), the agent (the sandbox a Fargate task runs
 * in) and the Spot controller (issue 15's contract).
 *
 *   RunTask / CreateService ── launchType FARGATE or a FARGATE / FARGATE_SPOT strategy
 *        │   validated as AWS validates it (awsvpc, task size, platform version, …)
 *        ▼
 *   placer ── places on the FARGATE POOL: hosts that offer Fargate capacity (`berth up`'s
 *        │    own host by default, `berth agent --fargate` on others), registered as
 *        │    container instances of a platform-owned cluster that no account sees
 *        ▼
 *   agent ── runs every container of the task in ONE sandbox (gVisor; the userns
 *            fallback where runsc cannot run) and reports which boundary it got
 *
 * Fargate capacity belongs to no cluster: a task of any cluster of any account may land
 * on any pool host. The pool's hosts never appear in ListContainerInstances, and a
 * Fargate task's view has no containerInstanceArn (as on AWS).
 */
import type { Scope } from './scope.ts';

/** The platform-owned account whose one cluster per region holds the Fargate pool's hosts. Not a 12-digit account id, so no caller can ever be it. */
export const FARGATE_POOL_ACCOUNT = 'berth-fargate';
/** The pool's cluster name inside {@link FARGATE_POOL_ACCOUNT}. */
export const FARGATE_POOL_CLUSTER = 'fargate';

export function fargatePoolScope(region: string): Scope {
  return { account: FARGATE_POOL_ACCOUNT, region };
}

/** Platform versions Berth serves; LATEST resolves to the newest (AWS: 1.4.0 for Linux). */
export const FARGATE_PLATFORM_VERSIONS: readonly string[] = ['1.4.0'];
export const LATEST_PLATFORM_VERSION = '1.4.0';
export const FARGATE_PLATFORM_FAMILY = 'Linux';

/** Ephemeral storage: every Fargate task has 20 GiB; a definition or override may ask for 21–200 GiB. */
export const DEFAULT_EPHEMERAL_STORAGE_GIB = 20;
export const MIN_EPHEMERAL_STORAGE_GIB = 21;
export const MAX_EPHEMERAL_STORAGE_GIB = 200;

/**
 * The boundary a task's containers got (Berth's own; shown by `berth ps` and as the task
 * attribute {@link ISOLATION_ATTRIBUTE}):
 * - `gvisor`: one runsc sandbox per task, its own application kernel;
 * - `userns`: the fallback where runsc cannot run: the task's containers in their own user
 *   namespace (root inside is an unprivileged id outside), seccomp, no-new-privileges;
 * - `microvm`: reserved for a KVM backend (detected and reported, not served here);
 * - `container`: an EC2-mode task: namespaces and cgroups on the shared host kernel.
 */
export type Isolation = 'gvisor' | 'userns' | 'microvm' | 'container';
export const ISOLATION_ATTRIBUTE = 'berth.isolation';

/**
 * The attribute both registrations of one agent's host carry (its cluster's instance and
 * its Fargate pool host), valued with a stable id of the agent's data dir: the cluster state
 * links them so the host's one capacity is shared (src/cluster/host-siblings.ts). Set by the
 * agent only: PutAttributes, DeleteAttributes and RegisterContainerInstance refuse it.
 */
export const HOST_ATTRIBUTE = 'berth.host';

/** Spot's words, as AWS writes them. */
export const SPOT_INTERRUPTED_REASON = 'Your Spot Task was interrupted.';
/** The warning before a Spot task is stopped: two minutes. */
export const SPOT_WARNING_SECONDS = 120;

/**
 * The Spot reclaim model, under the operator's control (issue 15 item 4). Off by default:
 * no interruption happens unless asked for.
 */
export interface SpotSettings {
  /** Expected interruptions per running FARGATE_SPOT task per hour (0: none). */
  readonly interruptionsPerHour: number;
  /** Seeds the reclaim draws, so a run can be repeated. */
  readonly seed: number;
  /**
   * Per availability zone, at most this many FARGATE_SPOT tasks run at once; a zone not
   * named has no limit. A FARGATE_SPOT task that finds no spot capacity waits in
   * PROVISIONING, as on AWS.
   */
  readonly capacity: Readonly<Record<string, number>>;
}

export const DEFAULT_SPOT_SETTINGS: SpotSettings = { interruptionsPerHour: 0, seed: 1, capacity: {} };

/**
 * The task group a task of cluster `cluster` counts under on a pool host: pool hosts run
 * tasks of every cluster of every account, so a group name ("service:web") is qualified by
 * the cluster it belongs to, and two clusters' "service:web" never count as one when the
 * placer spreads a service's Fargate tasks over zones.
 */
export function poolTaskGroup(scope: Scope, cluster: string, group: string): string {
  return `${scope.account}/${scope.region}/${cluster}/${group}`;
}

/**
 * The pseudo task group a pool host's usage counts its FARGATE_SPOT tasks under (of every
 * cluster), so the spot tasks per zone are a sum over the pool's hosts, never a walk of tasks.
 * No real group has a '/' after its kind, so it never meets one.
 */
export const SPOT_TASKS_GROUP = 'berth:capacity-provider/FARGATE_SPOT';
