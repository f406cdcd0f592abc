import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorXml, S3Error } from './errors.ts';

test('an error body is S3\'s: Code, Message, the details of the code, RequestId, HostId, no namespace', () => {
  const body = errorXml(new S3Error('NoSuchBucket', undefined, { BucketName: 'my-bucket' }), 'REQ1', 'HOST1');
  assert.equal(body, '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message>'
    + '<BucketName>my-bucket</BucketName><RequestId>REQ1</RequestId><HostId>HOST1</HostId></Error>');
  assert.equal(new S3Error('NoSuchBucket').status, 404);
  assert.equal(new S3Error('InvalidRange').status, 416);
  assert.equal(new S3Error('BucketNotEmpty').status, 409);
});
