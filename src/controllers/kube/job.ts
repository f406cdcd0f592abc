/**
 * The Job controller, pure: runs pods from the Job's template until `completions` of them
 * have succeeded (at most `parallelism` at once; without completions, a work queue: done when
 * one succeeds and none is left running), counts failed pods against `backoffLimit`, stops at
 * `activeDeadlineSeconds`, runs nothing while `suspend`, and reports it in the status kubectl
 * and `kubectl wait --for=condition=complete` read: startTime, active, ready, succeeded,
 * failed, completionTime and the `Complete` / `Failed` conditions (each after its
 * `SuccessCriteriaMet` / `FailureTarget`, as batch/v1 in 1.31+ writes them); a finished Job
 * is deleted `ttlSecondsAfterFinished` after it finished (the TTL-after-finished controller). Not done: the
 * exponential delay before a failed pod is replaced, indexed completion, pod failure policy.
 */
import { podFor } from './replica-set.ts';
import { controlledBy, controllerRef, readySince, type Condition, type ObjectMeta, type Pod, type PodTemplate } from './workload-objects.ts';
import { eventAbout, jsonEqual, MAX_POD_WRITES_PER_PASS, timestamp, type WorkloadAction } from './workload-actions.ts';

const JOB_COMPONENT = 'job-controller';

export interface Job {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: {
    parallelism?: number;
    completions?: number | null;
    backoffLimit?: number;
    activeDeadlineSeconds?: number;
    suspend?: boolean;
    ttlSecondsAfterFinished?: number | null;
    selector?: { matchLabels?: Record<string, string> };
    template: PodTemplate;
  };
  status?: {
    startTime?: string;
    completionTime?: string;
    active?: number;
    ready?: number;
    succeeded?: number;
    failed?: number;
    terminating?: number;
    uncountedTerminatedPods?: object;
    conditions?: Condition[];
  };
}

const terminalType = (job: Job): 'Complete' | 'Failed' | undefined =>
  job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')?.type as 'Complete' | 'Failed' | undefined;

/** When a finished Job's `ttlSecondsAfterFinished` runs out (the TTL-after-finished controller's clock), epoch ms; undefined: never. */
export function jobExpiresAt(job: Job): number | undefined {
  const ttl = job.spec.ttlSecondsAfterFinished;
  const done = job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  if (ttl === undefined || ttl === null || !done) return undefined;
  const at = Date.parse(job.status?.completionTime ?? done.lastTransitionTime ?? '');
  return Number.isNaN(at) ? undefined : at + ttl * 1000;
}

export function reconcileJob(job: Job, podsInNamespace: readonly Pod[], now: number, suffix: () => string): WorkloadAction[] {
  if (job.metadata.deletionTimestamp !== undefined) return [];
  const expires = jobExpiresAt(job);
  if (expires !== undefined && expires <= now) {
    // Its pods go with it (garbage collection of what it owns).
    return [{ type: 'delete', resource: 'jobs', namespace: job.metadata.namespace!, name: job.metadata.name!, uid: job.metadata.uid! }];
  }
  const ns = job.metadata.namespace!;
  const owned = podsInNamespace.filter((p) => controlledBy(p, job.metadata.uid));
  const succeeded = owned.filter((p) => p.status?.phase === 'Succeeded').length;
  const failed = owned.filter((p) => p.status?.phase === 'Failed').length;
  const active = owned.filter((p) => p.metadata.deletionTimestamp === undefined && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  const spec = job.spec;
  const parallelism = spec.parallelism ?? 1;
  const completions = spec.completions ?? undefined;
  const time = timestamp(now);
  const actions: WorkloadAction[] = [];
  let conditions = [...(job.status?.conditions ?? [])];
  let finished = terminalType(job);
  const startTime = job.status?.startTime ?? (spec.suspend ? undefined : time);

  if (finished === undefined) {
    let failure: { reason: string; message: string } | undefined;
    if (failed > (spec.backoffLimit ?? 6)) failure = { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
    else if (spec.activeDeadlineSeconds !== undefined && startTime !== undefined && Date.parse(startTime) + spec.activeDeadlineSeconds * 1000 <= now) {
      failure = { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
    }
    const complete = completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0;
    if (failure) {
      conditions = add(conditions, { type: 'FailureTarget', status: 'True', ...failure }, time);
      conditions = add(conditions, { type: 'Failed', status: 'True', ...failure }, time);
      finished = 'Failed';
    } else if (complete) {
      const success = { reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' };
      conditions = add(conditions, { type: 'SuccessCriteriaMet', status: 'True', ...success }, time);
      conditions = add(conditions, { type: 'Complete', status: 'True', ...success }, time);
      finished = 'Complete';
    }
  }

  let want: number;
  if (finished !== undefined || spec.suspend) want = 0;
  else if (completions !== undefined) want = Math.min(parallelism, Math.max(0, completions - succeeded));
  else want = succeeded > 0 ? active.length : parallelism;
  let running = active;
  if (active.length < want) {
    for (let i = 0; i < Math.min(want - active.length, MAX_POD_WRITES_PER_PASS); i++) {
      const pod = podOf(job, suffix());
      actions.push({ type: 'create', resource: 'pods', namespace: ns, object: pod, event: eventAbout(job, 'batch/v1', 'Job', JOB_COMPONENT, 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`) });
    }
  } else if (active.length > want) {
    // Pending pods go first: they have done the least work.
    const doomed = [...active].sort((a, b) => Number(a.status?.phase === 'Running') - Number(b.status?.phase === 'Running')).slice(0, active.length - want);
    for (const p of doomed.slice(0, MAX_POD_WRITES_PER_PASS)) {
      actions.push({ type: 'delete', resource: 'pods', namespace: ns, name: p.metadata.name!, uid: p.metadata.uid!, event: eventAbout(job, 'batch/v1', 'Job', JOB_COMPONENT, 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`) });
    }
    running = active.filter((p) => !doomed.includes(p));
  }
  const status: NonNullable<Job['status']> = {
    ...(startTime !== undefined && { startTime }),
    ...(finished === 'Complete' && { completionTime: job.status?.completionTime ?? time }),
    ...(running.length > 0 && { active: running.length }),
    ready: running.filter((p) => readySince(p) !== undefined).length,
    ...(succeeded > 0 && { succeeded }),
    ...(failed > 0 && { failed }),
    terminating: 0,
    uncountedTerminatedPods: {},
    ...(conditions.length > 0 && { conditions }),
  };
  if (!jsonEqual(status, job.status)) {
    // The write that finishes the Job records why, as the Job controller's events say it.
    const justFinished = finished !== undefined && terminalType(job) === undefined;
    const failure = conditions.find((c) => c.type === 'Failed');
    const event = !justFinished ? undefined : finished === 'Complete'
      ? eventAbout(job, 'batch/v1', 'Job', JOB_COMPONENT, 'Completed', 'Job completed')
      : eventAbout(job, 'batch/v1', 'Job', JOB_COMPONENT, failure?.reason ?? 'Failed', failure?.message ?? 'Job failed', 'Warning');
    actions.push({ type: 'updateStatus', resource: 'jobs', namespace: ns, name: job.metadata.name!, resourceVersion: job.metadata.resourceVersion!, status, ...(event && { event }) });
  }
  return actions;
}

/** A pod of the Job: its template, owned by it, `<job>-<suffix>`. */
function podOf(job: Job, suffix: string): Pod {
  const pod = podFor({ metadata: job.metadata, spec: { selector: job.spec.selector ?? {}, template: job.spec.template } }, suffix);
  pod.metadata.ownerReferences = [controllerRef(job, 'batch/v1', 'Job')];
  return pod;
}

function add(conditions: Condition[], c: Condition, time: string): Condition[] {
  if (conditions.some((x) => x.type === c.type && x.status === c.status)) return conditions;
  return [...conditions.filter((x) => x.type !== c.type), { ...c, lastProbeTime: time, lastTransitionTime: time } as Condition];
}
