/**
 * For checkpoint.test.ts: writes to the store at argv[2] as fast as it can, with a WAL
 * bound of argv[3] bytes so checkpoints run every few batches, and prints each
 * acknowledged key on its own line; the test kills it with SIGKILL mid-stream.
 */
import { openSqliteStore } from './sqlite-store.ts';

const store = await openSqliteStore(process.argv[2]!, { checkpointBytes: Number(process.argv[3]) });
const value = 'v'.repeat(1_500);
let n = 0;
// 8 writers: batches of several transactions, each a few puts and sometimes a delete.
await Promise.all(Array.from({ length: 8 }, async (_, w) => {
  for (;;) {
    const i = n++;
    const key = `/crash/${w}/${String(i).padStart(8, '0')}`;
    await store.txn({ ops: [{ type: 'put', key, value: `${i}:${value}` }, { type: 'put', key: `/crash/last/${w}`, value: String(i) }] });
    process.stdout.write(`${key}\n`);
  }
}));
