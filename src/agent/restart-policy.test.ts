import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decideRestart, nextBackoff, terminationReason,
  RESTART_BACKOFF_INITIAL_SECONDS, RESTART_BACKOFF_MAX_SECONDS, RESTART_BACKOFF_RESET_SECONDS,
} from './restart-policy.ts';

const run = (exitCode: number, startedAt = 1000, exitedAt = 1005) => ({ exitCode, startedAt, exitedAt });

test('Kubernetes policies: Never never, OnFailure only after a failure, Always after any exit', () => {
  assert.equal(decideRestart(undefined, run(1), { count: 0 }).restart, false);
  assert.equal(decideRestart({ policy: 'Never' }, run(1), { count: 0 }).restart, false);
  assert.deepEqual(decideRestart({ policy: 'OnFailure' }, run(0), { count: 0 }), { restart: false, why: 'it succeeded (OnFailure)' });
  assert.deepEqual(decideRestart({ policy: 'OnFailure' }, run(2), { count: 0 }), { restart: true, delaySeconds: 10, backoffSeconds: 10 });
  assert.deepEqual(decideRestart({ policy: 'Always' }, run(0), { count: 0 }), { restart: true, delaySeconds: 10, backoffSeconds: 10 });
});

test('the back-off: 10 s, doubling to 5 min; a run of 10 min starts it afresh', () => {
  const seen: number[] = [];
  let b: number | undefined;
  for (let i = 0; i < 8; i++) seen.push(b = nextBackoff(b, 1));
  assert.deepEqual(seen, [10, 20, 40, 80, 160, 300, 300, 300]);
  assert.equal(nextBackoff(RESTART_BACKOFF_MAX_SECONDS, RESTART_BACKOFF_RESET_SECONDS - 1), RESTART_BACKOFF_MAX_SECONDS);
  assert.equal(nextBackoff(RESTART_BACKOFF_MAX_SECONDS, RESTART_BACKOFF_RESET_SECONDS), RESTART_BACKOFF_INITIAL_SECONDS);
  const d = decideRestart({ policy: 'Always' }, run(1, 0, 30), { count: 3, lastRestartAt: 0, backoffSeconds: 40 });
  assert.deepEqual(d, { restart: true, delaySeconds: 80, backoffSeconds: 80 });
});

test('ECS: any exit but the ignored codes, at once, once the container has run its attempt period (since start, then since its last restart)', () => {
  const ecs = { policy: 'Always' as const, ignoredExitCodes: [0], attemptPeriodSeconds: 60 };
  assert.deepEqual(decideRestart(ecs, run(1, 1000, 1061), { count: 0 }), { restart: true, delaySeconds: 0 });
  assert.deepEqual(decideRestart(ecs, run(0, 1000, 1061), { count: 0 }), { restart: false, why: 'exit code 0 is ignored' });
  assert.deepEqual(decideRestart(ecs, run(1, 1000, 1030), { count: 0 }), { restart: false, why: 'it ran 30 s, less than its restartAttemptPeriod of 60 s' });
  // Since its last restart: the second run ended 40 s after the restart.
  assert.equal(decideRestart(ecs, run(1, 1061, 1101), { count: 1, lastRestartAt: 1061 }).restart, false);
  assert.equal(decideRestart(ecs, run(1, 1061, 1121), { count: 1, lastRestartAt: 1061 }).restart, true);
});

test('a terminated container\'s reason, as Kubernetes names it', () => {
  assert.equal(terminationReason(0, false), 'Completed');
  assert.equal(terminationReason(1, false), 'Error');
  assert.equal(terminationReason(137, true), 'OOMKilled');
});
