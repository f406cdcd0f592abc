import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketNameProblem, checkKey, checkNewBucketName, couldBeBucketName } from './names.ts';
import { S3Error } from './errors.ts';

test('bucket names S3 accepts', () => {
  for (const name of ['abc', 'my-bucket', 'my.bucket.v2', '0ab', 'a'.repeat(63), 'config']) assert.equal(bucketNameProblem(name), undefined, name);
});

for (const [name, why] of [
  ['ab', /3 to 63/], ['a'.repeat(64), /3 to 63/], ['My-Bucket', /lower-case/], ['my_bucket', /lower-case/],
  ['-bucket', /begins and ends/], ['bucket-', /begins and ends/], ['my..bucket', /adjacent dots/], ['192.168.5.4', /IP address/],
  ['xn--bucket', /xn--/], ['sthree-b', /sthree-/], ['amzn-s3-demo-bucket', /amzn-s3-demo-/], ['bucket-s3alias', /-s3alias/], ['b--ol-s3', /--ol-s3/],
] as const) {
  test(`refuses the bucket name '${name.length > 20 ? `${name.slice(0, 8)}…` : name}' with InvalidBucketName`, () => {
    assert.match(bucketNameProblem(name) ?? '', why);
    assert.throws(() => checkNewBucketName(name), (e: unknown) => e instanceof S3Error && e.code === 'InvalidBucketName' && e.status === 400 && e.details.BucketName === name);
  });
}

test('legacy-looking names can be looked up (and are simply not found); others cannot name a bucket at all', () => {
  assert.equal(couldBeBucketName('Legacy_Bucket'), true);
  assert.equal(couldBeBucketName('a/b'), false);
  assert.equal(couldBeBucketName('x'.repeat(256)), false);
});

test('keys: up to 1024 UTF-8 bytes, not empty, no lone surrogates', () => {
  checkKey('a/b/c.txt');
  checkKey('é'.repeat(512));
  checkKey('😀 spaces & symbols');
  assert.throws(() => checkKey('é'.repeat(513)), (e: unknown) => e instanceof S3Error && e.code === 'KeyTooLongError' && e.status === 400);
  assert.throws(() => checkKey(''), (e: unknown) => e instanceof S3Error && e.code === 'InvalidArgument');
  assert.throws(() => checkKey('a\ud800b'), (e: unknown) => e instanceof S3Error && e.code === 'InvalidArgument');
});
