import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExitStatus } from './container.ts';
import { KILL_WAIT_MS, signalledExit, stopSequence, type Stoppable } from './stop-sequence.ts';

/** A container that ends on the signals in `endsOn` (with 128+n), and records what it was sent and how long each wait was. */
function fake(endsOn: readonly string[], exited?: ExitStatus): Stoppable & { sent: string[]; waits: number[] } {
  let exit = exited;
  const c = {
    id: 'c1',
    sent: [] as string[],
    waits: [] as number[],
    exitStatus: () => exit,
    kill: (signal: string) => {
      c.sent.push(signal);
      if (endsOn.includes(signal)) exit = signalledExit(signal, false);
      return Promise.resolve();
    },
    wait: (timeoutMs: number) => {
      c.waits.push(timeoutMs);
      return Promise.resolve(exit);
    },
  };
  return c;
}

test('a container that heeds its stop signal gets only that, and its wait is the stop timeout', async () => {
  const c = fake(['SIGQUIT']);
  assert.deepEqual(await stopSequence(c, 'SIGQUIT', 30), { exitCode: 131, oomKilled: false, signal: 'SIGQUIT' });
  assert.deepEqual(c.sent, ['SIGQUIT']);
  assert.deepEqual(c.waits, [30_000]);
});

test('one that ignores it gets SIGKILL after the stop timeout, then a wait of KILL_WAIT_MS', async () => {
  const c = fake(['SIGKILL']);
  assert.deepEqual(await stopSequence(c, 'SIGTERM', 2), { exitCode: 137, oomKilled: false, signal: 'SIGKILL' });
  assert.deepEqual(c.sent, ['SIGTERM', 'SIGKILL']);
  assert.deepEqual(c.waits, [2000, KILL_WAIT_MS]);
});

test('one that already ended is not signalled: its exit status as it was', async () => {
  const ended = { exitCode: 0, oomKilled: false };
  const c = fake([], ended);
  assert.equal(await stopSequence(c, 'SIGTERM', 30), ended);
  assert.deepEqual(c.sent, []);
  assert.deepEqual(c.waits, []);
});

test('one that outlives SIGKILL is an error naming the container and the wait', async () => {
  const c = fake([]);
  await assert.rejects(stopSequence(c, 'SIGTERM', 0, 5), /container c1 did not exit within 5 ms of SIGKILL/);
  assert.deepEqual(c.sent, ['SIGTERM', 'SIGKILL']);
  assert.deepEqual(c.waits, [0, 5]);
});

test('an unwatched exit after a signal reads as that signal: 128+n and its name, OOM as given', () => {
  assert.deepEqual(signalledExit('SIGTERM', false), { exitCode: 143, oomKilled: false, signal: 'SIGTERM' });
  assert.deepEqual(signalledExit('SIGKILL', true), { exitCode: 137, oomKilled: true, signal: 'SIGKILL' });
  assert.deepEqual(signalledExit('SIGRTMIN+3', false), { exitCode: 128 + 37, oomKilled: false, signal: 'SIGRTMIN+3' });
});
