/**
 * What the ECS event producer costs (issue 15 item 5, src/events/): every committed write of
 * a task record becomes an "ECS Task State Change" event, written durably with the log's
 * retention (the newest MAX_EVENTS_PER_REGION per region kept, the oldest deleted in the same
 * transaction). Two comparisons, each in the same run on the same SQLite store code (on
 * disk, WAL, fsync per commit as `berth up` runs it):
 *
 * Rates are compared as Berth's ÷ the baseline's (below 1: slower), after an untimed warm-up.
 *
 * - task writes: --writes task records written by --writers concurrent writers, one record
 *   per transaction (as RunTask, the scheduler and the agents' reports write them), without
 *   a producer (the baseline), then on a fresh store with the producer following them, timed
 *   until every write is acknowledged and until every event is written: the producer's cost
 *   per task write, and events/s end to end.
 * - the log alone: appendEvents (events + cursor + retention, in batches of the producer's
 *   MAX_BATCH) next to bare store puts of the same values in the same batches: what the
 *   log's bookkeeping and retention add to the store's own put rate.
 *
 *   flock /tmp/berth-bench.lock bin/bench events [--writes N] [--writers N] [--rounds N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { taskRecord } from '../src/cluster/testing.ts';
import { keys } from '../src/core/ecs/keys.ts';
import { TASK_STATE_CHANGE } from '../src/events/ecs-event.ts';
import { appendEvents, eventKey, MAX_EVENTS_PER_REGION, readCursor, regionEventsPrefix, storedEventValue, type HeldCursor, type NewEvent } from '../src/events/event-log.ts';
import { MAX_BATCH, startEventProducer } from '../src/events/producer.ts';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { figuresJson, figuresTable, type FigureRow } from './lib/figures-table.ts';
import { backgroundCores } from './lib/machine.ts';

const SCOPE = { account: '000000000000', region: 'us-east-1' };
const CLUSTER = 'bench-events';
const say = (line: string) => process.stderr.write(`events: ${line}\n`);
const HELP = `Usage: flock /tmp/berth-bench.lock bin/bench events [options]
  --writes N     task record writes per phase (default 20000: past the log's bound of ${MAX_EVENTS_PER_REGION}, so retention runs)
  --writers N    concurrent writers of task records (default 50)
  --rounds N     runs of each phase, the median reported (default 1)
  --output text|json`;

/** A task record as RunTask and the agent's reports write it: ~1 KB of JSON with a container. */
function record(n: number, version: number): string {
  const id = n.toString(16).padStart(32, '0');
  const t = taskRecord(CLUSTER, id, { instance: `i-${n % 100}`, lastStatus: version > 1 ? 'RUNNING' : 'PENDING', group: 'service:web', scope: SCOPE });
  return JSON.stringify({
    ...t, version,
    containers: [{ containerArn: `${t.taskArn.replace(':task/', ':container/')}/app`, taskArn: t.taskArn, name: 'app', image: 'registry.berth.local/berth/web:latest', lastStatus: t.lastStatus, networkInterfaces: [], cpu: '256', memory: '512' }],
  });
}

async function withStore<T>(f: (store: SqliteStore) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join('/var/tmp', 'berth-bench-events-'));
  const store = await openSqliteStore(join(dir, 'berth.db'));
  try {
    return await f(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `writes` task puts from `writers` concurrent writers (each record written twice: PENDING, then RUNNING); ms until all are acknowledged. */
async function writeTasks(store: SqliteStore, writes: number, writers: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: writers }, async () => {
    for (let i = next++; i < writes; i = next++) {
      const n = Math.floor(i / 2);
      await store.txn({ ops: [{ type: 'put', key: keys.task(SCOPE, CLUSTER, n.toString(16).padStart(32, '0')), value: record(n, 1 + (i % 2)) }] });
    }
  }));
  return performance.now() - t0;
}

interface ProducerRun { readonly acknowledgedMs: number; readonly eventsMs: number; readonly stored: number }

async function withProducer(writes: number, writers: number): Promise<ProducerRun> {
  return withStore(async (store) => {
    const producer = await startEventProducer({ store, log: say, now: Date.now });
    try {
      const t0 = performance.now();
      const acknowledgedMs = await writeTasks(store, writes, writers);
      await producer.idle();
      const eventsMs = performance.now() - t0;
      const stored = (await readCursor(store)).cursor.counts[SCOPE.region] ?? 0;
      const listed = (await store.list(regionEventsPrefix(SCOPE.region), { limit: MAX_EVENTS_PER_REGION + 1 })).items.length;
      if (stored !== Math.min(writes, MAX_EVENTS_PER_REGION) || listed !== stored) throw new Error(`the log holds ${listed} events (cursor: ${stored}) after ${writes} task writes; expected ${Math.min(writes, MAX_EVENTS_PER_REGION)}`);
      return { acknowledgedMs, eventsMs, stored };
    } finally {
      await producer.close();
    }
  });
}

/** The events of `writes` task writes, as the producer builds them, in batches of MAX_BATCH. */
function eventBatches(writes: number): NewEvent[][] {
  const out: NewEvent[][] = [];
  for (let i = 0; i < writes; i += MAX_BATCH) {
    out.push(Array.from({ length: Math.min(MAX_BATCH, writes - i) }, (_, k) => ({
      key: eventKey(SCOPE.region, 1 + i / MAX_BATCH, k), region: SCOPE.region, detailType: TASK_STATE_CHANGE, seenAt: 1_765_000_000_000, recordJson: record(i + k, 2),
    })));
  }
  return out;
}

async function appendRate(batches: readonly NewEvent[][]): Promise<number> {
  return withStore(async (store) => {
    let held: HeldCursor = await readCursor(store);
    const t0 = performance.now();
    for (const [n, batch] of batches.entries()) {
      const next = await appendEvents(store, held, batch, n + 1);
      if (!next) throw new Error('the cursor moved under the benchmark');
      held = next;
    }
    return performance.now() - t0;
  });
}

async function bareRate(batches: readonly NewEvent[][]): Promise<number> {
  return withStore(async (store) => {
    const t0 = performance.now();
    for (const batch of batches) await store.txn({ ops: batch.map((e) => ({ type: 'put', key: e.key, value: storedEventValue(e) })) });
    return performance.now() - t0;
  });
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rate = (n: number, ms: number) => `${Math.round((n * 1000) / ms).toLocaleString('en-US')}/s`;

async function main(): Promise<number> {
  const { values: v } = parseArgs({ options: {
    writes: { type: 'string', default: '20000' }, writers: { type: 'string', default: '50' }, rounds: { type: 'string', default: '1' },
    output: { type: 'string', default: 'text' }, help: { type: 'boolean', default: false },
  } });
  if (v.help) { process.stdout.write(`${HELP}\n`); return 0; }
  const writes = Number(v.writes);
  const writers = Number(v.writers);
  const rounds = Number(v.rounds);
  const background = await backgroundCores();
  const loadAtStart = loadavg()[0]!;
  const without: number[] = [];
  const withP: ProducerRun[] = [];
  const appended: number[] = [];
  const bare: number[] = [];
  const batches = eventBatches(writes);
  say('warm-up (not timed): a tenth of each phase');
  await withStore((store) => writeTasks(store, Math.ceil(writes / 10), writers));
  await withProducer(Math.ceil(writes / 10), writers);
  await appendRate(batches.slice(0, 2));
  await bareRate(batches.slice(0, 2));
  for (let r = 0; r < rounds; r++) {
    say(`round ${r + 1}: ${writes} task writes (${writers} writers) without events, then with the producer`);
    without.push(await withStore((store) => writeTasks(store, writes, writers)));
    withP.push(await withProducer(writes, writers));
    say(`round ${r + 1}: ${writes} events by appendEvents, then bare puts of the same values`);
    appended.push(await appendRate(batches));
    bare.push(await bareRate(batches));
  }
  const base = median(without);
  const ack = median(withP.map((p) => p.acknowledgedMs));
  const ev = median(withP.map((p) => p.eventsMs));
  const app = median(appended);
  const put = median(bare);
  const rows: FigureRow[] = [
    {
      figure: `task writes acknowledged, with the event producer (${writes}, ${writers} writers)`, berth: rate(writes, ack), baseline: `no producer ${rate(writes, base)}`, ratio: base / ack,
      target: '-', pass: undefined, values: { without, withProducer: withP },
      note: `the producer's cost per task write: ${(((ack - base) * 1000) / writes).toFixed(1)} µs (time ratio ${(ack / base).toFixed(2)}×); one record per transaction, SQLite on disk`,
    },
    {
      figure: 'events written end to end (every write\'s event durable, retention on)', berth: rate(writes, ev), baseline: `task writes ${rate(writes, base)}`, ratio: base / ev,
      target: '-', pass: undefined, values: { eventsMs: ev },
      note: `from the first write until the producer is idle; the log kept the newest ${Math.min(writes, MAX_EVENTS_PER_REGION)} (MAX_EVENTS_PER_REGION ${MAX_EVENTS_PER_REGION})`,
    },
    {
      figure: `appendEvents (events + cursor + retention), batches of ${MAX_BATCH}`, berth: rate(writes, app), baseline: `bare puts ${rate(writes, put)}`, ratio: put / app,
      target: '-', pass: undefined, values: { appended, bare },
      note: `the same stored values; past ${MAX_EVENTS_PER_REGION} each batch also deletes the oldest ${MAX_BATCH} (a list + deletes in the same transaction)`,
    },
  ];
  const meta = { benchmark: 'events', date: new Date().toISOString(), node: process.version, cores: availableParallelism(), machine: { backgroundCoresAtStart: background, loadAverage1mAtStart: loadAtStart, loadAverage1mAtEnd: loadavg()[0]! } };
  if (v.output === 'json') process.stdout.write(`${figuresJson(rows, meta)}\n`);
  else {
    process.stdout.write(`\nThe ECS event producer's cost, beside the store's own writes (${process.version}, ${meta.cores} cores, median of ${rounds})\n`);
    process.stdout.write(`machine: ${background.toFixed(2)} cores busy before the run; 1-minute load average ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end\n\n${figuresTable(rows)}\n`);
  }
  return 0;
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  process.stderr.write(`events: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 2;
});
