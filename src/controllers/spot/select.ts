/**
 * Which tasks `berth spot interrupt` takes back (pure, over cluster snapshots):
 * - `task`: that one task, whatever its capacity provider (an EC2 task too, so the
 *   interruption path can be exercised where no Spot capacity runs);
 * - `service` (+ `count`, default 1, + `zone`): that many of the service's running
 *   FARGATE_SPOT tasks, newest first;
 * - `zone` alone (+ `count`, default all): the zone's running FARGATE_SPOT tasks, newest first.
 * Bad requests throw InvalidParameterException / ServiceNotFoundException with what to do.
 */
import type { ClusterSnapshot, TaskSummary } from '../../cluster/types.ts';
import { fail } from '../../core/errors.ts';
import { SPOT_PROVIDER } from './spot-job.ts';

/** Tasks one request interrupts at most: one call cannot take a whole large region down by a typo. */
export const MAX_INTERRUPT_COUNT = 1000;
const AZ_ATTRIBUTE = 'ecs.availability-zone';

export interface InterruptRequest {
  readonly task?: string;
  readonly service?: string;
  readonly count?: number;
  readonly zone?: string;
}

export interface Selected {
  readonly task: TaskSummary;
  readonly cluster: string;
  readonly zone?: string;
}

/** Validates a request's shape (before any lookup). */
export function checkInterruptRequest(r: InterruptRequest): void {
  if (r.task === undefined && r.service === undefined && r.zone === undefined) fail('InvalidParameterException', 'Name what to interrupt: --task ID, --service NAME [--count N], or --zone ZONE.');
  if (r.task !== undefined && (r.service !== undefined || r.zone !== undefined || r.count !== undefined)) fail('InvalidParameterException', '--task names one task: give it alone (without --service, --zone or --count).');
  if (r.count !== undefined && (!Number.isInteger(r.count) || r.count < 1 || r.count > MAX_INTERRUPT_COUNT)) fail('InvalidParameterException', `--count must be a whole number from 1 to ${MAX_INTERRUPT_COUNT}.`);
}

/**
 * The tasks to interrupt. `snapshots`: the clusters in reach (the named cluster for --task
 * and --service; every cluster of the region for --zone alone), read in one turn.
 */
export function selectInterruptions(snapshots: readonly ClusterSnapshot[], r: InterruptRequest): Selected[] {
  checkInterruptRequest(r);
  const zoneOf = new Map<string, string>();
  for (const s of snapshots) {
    for (const i of s.instances) {
      const az = i.record.attributes.find((a) => a.name === AZ_ATTRIBUTE)?.value;
      if (az !== undefined) zoneOf.set(i.record.containerInstanceArn, az);
    }
  }
  const selected = (s: ClusterSnapshot, t: TaskSummary): Selected => {
    const zone = t.containerInstanceArn === undefined ? undefined : zoneOf.get(t.containerInstanceArn);
    return { task: t, cluster: s.cluster, ...(zone !== undefined && { zone }) };
  };
  if (r.task !== undefined) {
    const id = /([a-f0-9]{32})$/.exec(r.task)?.[1];
    if (!id) fail('InvalidParameterException', `'${r.task}' is not a task id or ARN: give the 32-character id or the ARN, as 'berth ps' shows.`);
    for (const s of snapshots) {
      const t = s.tasks.find((x) => x.id === id);
      if (!t) continue;
      if (t.desiredStatus !== 'RUNNING' || t.lastStatus === 'STOPPED') fail('InvalidParameterException', `Task ${id} is already ${t.lastStatus === 'STOPPED' ? 'stopped' : 'stopping'}: only a task desired RUNNING can be interrupted.`);
      return [selected(s, t)];
    }
    fail('InvalidParameterException', `Task ${id} was not found in cluster ${snapshots.map((s) => s.cluster).join(', ') || '(none)'}: pass --cluster if it is in another one.`);
  }
  const candidates: Selected[] = [];
  for (const s of snapshots) {
    if (r.service !== undefined && !s.services.some((x) => x.value.serviceName === r.service && x.value.status !== 'INACTIVE')) continue;
    const tasks = r.service !== undefined ? s.tasksWhere({ group: `service:${r.service}`, desiredStatus: 'RUNNING' }) : s.tasksWhere({ desiredStatus: 'RUNNING' });
    for (const t of tasks) {
      if (t.capacityProviderName !== SPOT_PROVIDER || t.lastStatus !== 'RUNNING') continue;
      const sel = selected(s, t);
      if (r.zone === undefined || sel.zone === r.zone) candidates.push(sel);
    }
  }
  if (r.service !== undefined && !snapshots.some((s) => s.services.some((x) => x.value.serviceName === r.service && x.value.status !== 'INACTIVE'))) {
    fail('ServiceNotFoundException', `Service ${r.service} was not found in cluster ${snapshots.map((s) => s.cluster).join(', ')}: pass --cluster if it is in another one.`);
  }
  if (candidates.length === 0) {
    const where = [r.service !== undefined && `service ${r.service}`, r.zone !== undefined && `zone ${r.zone}`].filter(Boolean).join(' in ');
    fail('InvalidParameterException', `No RUNNING FARGATE_SPOT task in ${where}: nothing to interrupt ('berth ps' lists tasks; --task interrupts any one task).`);
  }
  candidates.sort((a, b) => b.task.createdAt - a.task.createdAt || b.task.taskArn.localeCompare(a.task.taskArn));
  const count = r.count ?? (r.service !== undefined ? 1 : candidates.length);
  return candidates.slice(0, Math.min(count, MAX_INTERRUPT_COUNT));
}
