/**
 * CloudWatch Logs' input constraints that the front door's model walk does not check
 * (patterns, lengths, ranges), answered as the service answers them: an
 * InvalidParameterException "1 validation error detected: Value '…' at '…' failed to satisfy
 * constraint: …".
 */
import { fail } from '../core/errors.ts';
import { RETENTION_DAYS } from './records.ts';

function violation(value: unknown, at: string, constraint: string): never {
  fail('InvalidParameterException', `1 validation error detected: Value '${String(value)}' at '${at}' failed to satisfy constraint: ${constraint}`);
}

const GROUP_NAME = /^[.\-_/#A-Za-z0-9]+$/;
const STREAM_NAME = /^[^:*]*$/;

export function checkGroupName(name: string, at = 'logGroupName'): void {
  if (name.length < 1) violation(name, at, 'Member must have length greater than or equal to 1');
  if (name.length > 512) violation(name, at, 'Member must have length less than or equal to 512');
  if (!GROUP_NAME.test(name)) violation(name, at, 'Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+');
}

export function checkStreamName(name: string, at = 'logStreamName'): void {
  if (name.length < 1) violation(name, at, 'Member must have length greater than or equal to 1');
  if (name.length > 512) violation(name, at, 'Member must have length less than or equal to 512');
  if (!STREAM_NAME.test(name)) violation(name, at, 'Member must satisfy regular expression pattern: [^:*]*');
}

export function checkRange(value: number | undefined, at: string, min: number, max: number): void {
  if (value === undefined) return;
  if (value < min) violation(value, at, `Member must have value greater than or equal to ${min}`);
  if (value > max) violation(value, at, `Member must have value less than or equal to ${max}`);
}

export function checkRetention(days: number): void {
  if (!(RETENTION_DAYS as readonly number[]).includes(days)) {
    violation(days, 'retentionInDays', `Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`);
  }
}

/** Tag maps: 1–50 tags, keys 1–128 and values 0–256 characters (the model's bounds). */
export function checkTags(tags: Readonly<Record<string, string>>, at = 'tags'): void {
  const n = Object.keys(tags).length;
  if (n < 1) violation('{}', at, 'Member must have length greater than or equal to 1');
  if (n > 50) violation(`{${n} tags}`, at, 'Member must have length less than or equal to 50');
  for (const [k, v] of Object.entries(tags)) {
    if (k.length < 1 || k.length > 128 || !/^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$/u.test(k)) violation(k, `${at}.key`, 'Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+)$');
    if (v.length > 256) violation(v, `${at}.${k}.member`, 'Member must have length less than or equal to 256');
  }
}
