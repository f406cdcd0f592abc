import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AGENT_BATCH_LIMITS, MAX_BATCH_EVENTS } from './batcher.ts';
import { AwslogsDriver, type AwslogsTransport, type Target } from './driver.ts';
import type { EventBatch } from './event-batch.ts';
import type { Line } from './multiline.ts';
import { parseAwslogsOptions } from './options.ts';
import { PUNCH_BYTES } from './punch.ts';

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
function logFile(): string {
  const d = mkdtempSync(join(tmpdir(), 'berth-awslogs-'));
  dirs.push(d);
  const p = join(d, 'app.log');
  writeFileSync(p, '');
  return p;
}
const record = (n: number, tag = 'F') => `2026-12-07T08:51:49.${String(n % 1000).padStart(3, '0')}000000Z stdout ${tag} line ${n}\n`;
const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => record(from + i)).join('');
const target: Target = { taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/c/t', region: 'us-east-1', group: 'g', stream: 's', createGroup: false };

/** A receiver as agent-put.ts is: keeps events past the highest offset stored. */
class FakeReceiver implements AwslogsTransport {
  events: Line[] = [];
  batches = 0;
  largest = 0;
  fail = 0;
  hold = false;
  held: (() => void)[] = [];
  async setup(): Promise<void> {}
  put(_t: Target, batch: EventBatch): Promise<void> {
    if (this.fail > 0) { this.fail--; return Promise.reject(new Error('not connected to the control plane')); }
    const events = batch.lines();
    this.largest = Math.max(this.largest, events.length);
    const store = () => {
      const done = this.events.at(-1)?.end ?? -1;
      this.events.push(...events.filter((e) => e.end > done));
      this.batches++;
    };
    if (this.hold) {
      // Stored, but the acknowledgement never comes (the agent dies first).
      store();
      return new Promise(() => {});
    }
    store();
    return Promise.resolve();
  }
}

function driver(path: string, transport: AwslogsTransport, options: Record<string, string> = {}): AwslogsDriver {
  return new AwslogsDriver({ logPath: path, config: parseAwslogsOptions({ 'awslogs-group': 'g', mode: 'blocking', ...options }, 'us-east-1'), target, transport, log: () => {}, now: Date.now });
}
const until = async (f: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};
const messages = (r: FakeReceiver) => r.events.map((e) => e.message);
const expected = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}`);

test('every line becomes one event, in order, with its timestamp; appended lines follow; drain delivers the rest', async () => {
  const path = logFile();
  appendFileSync(path, lines(1, 25_000));
  const r = new FakeReceiver();
  const d = driver(path, r);
  d.start();
  await until(() => r.events.length === 25_000);
  assert.ok(r.largest <= AGENT_BATCH_LIMITS.events && r.largest > MAX_BATCH_EVENTS, `in batches bounded by bytes, past PutLogEvents' 10,000 (largest ${r.largest})`);
  assert.equal(r.events[0]!.timestamp, Date.UTC(2026, 11, 7, 8, 51, 49, 1));
  appendFileSync(path, lines(25_001, 25_010));
  await d.drain(5_000);
  assert.deepEqual(messages(r), expected(1, 25_010));
});

test('kill -9 with a batch stored but not acknowledged: the next driver resends from its position and the receiver keeps each line once', async () => {
  const path = logFile();
  appendFileSync(path, lines(1, 15_000));
  const r = new FakeReceiver();
  const first = driver(path, r);
  first.start();
  await until(() => r.events.length === 15_000);
  r.hold = true;
  appendFileSync(path, lines(15_001, 16_000));
  await until(() => r.events.length === 16_000);
  first.stop(); // the "kill": its position still says 15,000
  r.hold = false;
  appendFileSync(path, lines(16_001, 17_000));
  const second = driver(path, r);
  second.start();
  await second.drain(5_000);
  assert.deepEqual(messages(r), expected(1, 17_000));
});

test('a failed send is tried again; nothing is lost or repeated', async () => {
  const path = logFile();
  appendFileSync(path, lines(1, 100));
  const r = new FakeReceiver();
  r.fail = 3;
  const d = driver(path, r);
  d.start();
  await d.drain(10_000);
  assert.deepEqual(messages(r), expected(1, 100));
});

test('a rotation (conmon replaces the file) loses nothing: the old file is read to its end first', async () => {
  const path = logFile();
  appendFileSync(path, lines(1, 500));
  const r = new FakeReceiver();
  const d = driver(path, r);
  d.start();
  await until(() => r.events.length === 500);
  appendFileSync(path, lines(501, 600));
  writeFileSync(`${path}.tmp`, lines(601, 700));
  renameSync(`${path}.tmp`, path);
  await until(() => r.events.length === 700);
  await d.drain(5_000);
  assert.deepEqual(messages(r), expected(1, 700));
  assert.ok(r.events.every((e, i) => i === 0 || e.end > r.events[i - 1]!.end), 'offsets keep increasing across files');
});

test('multiline: stack traces are one event each (awslogs-multiline-pattern)', async () => {
  const path = logFile();
  appendFileSync(path, ['2026-12-07T08:51:49Z stdout F ERROR boom', '2026-12-07T08:51:49Z stdout F   at a', '2026-12-07T08:51:49Z stdout F INFO ok'].map((l) => `${l}\n`).join(''));
  const r = new FakeReceiver();
  const d = driver(path, r, { 'awslogs-multiline-pattern': '^(INFO|ERROR)' });
  d.start();
  await d.drain(5_000);
  assert.deepEqual(messages(r), ['ERROR boom\n  at a', 'INFO ok']);
});

test('non-blocking: lines past max-buffer-size waiting are dropped and counted; blocking drops none', async () => {
  const path = logFile();
  appendFileSync(path, lines(1, 5_000));
  const r = new FakeReceiver();
  r.hold = true; // nothing is acknowledged: the buffer fills
  const d = driver(path, r, { mode: 'non-blocking', 'max-buffer-size': '10k' });
  d.start();
  await until(() => d.dropped > 0);
  d.stop();
  assert.ok(d.dropped > 3_000, `dropped ${d.dropped}`);
  const b = new FakeReceiver();
  const blocking = driver(path, b);
  blocking.start();
  await blocking.drain(5_000);
  assert.equal(blocking.dropped, 0);
  assert.deepEqual(messages(b), expected(1, 5_000));
  assert.ok(existsSync(`${path}.awslogs.json`), 'the position is kept beside the log');
});

test('a rotation found while draining: the next file is read too before the drain ends', async () => {
  const path = logFile();
  appendFileSync(path, lines(1, 300));
  const r = new FakeReceiver();
  const d = driver(path, r);
  d.start();
  await until(() => r.events.length === 300);
  writeFileSync(`${path}.tmp`, lines(301, 400));
  renameSync(`${path}.tmp`, path);
  await d.drain(5_000);
  assert.deepEqual(messages(r), expected(1, 400));
});

test('delivered bytes are given back to the disk (holes punched): the file keeps its size and offsets, and a restarted driver goes on from its position', async () => {
  const path = logFile();
  // ~20 MiB of records: more than two punches' worth (PUNCH_BYTES).
  const total = 400_000;
  for (let from = 1; from <= total; from += 50_000) appendFileSync(path, lines(from, from + 49_999));
  const size = statSync(path).size;
  const r = new FakeReceiver();
  const first = driver(path, r);
  first.start();
  await until(() => r.events.length === total && statSync(path).blocks * 512 < size - PUNCH_BYTES, 30_000);
  first.stop();
  assert.equal(statSync(path).size, size, 'conmon writes on at its offset: the size is kept');
  appendFileSync(path, lines(total + 1, total + 10));
  const second = driver(path, r);
  second.start();
  await second.drain(5_000);
  assert.deepEqual(messages(r), expected(1, total + 10));
});
