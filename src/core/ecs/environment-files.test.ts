import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import { checkEnvironmentFiles, parseS3ObjectArn } from './environment-files.ts';

test('an S3 object ARN names a bucket and a key (which may have slashes, colons and spaces)', () => {
  assert.deepEqual(parseS3ObjectArn('arn:aws:s3:::config/app.env'), { bucket: 'config', key: 'app.env' });
  assert.deepEqual(parseS3ObjectArn('arn:aws-us-gov:s3:::my.bucket/a/b:c d.env'), { bucket: 'my.bucket', key: 'a/b:c d.env' });
});

test('anything else is not one', () => {
  for (const v of ['s3://config/app.env', 'arn:aws:s3:::config', 'arn:aws:s3:::config/', 'arn:aws:s3:us-east-1::config/a.env',
    'arn:aws:s3::123456789012:config/a.env', 'arn:aws:ecs:::config/a.env', 'arn:aws:s3:::Bad_Bucket/a.env', '']) {
    assert.equal(parseS3ObjectArn(v), undefined, v);
  }
});

test('RegisterTaskDefinition takes up to ten S3 object ARNs per container', () => {
  const file = (value: string) => ({ type: 's3', value });
  checkEnvironmentFiles('app', undefined);
  checkEnvironmentFiles('app', Array.from({ length: 10 }, (_, i) => file(`arn:aws:s3:::config/${i}.env`)));
  const refused = (files: unknown, message: RegExp) => assert.throws(() => checkEnvironmentFiles('app', files), (e: unknown) => e instanceof ApiError && e.code === 'ClientException' && message.test(e.message));
  refused(Array.from({ length: 11 }, (_, i) => file(`arn:aws:s3:::config/${i}.env`)), /at most 10/);
  refused([file('s3://config/app.env')], /^Invalid arn syntax: .*'s3:\/\/config\/app.env' in container 'app'.*arn:aws:s3:::<bucket>\/<key>/);
});
