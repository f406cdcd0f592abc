/**
 * Task scale-in protection (UpdateTaskProtection, GetTaskProtection; developer guide, "Task
 * scale-in protection"): a task of a service marked protected is not chosen to stop by
 * scale-in or by a deployment, until the protection expires or is turned off. Kept in the
 * task record (`protectedUntil`), without a new task version: it is no state change, and
 * ECS sends no task event for it. Pure.
 */
import { fail } from '../errors.ts';
import type { TaskRecord } from './task.ts';

/** Protection lasts 2 hours unless the request says otherwise (UpdateTaskProtection reference). */
export const DEFAULT_PROTECTION_MINUTES = 120;
/** From 1 minute to 2,880 minutes (48 hours). */
export const MIN_PROTECTION_MINUTES = 1;
export const MAX_PROTECTION_MINUTES = 2880;
/** UpdateTaskProtection takes up to 10 tasks; GetTaskProtection up to 100 (API reference). */
export const MAX_UPDATE_PROTECTION_TASKS = 10;
export const MAX_GET_PROTECTION_TASKS = 100;

export interface ProtectedTaskView {
  taskArn: string;
  protectionEnabled: boolean;
  /** Epoch seconds; only while protected. */
  expirationDate?: number;
}

/** The request's own rules, checked before any task is looked up. */
export function checkProtectionRequest(count: number, max: number, expiresInMinutes: number | undefined): void {
  if (count < 1 || count > max) fail('InvalidParameterException', `tasks must name 1 to ${max} tasks; ${count} were given.`);
  if (expiresInMinutes !== undefined && (!Number.isInteger(expiresInMinutes) || expiresInMinutes < MIN_PROTECTION_MINUTES || expiresInMinutes > MAX_PROTECTION_MINUTES)) {
    fail('InvalidParameterException', `expiresInMinutes must be between ${MIN_PROTECTION_MINUTES} and ${MAX_PROTECTION_MINUTES} minutes (48 hours); it was ${expiresInMinutes}.`);
  }
}

/** Whether the task is protected at `nowSeconds`. */
export function isProtected(t: Pick<TaskRecord, 'protectedUntil'>, nowSeconds: number): boolean {
  return t.protectedUntil !== undefined && t.protectedUntil > nowSeconds;
}

export function protectionView(t: TaskRecord, nowSeconds: number): ProtectedTaskView {
  return isProtected(t, nowSeconds)
    ? { taskArn: t.taskArn, protectionEnabled: true, expirationDate: t.protectedUntil! }
    : { taskArn: t.taskArn, protectionEnabled: false };
}

/**
 * Why a task cannot be protected, as an ECS failure reason: only tasks of a service can
 * (TASK_NOT_VALID for a standalone task, UpdateTaskProtection reference), and only while
 * they are meant to run.
 */
export function protectionRefusal(t: TaskRecord): { reason: string; detail: string } | undefined {
  if (!t.group.startsWith('service:')) return { reason: 'TASK_NOT_VALID', detail: 'The task is not part of a service: only tasks of a service can be protected from scale-in.' };
  if (t.desiredStatus === 'STOPPED' || t.lastStatus === 'STOPPED') return { reason: 'TASK_NOT_VALID', detail: 'The task is stopping or stopped: only running tasks can be protected.' };
  return undefined;
}

/** The task with protection turned on (for `expiresInMinutes`, default 120) or off, at `nowSeconds`. */
export function withProtection(t: TaskRecord, enabled: boolean, expiresInMinutes: number | undefined, nowSeconds: number): TaskRecord {
  const { protectedUntil: _old, ...rest } = t;
  return enabled ? { ...rest, protectedUntil: Math.floor(nowSeconds) + (expiresInMinutes ?? DEFAULT_PROTECTION_MINUTES) * 60 } : rest;
}
