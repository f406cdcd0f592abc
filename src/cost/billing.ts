/**
 * Fargate's billing rule, pure: what one task is billed for, in resource-seconds.
 *
 * AWS Fargate pricing (aws.amazon.com/fargate/pricing): "calculated based on the vCPU,
 * memory, Operating Systems, CPU Architecture, and storage resources used from the time you
 * start to download your container image until the Amazon ECS Task ... terminates, rounded
 * up to the nearest second", with a one-minute minimum for Linux tasks; 20 GB of ephemeral
 * storage is included and only storage configured beyond it is billed. So the clock starts
 * at the task's `pullStartedAt` and stops at `executionStoppedAt` (its containers have
 * exited: the task's compute is gone) or, when that was never reported, `stoppedAt`. A task
 * that never started to pull (stopped while PROVISIONING, as a Spot task waiting for capacity
 * may be) is not billed at all.
 *
 * Units: a task's cpu is in CPU units (1024 = 1 vCPU), its memory in MiB (1024 = 1 GB, as
 * AWS counts Fargate's GB), its ephemeral storage in GiB.
 */
import { DEFAULT_EPHEMERAL_STORAGE_GIB } from '../core/ecs/fargate.ts';

/** AWS bills a Linux Fargate task for at least one minute. */
export const MINIMUM_BILLED_SECONDS = 60;
/** CPU units per vCPU. */
export const CPU_UNITS_PER_VCPU = 1024;
/** MiB per billed GB of memory. */
export const MIB_PER_GB = 1024;

export type Provider = 'FARGATE' | 'FARGATE_SPOT';
/**
 * Whose usage a record holds: a Fargate task's provider, or `EC2` for an EC2-mode (or
 * EXTERNAL) task metered for what it would have cost on Fargate on demand.
 */
export type UsageProvider = Provider | 'EC2';
export type Arch = 'x86_64' | 'arm64';

/** What the rule needs to know about a task: its size and its billed clock. */
export interface BillableTask {
  /** CPU units (task-level cpu). */
  readonly cpu: number;
  /** MiB (task-level memory). */
  readonly memory: number;
  /** GiB of ephemeral storage the task has (20 unless it asked for more). */
  readonly storageGiB: number;
  /** Epoch seconds (fractions allowed) the image download started. */
  readonly start: number;
  /** Epoch seconds the task terminated (or `now`, for a task still running). */
  readonly end: number;
}

/** A task's billed quantities. */
export interface Usage {
  /** Whole seconds billed: the run rounded up, at least a minute. */
  readonly billedSeconds: number;
  readonly vcpuSeconds: number;
  readonly gbSeconds: number;
  /** GB-seconds of ephemeral storage beyond the included 20. */
  readonly storageGbSeconds: number;
}

export const NO_USAGE: Usage = { billedSeconds: 0, vcpuSeconds: 0, gbSeconds: 0, storageGbSeconds: 0 };

/** The seconds AWS bills for a run from `start` to `end`: rounded up to the second, one minute at least. */
export function billedSeconds(start: number, end: number): number {
  return Math.max(MINIMUM_BILLED_SECONDS, Math.ceil(Math.max(0, end - start)));
}

export function usageOf(t: BillableTask): Usage {
  const s = billedSeconds(t.start, t.end);
  return {
    billedSeconds: s,
    vcpuSeconds: (t.cpu / CPU_UNITS_PER_VCPU) * s,
    gbSeconds: (t.memory / MIB_PER_GB) * s,
    storageGbSeconds: Math.max(0, t.storageGiB - DEFAULT_EPHEMERAL_STORAGE_GIB) * s,
  };
}

/** The task fields the clock and size are read from (a TaskRecord has them all). */
export interface TaskTimes {
  readonly cpu?: string;
  readonly memory?: string;
  readonly pullStartedAt?: number;
  readonly executionStoppedAt?: number;
  readonly stoppedAt?: number;
  readonly ephemeralStorage?: { readonly sizeInGiB: number };
}

/**
 * A task's billable facts, or undefined when nothing is billed: it never started to pull,
 * or (not stopped yet) `now` is the end of its clock so far.
 */
export function billableOf(t: TaskTimes, now: number): BillableTask | undefined {
  if (t.pullStartedAt === undefined) return undefined;
  const end = t.executionStoppedAt ?? t.stoppedAt ?? now;
  return {
    cpu: Number(t.cpu ?? 0), memory: Number(t.memory ?? 0),
    storageGiB: t.ephemeralStorage?.sizeInGiB ?? DEFAULT_EPHEMERAL_STORAGE_GIB,
    start: t.pullStartedAt, end: Math.max(t.pullStartedAt, end),
  };
}

/** Which price list a task's usage is billed from: FARGATE_SPOT's, else FARGATE's (EC2 tasks: as if on FARGATE). */
export function providerOf(launchType: string, capacityProviderName: string | undefined): UsageProvider {
  if (launchType !== 'FARGATE') return 'EC2';
  return capacityProviderName === 'FARGATE_SPOT' ? 'FARGATE_SPOT' : 'FARGATE';
}

export function archOf(attributes: readonly { name: string; value?: string }[] | undefined): Arch {
  const a = attributes?.find((x) => x.name === 'ecs.cpu-architecture')?.value;
  return a === 'arm64' || a === 'aarch64' ? 'arm64' : 'x86_64';
}
