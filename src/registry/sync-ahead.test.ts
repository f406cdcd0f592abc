import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FileHandle } from 'node:fs/promises';
import { SYNC_AHEAD_BYTES, SyncAhead } from './sync-ahead.ts';

/** A file handle whose datasync calls are counted and finished (or failed) by the test. */
function fakeHandle() {
  const calls: { resolve(): void; reject(err: Error): void }[] = [];
  const handle = {
    datasync: () => new Promise<void>((resolve, reject) => calls.push({ resolve, reject })),
  } as unknown as FileHandle;
  return { handle, calls };
}

const tick = () => new Promise((r) => setImmediate(r));

test('a sync starts once SYNC_AHEAD_BYTES have been appended, and never two at once', async () => {
  const { handle, calls } = fakeHandle();
  const sync = new SyncAhead(handle);
  sync.appended(SYNC_AHEAD_BYTES - 1);
  assert.equal(calls.length, 0);
  sync.appended(1);
  assert.equal(calls.length, 1);
  sync.appended(3 * SYNC_AHEAD_BYTES);
  assert.equal(calls.length, 1, 'no second sync while one runs');
  calls[0]!.resolve();
  await tick();
  sync.appended(SYNC_AHEAD_BYTES);
  assert.equal(calls.length, 2, 'the bytes appended meanwhile start the next one');
  const settled = sync.settle();
  calls[1]!.resolve();
  await settled;
  assert.equal(sync.failure, undefined);
});

test('a failed background sync fails the write: failure is set and settle throws it', async () => {
  const { handle, calls } = fakeHandle();
  const sync = new SyncAhead(handle);
  sync.appended(SYNC_AHEAD_BYTES);
  const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
  calls[0]!.reject(eio);
  await assert.rejects(sync.settle(), eio);
  assert.equal(sync.failure, eio);
  sync.appended(SYNC_AHEAD_BYTES);
  assert.equal(calls.length, 1, 'no sync after a failure');
  await assert.rejects(sync.settle(), eio, 'the failure stays');
});

test('settle with nothing appended, or less than the threshold, does not sync', async () => {
  const { handle, calls } = fakeHandle();
  const sync = new SyncAhead(handle);
  sync.appended(1024);
  await sync.settle();
  assert.equal(calls.length, 0);
});
