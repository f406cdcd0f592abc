import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import { fargateProfileFor, newFargateProfile, type FargateProfileRecord } from './fargate-profile.ts';

const cluster = { name: 'c', arn: 'arn:aws:eks:us-east-1:000000000000:cluster/c' };
const ROLE = 'arn:aws:iam::000000000000:role/pods';
const profile = (name: string, selectors: { namespace: string; labels?: Record<string, string> }[], status: FargateProfileRecord['status'] = 'ACTIVE'): FargateProfileRecord =>
  ({ ...newFargateProfile(cluster, { fargateProfileName: name, podExecutionRoleArn: ROLE, selectors }, 'id', 0), status });

test('a pod runs on the first ACTIVE profile by name whose selector has its namespace and all the selector\'s labels', () => {
  const profiles = [
    profile('z-all-web', [{ namespace: 'web' }]),
    profile('a-canary', [{ namespace: 'web', labels: { track: 'canary', tier: 'front' } }]),
    profile('b-jobs', [{ namespace: 'batch' }, { namespace: 'cron' }]),
    profile('c-gone', [{ namespace: 'old' }], 'DELETING'),
  ];
  assert.equal(fargateProfileFor('web', { track: 'canary', tier: 'front', x: '1' }, profiles)?.fargateProfileName, 'a-canary');
  assert.equal(fargateProfileFor('web', { track: 'canary' }, profiles)?.fargateProfileName, 'z-all-web', 'a selector needs all of its labels');
  assert.equal(fargateProfileFor('cron', {}, profiles)?.fargateProfileName, 'b-jobs', 'any selector of a profile');
  assert.equal(fargateProfileFor('old', {}, profiles), undefined, 'only ACTIVE profiles');
  assert.equal(fargateProfileFor('default', {}, profiles), undefined);
});

test('profiles need 1 to 5 selectors, each with a namespace and at most 5 labels', () => {
  const refused = (selectors: { namespace?: string; labels?: Record<string, string> }[]) =>
    assert.throws(() => newFargateProfile(cluster, { fargateProfileName: 'p', podExecutionRoleArn: ROLE, selectors }, 'id', 0), (e: unknown) => e instanceof ApiError && e.code === 'InvalidParameterException' && e.members.fargateProfileName === 'p');
  refused([]);
  refused(Array.from({ length: 6 }, (_, i) => ({ namespace: `n${i}` })));
  refused([{ labels: { a: 'b' } }]);
  refused([{ namespace: 'n', labels: Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`k${i}`, 'v'])) }]);
  const p = newFargateProfile(cluster, { fargateProfileName: 'p', podExecutionRoleArn: ROLE, selectors: [{ namespace: 'n' }] }, 'id', 0);
  assert.equal(p.status, 'CREATING');
  assert.equal(p.fargateProfileArn, 'arn:aws:eks:us-east-1:000000000000:fargateprofile/c/p/id');
});
