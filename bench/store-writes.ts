/**
 * The SQLite store's own costs, CPU per operation (issue 14: what a committed placement pays
 * in the store): puts of 1.3 KB values into a store of --keys keys, in batches shaped like
 * the placer's (10 transactions of 32 puts flushed together), of new keys and over existing
 * ones; a full `list` walk in pages of 1,000; `get`s with the get cache off. Median of
 * --rounds rounds. `--root DIR` measures the store of another checkout (for A/B runs: the
 * same script against main's src/).
 *
 *   bin/bench store-writes [--keys N] [--rounds N] [--root DIR]
 *
 * Every thread's CPU, and for puts the main thread's alone in brackets (the store writes on a
 * worker thread).
 *
 * Run it under `flock /tmp/berth-bench.lock`: two benchmarks at once halve each other.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Store } from '../src/store/store.ts';

const { values } = parseArgs({
  options: {
    keys: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '5' },
    root: { type: 'string', default: resolve(new URL('..', import.meta.url).pathname) },
  },
});
const KEYS = Number(values.keys);
const ROUNDS = Number(values.rounds);
/** The placer's batch shape: 32 concurrent launches of 10 tasks. */
const TXNS = 10;
const PUTS = 32;
const BATCHES = 10;
const GETS = 20_000;

const { openSqliteStore } = await import(`${values.root}/src/store/sqlite/sqlite-store.ts`) as {
  openSqliteStore(path: string, o: { cacheBytes: number }): Promise<Store>;
};
const dir = mkdtempSync(join(tmpdir(), 'berth-bench-store-'));
const value = (i: number) => JSON.stringify({ i, pad: 'x'.repeat(1300) });
const key = (i: number) => `/t/${String(i).padStart(8, '0')}`;
const cpu = () => { const u = process.cpuUsage(); return u.user + u.system; };
/** The main thread's alone: the store may write on a thread of its own (src/store/sqlite/writer.ts). */
const mainCpu = () => { const u = process.threadCpuUsage(); return u.user + u.system; };

try {
  // A cache of one byte: every read goes to SQLite.
  const s = await openSqliteStore(join(dir, 'state.db'), { cacheBytes: 1 });
  for (let i = 0; i < KEYS; i += 5_000) {
    await s.txn({ ops: Array.from({ length: Math.min(5_000, KEYS - i) }, (_, k) => ({ type: 'put' as const, key: key(i + k), value: value(i + k) })) });
  }
  const figures: Record<'new-key put' | 'overwrite put' | 'list, per row' | 'uncached get', number[]> = { 'new-key put': [], 'overwrite put': [], 'list, per row': [], 'uncached get': [] };
  const mainFigures: Record<'new-key put' | 'overwrite put', number[]> = { 'new-key put': [], 'overwrite put': [] };
  const batches = async (put: (b: number, t: number, k: number) => { key: string; value: string }) => {
    for (let b = 0; b < BATCHES; b++) {
      await Promise.all(Array.from({ length: TXNS }, (_, t) => s.txn({ ops: Array.from({ length: PUTS }, (_, k) => ({ type: 'put' as const, ...put(b, t, k) })) })));
    }
    return BATCHES * TXNS * PUTS;
  };
  for (let r = 0; r < ROUNDS; r++) {
    let c0 = cpu();
    let m0 = mainCpu();
    let n = await batches((b, t, k) => ({ key: `/n/${r}/${b}/${t}/${k}`, value: value(k) }));
    figures['new-key put'].push((cpu() - c0) / n);
    mainFigures['new-key put'].push((mainCpu() - m0) / n);
    c0 = cpu();
    m0 = mainCpu();
    n = await batches(() => { const i = Math.floor(Math.random() * KEYS); return { key: key(i), value: value(i + r) }; });
    figures['overwrite put'].push((cpu() - c0) / n);
    mainFigures['overwrite put'].push((mainCpu() - m0) / n);
    c0 = cpu();
    let after: string | undefined;
    let rows = 0;
    for (;;) {
      const page = await s.list('/t/', { limit: 1_000, ...(after !== undefined && { after }) });
      rows += page.items.length;
      if (!page.more) break;
      after = page.items.at(-1)!.key;
    }
    figures['list, per row'].push((cpu() - c0) / rows);
    c0 = cpu();
    for (let g = 0; g < GETS; g++) await s.get(key(Math.floor(Math.random() * KEYS)));
    figures['uncached get'].push((cpu() - c0) / GETS);
  }
  await s.close();
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  console.log(`store of ${values.root}, ${KEYS.toLocaleString('en-US')} keys of 1.3 KB, CPU per operation, every thread (the main thread's) (median of ${ROUNDS}):`);
  for (const [name, xs] of Object.entries(figures)) {
    const main = mainFigures[name as keyof typeof mainFigures];
    console.log(`  ${name.padEnd(16)} ${median(xs).toFixed(2).padStart(7)} µs${main ? ` (${median(main).toFixed(2)} µs)` : ''}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
