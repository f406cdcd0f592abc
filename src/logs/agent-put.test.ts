import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createLogsService, type LogsService } from '../api/logs/index.ts';
import { ApiError } from '../core/errors.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { rootPrincipal } from '../identity/principal.ts';

let dir: string, store: Store, logs: LogsService;
const NOW = Date.now();
const s = { account: '123456789012', region: 'us-east-1' };
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-agent-put-'));
  store = await openSqliteStore(join(dir, 'state.db'));
  logs = createLogsService({ store, dataDir: dir });
});
after(async () => {
  await logs.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const events = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ({ timestamp: NOW, message: `line ${from + i}`, end: (from + i) * 10 }));
async function stored(group: string, stream: string): Promise<string[]> {
  const get = logs.operations.GetLogEvents!;
  const out = await get({ logGroupName: group, logStreamName: stream, startFromHead: true }, { region: s.region, accountId: s.account, requestId: 'r', now: NOW, accessKeyId: undefined, principal: rootPrincipal(s.account), host: 'h' }) as { events: { message: string }[] };
  return out.events.map((e) => e.message);
}

test('setup: a missing group is AWS\'s ResourceNotFoundException unless createGroup; the stream is made, twice is fine', async () => {
  await assert.rejects(logs.agentReceiver.setup(s, NOW, 'missing', 'p/app/t1', false), (e: unknown) => e instanceof ApiError && e.code === 'ResourceNotFoundException' && e.message === 'The specified log group does not exist.');
  await logs.agentReceiver.setup(s, NOW, 'made', 'p/app/t1', true);
  await logs.agentReceiver.setup(s, NOW, 'made', 'p/app/t1', true);
  assert.deepEqual(await stored('made', 'p/app/t1'), []);
});

test('a batch resent after a crash between store and acknowledgement is not stored twice, even cut differently', async () => {
  await logs.agentReceiver.setup(s, NOW, 'g', 'st', true);
  assert.deepEqual(await logs.agentReceiver.put(s, NOW, { group: 'g', stream: 'st', createGroup: false, events: events(1, 5) }), { stored: 5, duplicates: 0, rejected: undefined });
  // The agent died before writing down its position: it reads from line 1 again, in other batches.
  assert.deepEqual(await logs.agentReceiver.put(s, NOW, { group: 'g', stream: 'st', createGroup: false, events: events(1, 3) }), { stored: 0, duplicates: 3, rejected: undefined });
  assert.deepEqual(await logs.agentReceiver.put(s, NOW, { group: 'g', stream: 'st', createGroup: false, events: events(4, 8) }), { stored: 3, duplicates: 2, rejected: undefined });
  assert.deepEqual(await stored('g', 'st'), ['line 1', 'line 2', 'line 3', 'line 4', 'line 5', 'line 6', 'line 7', 'line 8']);
});

test('concurrent batches of one stream (an old session\'s and its resend) are applied one after the other', async () => {
  await logs.agentReceiver.setup(s, NOW, 'g', 'race', false);
  await Promise.all([
    logs.agentReceiver.put(s, NOW, { group: 'g', stream: 'race', createGroup: false, events: events(1, 100) }),
    logs.agentReceiver.put(s, NOW, { group: 'g', stream: 'race', createGroup: false, events: events(1, 100) }),
    logs.agentReceiver.put(s, NOW, { group: 'g', stream: 'race', createGroup: false, events: events(50, 150) }),
  ]);
  assert.deepEqual(await stored('g', 'race'), events(1, 150).map((e) => e.message));
});

test('the offset survives a restart of the control plane (it is in the log store\'s records)', async () => {
  await logs.agentReceiver.setup(s, NOW, 'g', 'durable', false);
  await logs.agentReceiver.put(s, NOW, { group: 'g', stream: 'durable', createGroup: false, events: events(1, 10) });
  await logs.close();
  logs = createLogsService({ store, dataDir: dir });
  assert.deepEqual(await logs.agentReceiver.put(s, NOW, { group: 'g', stream: 'durable', createGroup: false, events: events(5, 12) }), { stored: 2, duplicates: 6, rejected: undefined });
  assert.equal((await stored('g', 'durable')).length, 12);
});

test('a stream deleted meanwhile is made again by the next batch; a group only with createGroup', async () => {
  await logs.agentReceiver.setup(s, NOW, 'g2', 'st', true);
  await store.txn({ if: [], ops: [{ type: 'deletePrefix', prefix: '/logs/' }] });
  await assert.rejects(logs.agentReceiver.put(s, NOW, { group: 'g2', stream: 'st', createGroup: false, events: events(1, 1) }), /log group does not exist/);
  await logs.agentReceiver.put(s, NOW, { group: 'g2', stream: 'st', createGroup: true, events: events(1, 1) });
  assert.deepEqual(await stored('g2', 'st'), ['line 1']);
});
