import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiError } from '../../core/errors.ts';
import { evaluatePolicy, parsePolicy, type LifecycleImage } from './lifecycle-policy.ts';

const DAY = 86_400_000;
const NOW = 100 * DAY;
const img = (digest: string, ageDays: number, ...tags: string[]): LifecycleImage => ({ digest, tags, pushedAt: NOW - ageDays * DAY });
const policy = (...rules: object[]) => parsePolicy(JSON.stringify({ rules }));
const rule = (rulePriority: number, selection: object) => ({ rulePriority, selection, action: { type: 'expire' } });
const expired = (p: ReturnType<typeof parsePolicy>, images: LifecycleImage[]) => evaluatePolicy(p, images, NOW).map((e) => `${e.digest}@${e.rulePriority}`);

test('untagged images older than N days expire', () => {
  const p = policy(rule(1, { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 }));
  assert.deepEqual(expired(p, [img('a', 20), img('b', 10), img('c', 30, 'v1')]), ['a@1']);
});

test('keep the last N images with a tag prefix', () => {
  const p = policy(rule(1, { tagStatus: 'tagged', tagPrefixList: ['prod'], countType: 'imageCountMoreThan', countNumber: 2 }));
  const images = [img('a', 1, 'prod-3'), img('b', 2, 'prod-2'), img('c', 3, 'prod-1'), img('d', 4, 'dev-1')];
  assert.deepEqual(expired(p, images), ['c@1']);
});

test('every prefix of the list must be matched by some tag', () => {
  const p = policy(rule(1, { tagStatus: 'tagged', tagPrefixList: ['prod', 'v'], countType: 'imageCountMoreThan', countNumber: 1 }));
  assert.deepEqual(expired(p, [img('a', 1, 'prod', 'v2'), img('b', 2, 'prod'), img('c', 3, 'prod-x', 'v1')]), ['c@1']);
});

test('tag patterns use * wildcards', () => {
  const p = policy(rule(1, { tagStatus: 'tagged', tagPatternList: ['release-*-final'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }));
  assert.deepEqual(expired(p, [img('a', 5, 'release-1-final'), img('b', 5, 'release-1')]), ['a@1']);
});

test('an image selected by a higher-priority rule is out of reach of lower ones', () => {
  const p = policy(
    rule(1, { tagStatus: 'tagged', tagPrefixList: ['keep'], countType: 'imageCountMoreThan', countNumber: 10 }),
    rule(2, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }),
  );
  const images = [img('a', 1, 'keep-1'), img('b', 2, 'keep-2'), img('c', 3), img('d', 4, 'other')];
  assert.deepEqual(expired(p, images), ['d@2']);
});

test('invalid policies are refused with a reason', () => {
  const bad = [
    '{',
    JSON.stringify({ rules: [] }),
    JSON.stringify({ rules: [rule(1, { tagStatus: 'tagged', countType: 'imageCountMoreThan', countNumber: 1 })] }),
    JSON.stringify({ rules: [rule(1, { tagStatus: 'untagged', tagPrefixList: ['x'], countType: 'imageCountMoreThan', countNumber: 1 })] }),
    JSON.stringify({ rules: [rule(1, { tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 1 })] }),
    JSON.stringify({ rules: [rule(1, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 0 })] }),
    JSON.stringify({ rules: [rule(2, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }), rule(3, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 })] }),
    JSON.stringify({ rules: [rule(1, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }), rule(1, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 2 })] }),
  ];
  for (const text of bad) assert.throws(() => parsePolicy(text), (e: ApiError) => e.code === 'InvalidParameterException', text);
});
