/**
 * A writer for group-log.test.ts's kill -9 test: appends numbered batches to a group log
 * and prints each batch's number once its append is acknowledged. The test kills it with
 * SIGKILL mid-stream and checks that every acknowledged batch is there after reopening.
 * usage: node crash-writer.ts <dir>
 */
import { GroupLog } from './group-log.ts';

const log = new GroupLog(process.argv[2]!, { segmentMaxBytes: 256 * 1024 });
const message = 'x'.repeat(900);
for (let n = 0; ; n++) {
  const events = Array.from({ length: 20 }, (_, i) => ({ timestamp: 1_000_000 + n * 20 + i, message: `batch ${n} event ${i} ${message}` }));
  // Several appends in flight at once, so group commit (one fdatasync for many) is what dies.
  await Promise.all([log.append('s1', 'one', n, events), log.append('s2', 'two', n, events)]);
  process.stdout.write(`${n}\n`);
}
