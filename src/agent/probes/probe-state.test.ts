import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterProbe, containerVerdict, firstProbeAt, initialProbeState, killsOnFailure, type ProbeState } from './probe-state.ts';

const run = (s: ProbeState, results: boolean[], spec = { successThreshold: 1, failureThreshold: 3 }) => results.reduce((st, r) => afterProbe(st, r, spec), s);

test('before a probe runs: liveness passes, readiness fails, startup is unknown', () => {
  assert.equal(initialProbeState('liveness').result, 'success');
  assert.equal(initialProbeState('readiness').result, 'failure');
  assert.equal(initialProbeState('startup').result, 'unknown');
});

test('failures count in a row: the threshold\'s third failure fails it, a pass between starts the count again', () => {
  const live = initialProbeState('liveness');
  assert.equal(run(live, [false, false]).result, 'success');
  assert.equal(run(live, [false, false, false]).result, 'failure');
  assert.equal(run(live, [false, false, true, false, false]).result, 'success');
  assert.equal(run(live, [false, false, true, false, false]).failures, 2);
});

test('successes count in a row too: readiness with successThreshold 2 needs two passes, and one failure does not unready it', () => {
  const spec = { successThreshold: 2, failureThreshold: 2 };
  const ready = initialProbeState('readiness');
  assert.equal(run(ready, [true], spec).result, 'failure');
  assert.equal(run(ready, [true, false, true], spec).result, 'failure');
  assert.equal(run(ready, [true, true], spec).result, 'success');
  assert.equal(run(ready, [true, true, false], spec).result, 'success');
  assert.equal(run(ready, [true, true, false, false], spec).result, 'failure');
});

test('the first probe waits its initial delay from the container\'s start', () => {
  assert.equal(firstProbeAt(10_000, { initialDelaySeconds: 5 }, 11_000), 15_000);
  assert.equal(firstProbeAt(10_000, { initialDelaySeconds: 0 }, 11_000), 11_000, 'not in the past');
});

test('started and ready: a startup probe holds both back; without a readiness probe a started container is ready', () => {
  const ok = { result: 'success' as const, successes: 1, failures: 0 };
  const unknown = initialProbeState('startup');
  assert.deepEqual(containerVerdict({}, {}), { started: true, ready: true });
  assert.deepEqual(containerVerdict({ startup: unknown }, { startup: 1 }), { started: false, ready: false });
  assert.deepEqual(containerVerdict({ startup: ok }, { startup: 1 }), { started: true, ready: true });
  assert.deepEqual(containerVerdict({ startup: ok, readiness: initialProbeState('readiness') }, { startup: 1, readiness: 1 }), { started: true, ready: false });
  assert.deepEqual(containerVerdict({ readiness: ok }, { readiness: 1 }), { started: true, ready: true });
  assert.equal(killsOnFailure('liveness'), true);
  assert.equal(killsOnFailure('startup'), true);
  assert.equal(killsOnFailure('readiness'), false);
});
