import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { encodeEvents } from './format.ts';
import { GroupLog } from './group-log.ts';
import { FIRST_KEY } from './position.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'berth-logstore-'));
  dirs.push(d);
  return d;
}

const ev = (ts: number, message = `m${ts}`) => ({ timestamp: ts, message });
const all = { from: 0, to: Number.MAX_SAFE_INTEGER, limit: 10_000, fromEnd: false };
const everything = { from: undefined, minTs: 0, maxTs: Number.MAX_SAFE_INTEGER, streams: undefined, test: () => () => true, limit: 10_000, maxBytes: 1 << 30 };

test('appended batches read back by stream, in timestamp order across batches, and survive reopening', async () => {
  const dir = tempDir();
  const log = new GroupLog(dir);
  await log.append('a', 'alpha', 100, [ev(10), ev(20)]);
  await log.append('b', 'beta', 101, [ev(15)]);
  await log.append('a', 'alpha', 102, [ev(5), ev(30)]); // earlier than what is stored: sorted on read
  const read = (l: GroupLog) => l.readStream('a', all).map((e) => [e.timestamp, e.message, e.ingestionTime]);
  assert.deepEqual(read(log), [[5, 'm5', 102], [10, 'm10', 100], [20, 'm20', 100], [30, 'm30', 102]]);
  assert.deepEqual(log.streamStats().get('a'), { firstEventTimestamp: 5, lastEventTimestamp: 30, lastIngestionTime: 102, storedBytes: 11 });
  await log.close();
  const again = new GroupLog(dir);
  assert.deepEqual(read(again), [[5, 'm5', 102], [10, 'm10', 100], [20, 'm20', 100], [30, 'm30', 102]]);
  assert.deepEqual(again.scan(everything).events.map((e) => `${e.streamName}:${e.timestamp}`), ['alpha:10', 'alpha:20', 'beta:15', 'alpha:5', 'alpha:30']);
  await again.close();
});

test('readStream: first or last `limit`, bounded by time and by keys, across many segments', async () => {
  const log = new GroupLog(tempDir(), { segmentMaxBatches: 3 });
  for (let b = 0; b < 20; b++) await log.append('s', 's', b, [ev(b * 10), ev(b * 10 + 5)]);
  assert.ok(readdirSync(log.dir).filter((f) => f.endsWith('.seg')).length >= 6, 'rolled into several segments');
  const head = log.readStream('s', { ...all, limit: 3 });
  assert.deepEqual(head.map((e) => e.timestamp), [0, 5, 10]);
  const tail = log.readStream('s', { ...all, limit: 3, fromEnd: true });
  assert.deepEqual(tail.map((e) => e.timestamp), [185, 190, 195]);
  const next = log.readStream('s', { ...all, limit: 2, after: head[2]!.key });
  assert.deepEqual(next.map((e) => e.timestamp), [15, 20]);
  const before = log.readStream('s', { ...all, limit: 2, fromEnd: true, before: head[2]!.key });
  assert.deepEqual(before.map((e) => e.timestamp), [0, 5]);
  assert.deepEqual(log.readStream('s', { ...all, from: 42, to: 61 }).map((e) => e.timestamp), [45, 50, 55, 60]);
  assert.deepEqual(log.readStream('s', { ...all, after: tail[2]!.key }), [], 'nothing after the last event');
  assert.equal(log.readStream('s', { ...all, after: FIRST_KEY }).length, 40);
  await log.close();
});

test('scan goes on from its position: pages of `limit` and byte budgets cover every matching event once', async () => {
  const log = new GroupLog(tempDir(), { segmentMaxBatches: 4 });
  for (let b = 0; b < 25; b++) await log.append(b % 2 ? 'x' : 'y', b % 2 ? 'x' : 'y', b, Array.from({ length: 7 }, (_, i) => ev(b * 100 + i, i % 3 === 0 ? 'hit' : 'miss')));
  const want = 25 * 3;
  for (const [limit, maxBytes] of [[5, 1 << 30], [10_000, 200], [4, 300]] as const) {
    const seen: string[] = [];
    let from;
    for (let pages = 0; pages < 1000; pages++) {
      const page = log.scan({ ...everything, from, limit, maxBytes, test: (p) => (s, e) => p.toString('utf8', s, e) === 'hit' });
      assert.ok(page.events.length <= limit);
      seen.push(...page.events.map((e) => e.key));
      from = page.next;
      if (!from) break;
    }
    assert.equal(seen.length, want, `limit ${limit}, maxBytes ${maxBytes}`);
    assert.equal(new Set(seen).size, want, 'no event twice');
  }
  for (const bad of [{ timestamp: 0, segment: 0, offset: 3, index: -1 }, { timestamp: 0, segment: 99, offset: 0, index: -1 }, { timestamp: 0, segment: 0, offset: 0, index: 7 }]) {
    assert.throws(() => log.scan({ ...everything, from: bad }), /The specified nextToken is invalid/, JSON.stringify(bad));
  }
  const onlyX = log.scan({ ...everything, streams: (id) => id === 'x' }).events;
  assert.equal(onlyX.length, 12 * 7);
  assert.deepEqual(log.scan({ ...everything, minTs: 1000, maxTs: 1199 }).events.map((e) => e.timestamp), [1000, 1001, 1002, 1003, 1004, 1005, 1006, 1100, 1101, 1102, 1103, 1104, 1105, 1106]);
  await log.close();
});

test('retention drops whole sealed segments older than the cutoff, never the active one', async () => {
  const log = new GroupLog(tempDir(), { segmentMaxBatches: 2 });
  for (let b = 0; b < 10; b++) await log.append('s', 's', b, [ev(b * 1000)]);
  const segs = () => readdirSync(log.dir).filter((f) => f.endsWith('.seg')).length;
  const before = segs();
  assert.equal(log.dropBefore(4500), 2, 'segments holding 0–1000 and 2000–3000');
  assert.equal(segs(), before - 2);
  assert.deepEqual(log.readStream('s', all).map((e) => e.timestamp), [4000, 5000, 6000, 7000, 8000, 9000]);
  assert.equal(log.streamStats().get('s')!.firstEventTimestamp, 4000);
  assert.equal(log.dropBefore(Number.MAX_SAFE_INTEGER) >= 1, true);
  assert.equal(segs(), 1, 'the active segment stays');
  await log.close();
});

test('a torn tail is cut at open; what came before it stays', async () => {
  const dir = tempDir();
  const log = new GroupLog(dir);
  await log.append('s', 's', 1, [ev(1), ev(2)]);
  await log.close();
  const seg = join(dir, '0.seg');
  const whole = statSync(seg).size;
  appendFileSync(seg, Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 5, 6])); // a header promising 200 bytes, then 6
  const again = new GroupLog(dir);
  assert.equal(statSync(seg).size, whole);
  await again.append('s', 's', 2, [ev(3)]);
  assert.deepEqual(again.readStream('s', all).map((e) => e.timestamp), [1, 2, 3]);
  await again.close();
});

test('kill -9 of a writer mid-stream: every acknowledged batch is there after reopening', async () => {
  const dir = tempDir();
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', join(import.meta.dirname, 'crash-writer.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let acked = -1;
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const lines = out.split('\n');
      out = lines.pop()!;
      if (lines.length) acked = Number(lines[lines.length - 1]);
      if (acked >= 150) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.on('exit', () => resolve());
    child.on('error', reject);
  });
  await new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
  assert.equal(child.signalCode, 'SIGKILL');
  assert.ok(readdirSync(dir).filter((f) => f.endsWith('.seg')).length > 1, 'the writer rolled segments');
  const log = new GroupLog(dir);
  for (const stream of ['s1', 's2']) {
    const events = log.readStream(stream, { ...all, limit: 1_000_000 });
    assert.ok(events.length >= (acked + 1) * 20, `${stream}: ${events.length} events, ${acked + 1} batches acknowledged`);
    assert.equal(events.length % 20, 0, 'whole batches only');
    events.forEach((e, i) => assert.equal(e.timestamp, 1_000_000 + i, 'in order, none missing'));
  }
  await log.append('s1', 'one', 0, [ev(5)]); // the reopened log takes appends after the cut
  await log.close();
});

test('property: paging a stream forward or backward by keys visits every event once, in (timestamp, log order)', async () => {
  const fc = (await import('fast-check')).default;
  await fc.assert(fc.asyncProperty(
    fc.array(fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 12 }),
    fc.integer({ min: 1, max: 7 }),
    fc.integer({ min: 1, max: 4 }),
    async (batches, limit, perSegment) => {
      const log = new GroupLog(tempDir(), { segmentMaxBatches: perSegment });
      try {
        let n = 0;
        for (const b of batches) await log.append('s', 's', 0, [...b].sort((x, y) => x - y).map((ts) => ev(ts, `e${n++}`)));
        const everything = log.readStream('s', { ...all, limit: 1000 });
        assert.equal(everything.length, n);
        const keys = everything.map((e) => e.key);
        assert.deepEqual([...keys].sort(), keys, 'sorted by key');
        const forward: string[] = [];
        for (let after: string | undefined = undefined; ;) {
          const page = log.readStream('s', { ...all, limit, ...(after ? { after } : {}) });
          if (page.length === 0) break;
          forward.push(...page.map((e) => e.key));
          after = page[page.length - 1]!.key;
        }
        assert.deepEqual(forward, keys);
        const backward: string[] = [];
        for (let before: string | undefined = undefined; ;) {
          const page = log.readStream('s', { ...all, limit, fromEnd: true, ...(before ? { before } : {}) });
          if (page.length === 0) break;
          backward.unshift(...page.map((e) => e.key));
          before = page[0]!.key;
        }
        assert.deepEqual(backward, keys);
      } finally {
        await log.close();
      }
    }), { numRuns: 60 });
});

test('a producer offset is stored with its batch: read back at once, after reopening (scan of the active segment) and from sealed indexes', async () => {
  const dir = tempDir();
  const log = new GroupLog(dir, { segmentMaxBatches: 2 });
  assert.equal(log.producerOffset('a'), undefined);
  await log.append('a', 'alpha', 1, [ev(1)], 100);
  await log.append('b', 'beta', 1, [ev(1)]);
  await log.append('a', 'alpha', 2, [ev(2)], 250);
  await log.append('a', 'alpha', 3, [ev(3)], 400);
  assert.equal(log.producerOffset('a'), 400);
  assert.equal(log.producerOffset('b'), undefined, 'a PutLogEvents batch carries none');
  assert.equal(log.streamStats().get('a')?.producerOffset, 400);
  await log.close();
  const again = new GroupLog(dir, { segmentMaxBatches: 2 });
  assert.equal(again.producerOffset('a'), 400);
  assert.deepEqual(again.readStream('a', all).map((e) => e.message), ['m1', 'm2', 'm3'], 'the events of version 2 records read as version 1 ones');
  assert.equal(again.scan(everything).events.length, 4);
  await again.close();
});

test('a batch already encoded (the awslogs driver\'s) is stored as it is: read back, counted, its offset kept, decoded for a listener only when asked', async () => {
  const dir = tempDir();
  let decodedFor: string[] | undefined;
  const log = new GroupLog(dir, {}, (_id, _name, _t, events) => { decodedFor = events().map((e) => e.message); });
  const region = encodeEvents([ev(7, 'héllo'), ev(9, 'world')]);
  await log.appendEncoded('a', 'alpha', 100, 2, region, 4242);
  assert.deepEqual(log.readStream('a', all).map((e) => [e.timestamp, e.message]), [[7, 'héllo'], [9, 'world']]);
  assert.deepEqual(log.streamStats().get('a'), { firstEventTimestamp: 7, lastEventTimestamp: 9, lastIngestionTime: 100, storedBytes: Buffer.byteLength('héllo') + 5, producerOffset: 4242 });
  assert.equal(log.producerOffset('a'), 4242);
  assert.deepEqual(decodedFor, ['héllo', 'world']);
  await log.close();
  const again = new GroupLog(dir);
  assert.deepEqual(again.readStream('a', all).map((e) => e.message), ['héllo', 'world']);
  assert.equal(again.producerOffset('a'), 4242);
  await again.close();
});
