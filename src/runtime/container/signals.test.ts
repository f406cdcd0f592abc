import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeSignal, signalNumber, signalOfExitCode } from './signals.ts';

test('stop signals by name, short name or number', () => {
  assert.equal(normalizeSignal(undefined), 'SIGTERM');
  assert.equal(normalizeSignal('QUIT'), 'SIGQUIT');
  assert.equal(normalizeSignal('sigusr1'), 'SIGUSR1');
  assert.equal(normalizeSignal('9'), 'SIGKILL');
  assert.equal(normalizeSignal('SIGRTMIN+3'), 'SIGRTMIN+3');
  assert.equal(normalizeSignal('37'), 'SIGRTMIN+3');
  assert.throws(() => normalizeSignal('SIGNOPE'), /not a Linux signal/);
  assert.equal(signalNumber('SIGQUIT'), 3);
  assert.equal(signalNumber('SIGRTMIN+3'), 37);
});

test('128+n exit codes name the signal; ordinary codes do not', () => {
  assert.equal(signalOfExitCode(137), 'SIGKILL');
  assert.equal(signalOfExitCode(143), 'SIGTERM');
  assert.equal(signalOfExitCode(7), undefined);
  assert.equal(signalOfExitCode(128), undefined);
  assert.equal(signalOfExitCode(255), undefined);
});
