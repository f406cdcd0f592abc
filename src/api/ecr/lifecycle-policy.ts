/**
 * ECR lifecycle policies, parsed and evaluated without I/O ("Lifecycle policy
 * properties" in the ECR user guide).
 *
 * Evaluation: rules run in ascending `rulePriority`. A rule selects the images not yet
 * selected by a higher-priority rule whose tags match it (untagged: no tags; tagged: for
 * every prefix / pattern in the list, some tag matches; any: all). Of those, it expires
 * - `imageCountMoreThan`: all but the `countNumber` most recently pushed;
 * - `sinceImagePushed`: those pushed more than `countNumber` days ago.
 * Every image a rule selects, expired or kept, is out of reach of lower-priority rules:
 * "an image that matches the tagging requirements of a rule cannot be expired by a rule
 * with a lower priority".
 */

import { ApiError } from '../../core/errors.ts';

/** A policy has at most 50 rules (ECR service quotas). */
export const MAX_RULES = 50;
/** tagPatternList entries may hold at most four wildcards (ECR user guide). */
const MAX_WILDCARDS = 4;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface LifecycleRule {
  readonly rulePriority: number;
  readonly description?: string;
  readonly selection: {
    readonly tagStatus: 'tagged' | 'untagged' | 'any';
    readonly tagPrefixList?: readonly string[];
    readonly tagPatternList?: readonly string[];
    readonly countType: 'imageCountMoreThan' | 'sinceImagePushed';
    readonly countUnit?: 'days';
    readonly countNumber: number;
  };
  readonly action: { readonly type: 'expire' };
}

export interface LifecyclePolicy {
  readonly rules: readonly LifecycleRule[];
}

export interface LifecycleImage {
  readonly digest: string;
  readonly tags: readonly string[];
  /** Epoch milliseconds. */
  readonly pushedAt: number;
}

export interface Expiry extends LifecycleImage {
  readonly rulePriority: number;
}

function invalid(why: string): never {
  throw new ApiError('InvalidParameterException', `Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: ${why}'`);
}

export function parsePolicy(text: string): LifecyclePolicy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    invalid('the policy is not valid JSON');
  }
  if (!isObject(doc) || !Array.isArray(doc.rules) || doc.rules.length === 0) invalid('the policy must be an object with a non-empty "rules" list');
  if (doc.rules.length > MAX_RULES) invalid(`a policy has at most ${MAX_RULES} rules`);
  const rules = doc.rules.map((r, i) => parseRule(r, i));
  const priorities = new Set<number>();
  for (const r of rules) {
    if (priorities.has(r.rulePriority)) invalid(`rulePriority ${r.rulePriority} is used by more than one rule; give each rule its own`);
    priorities.add(r.rulePriority);
  }
  const anyRules = rules.filter((r) => r.selection.tagStatus === 'any');
  const highest = Math.max(...rules.map((r) => r.rulePriority));
  if (anyRules.length > 1 || (anyRules.length === 1 && anyRules[0]!.rulePriority !== highest)) {
    invalid('a rule with tagStatus "any" must be the only one and have the highest rulePriority');
  }
  return { rules: [...rules].sort((a, b) => a.rulePriority - b.rulePriority) };
}

function parseRule(value: unknown, i: number): LifecycleRule {
  const where = `rules[${i}]`;
  if (!isObject(value)) invalid(`${where} must be an object`);
  const { rulePriority, description, selection, action } = value;
  if (!Number.isInteger(rulePriority) || (rulePriority as number) < 1) invalid(`${where}.rulePriority must be an integer of 1 or more`);
  if (description !== undefined && typeof description !== 'string') invalid(`${where}.description must be a string`);
  if (!isObject(selection)) invalid(`${where}.selection is required`);
  if (!isObject(action) || action.type !== 'expire') invalid(`${where}.action.type must be "expire"`);
  const { tagStatus, tagPrefixList, tagPatternList, countType, countUnit, countNumber } = selection;
  if (tagStatus !== 'tagged' && tagStatus !== 'untagged' && tagStatus !== 'any') invalid(`${where}.selection.tagStatus must be "tagged", "untagged" or "any"`);
  const prefixes = stringList(tagPrefixList, `${where}.selection.tagPrefixList`);
  const patterns = stringList(tagPatternList, `${where}.selection.tagPatternList`);
  if (tagStatus === 'tagged' && !prefixes?.length && !patterns?.length) invalid(`${where}: a "tagged" rule needs a tagPrefixList or a tagPatternList`);
  if (prefixes && patterns) invalid(`${where}: give a tagPrefixList or a tagPatternList, not both`);
  if (tagStatus !== 'tagged' && (prefixes || patterns)) invalid(`${where}: tagPrefixList and tagPatternList are only for tagStatus "tagged"`);
  for (const p of patterns ?? []) if ((p.match(/\*/g)?.length ?? 0) > MAX_WILDCARDS) invalid(`${where}: pattern '${p}' has more than ${MAX_WILDCARDS} wildcards`);
  if (countType !== 'imageCountMoreThan' && countType !== 'sinceImagePushed') invalid(`${where}.selection.countType must be "imageCountMoreThan" or "sinceImagePushed"`);
  if (!Number.isInteger(countNumber) || (countNumber as number) < 1) invalid(`${where}.selection.countNumber must be an integer of 1 or more`);
  if (countType === 'sinceImagePushed' && countUnit !== 'days') invalid(`${where}: countType "sinceImagePushed" needs countUnit "days"`);
  if (countType === 'imageCountMoreThan' && countUnit !== undefined) invalid(`${where}: countUnit is only for countType "sinceImagePushed"`);
  return {
    rulePriority: rulePriority as number,
    ...(typeof description === 'string' && { description }),
    selection: {
      tagStatus,
      ...(prefixes && { tagPrefixList: prefixes }),
      ...(patterns && { tagPatternList: patterns }),
      countType,
      ...(countUnit === 'days' && { countUnit }),
      countNumber: countNumber as number,
    },
    action: { type: 'expire' },
  };
}

/** The images `policy` expires, at `now`, each with the priority of the rule that did it. */
export function evaluatePolicy(policy: LifecyclePolicy, images: readonly LifecycleImage[], now: number): Expiry[] {
  const selected = new Set<string>();
  const expired: Expiry[] = [];
  for (const rule of policy.rules) {
    const matching = images.filter((img) => !selected.has(img.digest) && matches(rule, img));
    for (const img of matching) selected.add(img.digest);
    const { countType, countNumber } = rule.selection;
    let doomed: LifecycleImage[];
    if (countType === 'imageCountMoreThan') {
      doomed = [...matching].sort((a, b) => b.pushedAt - a.pushedAt || a.digest.localeCompare(b.digest)).slice(countNumber);
    } else {
      doomed = matching.filter((img) => img.pushedAt < now - countNumber * DAY_MS);
    }
    for (const img of doomed) expired.push({ ...img, rulePriority: rule.rulePriority });
  }
  return expired;
}

function matches(rule: LifecycleRule, img: LifecycleImage): boolean {
  const { tagStatus, tagPrefixList, tagPatternList } = rule.selection;
  if (tagStatus === 'any') return true;
  if (tagStatus === 'untagged') return img.tags.length === 0;
  if (img.tags.length === 0) return false;
  if (tagPrefixList) return tagPrefixList.every((p) => img.tags.some((t) => t.startsWith(p)));
  return (tagPatternList ?? []).every((p) => img.tags.some((t) => wildcardMatch(p, t)));
}

function wildcardMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}

function stringList(value: unknown, where: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.length > 0)) invalid(`${where} must be a list of non-empty strings`);
  return value as string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
