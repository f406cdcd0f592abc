import { test } from 'node:test';
import assert from 'node:assert/strict';
import { credentialsAnswer, TaskCredentials } from './task-credentials.ts';

const creds = (expiration: number) => ({ roleArn: 'arn:aws:iam::000000000000:role/app', accessKeyId: `ASIA${expiration}`, secretAccessKey: 's', sessionToken: 't', expiration });

test('only newer credentials replace older ones; a stopped task leaves', () => {
  const c = new TaskCredentials();
  c.set('task/a', creds(1000));
  c.set('task/a', creds(2000));
  c.set('task/a', creds(1500));
  assert.equal(c.get('task/a')?.expiration, 2000);
  c.set('task/b', creds(1000));
  c.delete('task/a');
  assert.equal(c.get('task/a'), undefined);
  assert.equal(c.size, 1);
});

test('the answer has the names the SDKs read, the expiration without milliseconds', () => {
  assert.deepEqual(credentialsAnswer(creds(Date.UTC(2026, 11, 7, 10, 0, 0, 500))), {
    RoleArn: 'arn:aws:iam::000000000000:role/app', AccessKeyId: `ASIA${Date.UTC(2026, 11, 7, 10, 0, 0, 500)}`, SecretAccessKey: 's', Token: 't', Expiration: '2026-12-07T10:00:00Z',
  });
});
