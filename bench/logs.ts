/**
 * CloudWatch Logs (issue 16's Performance section): FilterLogEvents with a term pattern over
 * 1,000,000 stored events next to `grep -c` over the same lines in a file (target < 1 s),
 * and PutLogEvents events/s next to appending the same lines to a file (with and without an
 * fdatasync per batch, since Berth acknowledges a batch only once it is on disk).
 *
 *   bin/bench logs [--events N] [--batch N] [--concurrency N] [--line-bytes N]
 *
 * Run it under `flock /tmp/berth-bench.lock`: two benchmarks at once halve each other.
 */
import { closeSync, fdatasyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { backgroundCores } from './lib/machine.ts';
import { freePort, run, spawnTracked, stopGracefully, tempDir, waitReady } from './lib/processes.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '4' },
    'line-bytes': { type: 'string', default: '100' },
  },
});
const EVENTS = Number(values.events);
const BATCH = Number(values.batch);
const CONCURRENCY = Number(values.concurrency);
const LINE_BYTES = Number(values['line-bytes']);
/** One line in a hundred holds the term searched for. */
const TERM = 'ZQXJTERM';
const GROUP = '/bench/logs';

const root = new URL('..', import.meta.url).pathname;
const dir = tempDir('berth-bench-logs-');

/** Line i: an access-log-like line of LINE_BYTES characters, the term in one of every 100. */
function line(i: number): string {
  const head = `10.0.${(i >> 8) & 255}.${i & 255} - user${i % 97} [req ${i}] "GET /api/items/${i % 1000} HTTP/1.1" ${i % 100 === 0 ? `500 ${TERM}` : '200'} `;
  return head.length >= LINE_BYTES ? head.slice(0, LINE_BYTES) : head + 'x'.repeat(LINE_BYTES - head.length);
}

async function main(): Promise<void> {
  const busy = await backgroundCores();
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const server = spawnTracked(process.execPath, ['--disable-warning=ExperimentalWarning', join(root, 'src/cli/main.ts'), 'up', '--no-agent', '--port', String(port), '--data-dir', join(dir, 'berth')]);
  await waitReady(server, `${endpoint}/_berth/health`, 'berth up');
  const call = async (op: string, input: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(endpoint, { method: 'POST', headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `Logs_20140328.${op}` }, body: typeof input === 'string' ? input : JSON.stringify(input) });
    const body = (await res.json()) as Record<string, unknown>;
    if (res.status !== 200) throw new Error(`${op}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  const rssStart = rssMiB(server.child.pid!);
  await call('CreateLogGroup', { logGroupName: GROUP });
  for (let s = 0; s < CONCURRENCY; s++) await call('CreateLogStream', { logGroupName: GROUP, logStreamName: `stream-${s}` });

  // The bodies are built before the clock starts: the client's JSON work is not Berth's.
  const now = Date.now();
  const batches: { stream: number; body: string; lines: string }[] = [];
  for (let first = 0, b = 0; first < EVENTS; first += BATCH, b++) {
    const n = Math.min(BATCH, EVENTS - first);
    const events = Array.from({ length: n }, (_, k) => ({ timestamp: now - 3_600_000 + Math.floor((first + k) / 1000), message: line(first + k) }));
    const stream = b % CONCURRENCY;
    batches.push({ stream, body: JSON.stringify({ logGroupName: GROUP, logStreamName: `stream-${stream}`, logEvents: events }), lines: events.map((e) => e.message).join('\n') + '\n' });
  }

  // Baselines: the same lines appended to a file, per batch, without and with fdatasync.
  const file = join(dir, 'lines.log');
  const appendRate = (sync: boolean) => {
    const fd = openSync(sync ? `${file}.sync` : file, 'w');
    const t0 = performance.now();
    for (const b of batches) {
      writeSync(fd, b.lines);
      if (sync) fdatasyncSync(fd);
    }
    const ms = performance.now() - t0;
    closeSync(fd);
    return EVENTS / (ms / 1000);
  };
  const fileRate = appendRate(false);
  const fileSyncRate = appendRate(true);

  // PutLogEvents: CONCURRENCY clients, one stream each, batches in order per stream.
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    for (;;) {
      const i = next++;
      if (i >= batches.length) return;
      const r = await call('PutLogEvents', batches[i]!.body);
      if (r.rejectedLogEventsInfo) throw new Error(`rejected: ${JSON.stringify(r.rejectedLogEventsInfo)}`);
    }
  }));
  const putMs = performance.now() - t0;
  const rssAfterPut = rssMiB(server.child.pid!);
  const putRate = EVENTS / (putMs / 1000);

  // FilterLogEvents with a term pattern over everything, every page, as a client pages it.
  const filterOnce = async () => {
    const t = performance.now();
    let token: string | undefined;
    let found = 0;
    let pages = 0;
    do {
      const r = await call('FilterLogEvents', { logGroupName: GROUP, filterPattern: TERM, ...(token ? { nextToken: token } : {}) });
      found += (r.events as unknown[]).length;
      token = r.nextToken as string | undefined;
      pages++;
    } while (token);
    return { ms: performance.now() - t, found, pages };
  };
  await filterOnce(); // first run warms the page cache, as the file's first grep would
  const filter = await filterOnce();
  const grepT = performance.now();
  const grep = await run('grep', ['-c', TERM, file]);
  const grepMs = performance.now() - grepT;
  const expected = Math.ceil(EVENTS / 100);
  if (filter.found !== expected || Number(grep.stdout.trim()) !== expected) throw new Error(`found ${filter.found}, grep ${grep.stdout.trim()}, expected ${expected}`);

  const rssAfter = rssMiB(server.child.pid!);
  await stopGracefully(server.child);
  const f = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`logs bench: ${f(EVENTS)} events of ${LINE_BYTES} bytes, batches of ${f(BATCH)}, ${CONCURRENCY} streams in parallel; background load ${busy.toFixed(2)} cores`);
  console.log('');
  console.log('| measure | Berth | baseline | ratio | target |');
  console.log('|---|---|---|---|---|');
  console.log(`| FilterLogEvents "${TERM}" over ${f(EVENTS)} events (${f(filter.found)} found, ${filter.pages} pages) | ${filter.ms.toFixed(0)} ms | grep -c: ${grepMs.toFixed(0)} ms | ${(filter.ms / grepMs).toFixed(1)}× grep | < 1000 ms: ${filter.ms < 1000 ? 'met' : 'NOT met'} |`);
  console.log(`| PutLogEvents, durable | ${f(putRate)} events/s | file append: ${f(fileRate)} lines/s | ${((putRate / fileRate) * 100).toFixed(1)}% | — |`);
  console.log(`| PutLogEvents, durable | ${f(putRate)} events/s | file append + fdatasync per batch: ${f(fileSyncRate)} lines/s | ${((putRate / fileSyncRate) * 100).toFixed(1)}% | — |`);
  console.log('');
  console.log(`Berth's RSS: ${rssStart} MiB at start, ${rssAfterPut} MiB after the puts, ${rssAfter} MiB after the filters (the log store keeps no events in memory).`);
}

/** A process's resident set, in MiB. */
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : -1;
}

await main();
