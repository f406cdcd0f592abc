import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterCheck, healthArgv, healthSpec, taskHealth } from './health.ts';

const spec = healthSpec({ command: ['CMD-SHELL', 'true'], retries: 2, startPeriod: 10 });

test('ECS defaults fill in interval, timeout and retries', () => {
  assert.deepEqual(healthSpec({ command: ['CMD', 'x'] }), { command: ['CMD', 'x'], interval: 30, timeout: 5, retries: 3, startPeriod: 0 });
});

test('CMD runs its arguments; CMD-SHELL runs a shell; NONE runs nothing', () => {
  assert.deepEqual(healthArgv(['CMD', 'wget', '-q', 'x']), ['wget', '-q', 'x']);
  assert.deepEqual(healthArgv(['CMD-SHELL', 'curl -f localhost || exit 1']), ['/bin/sh', '-c', 'curl -f localhost || exit 1']);
  assert.equal(healthArgv(['NONE']), undefined);
});

test('failures in the start period do not count; retries failures in a row make it UNHEALTHY', () => {
  let s = { status: 'UNKNOWN' as const, failures: 0 } as ReturnType<typeof afterCheck>;
  s = afterCheck(s, false, 5, spec);
  assert.deepEqual(s, { status: 'UNKNOWN', failures: 0 });
  s = afterCheck(s, false, 11, spec);
  assert.deepEqual(s, { status: 'UNKNOWN', failures: 1 });
  s = afterCheck(s, false, 12, spec);
  assert.deepEqual(s, { status: 'UNHEALTHY', failures: 2 });
  s = afterCheck(s, true, 13, spec);
  assert.deepEqual(s, { status: 'HEALTHY', failures: 0 });
});

test('a task is as healthy as its essential checked containers', () => {
  assert.equal(taskHealth([{ essential: true, checked: false, status: 'UNKNOWN' }]), 'UNKNOWN');
  assert.equal(taskHealth([{ essential: true, checked: true, status: 'HEALTHY' }, { essential: false, checked: true, status: 'UNHEALTHY' }]), 'HEALTHY');
  assert.equal(taskHealth([{ essential: true, checked: true, status: 'HEALTHY' }, { essential: true, checked: true, status: 'UNHEALTHY' }]), 'UNHEALTHY');
});
