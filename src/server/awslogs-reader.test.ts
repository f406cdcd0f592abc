import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeAwslogs, type StreamReader } from './awslogs-reader.ts';

/** A stream of pages: each read answers the next page after the token. */
function reader(pages: { timestamp: number; message: string }[][]): StreamReader & { reads: number } {
  return {
    reads: 0,
    async read(_s, _now, _g, _st, token) {
      this.reads++;
      const at = token === undefined ? 0 : Number(token);
      return { events: pages[at] ?? [], next: String(Math.min(at + 1, pages.length)) };
    },
  };
}
const target = { scope: { account: '123456789012', region: 'us-east-1' }, group: 'g', stream: 's' };

test('berth logs of an awslogs container: every page, one k8s-file-like line per line of each event', async () => {
  const r = reader([[{ timestamp: 0, message: 'one' }, { timestamp: 1000, message: 'two\n  at x' }], [{ timestamp: 2000, message: 'three' }]]);
  let out = '';
  await writeAwslogs(r, target, false, async () => true, () => false, (t) => (out += t));
  assert.equal(out, [
    '1970-01-01T00:00:00.000Z awslogs F one', '1970-01-01T00:00:01.000Z awslogs F two', '1970-01-01T00:00:01.000Z awslogs F   at x',
    '1970-01-01T00:00:02.000Z awslogs F three', '',
  ].join('\n'));
});

test('followed: goes on until the task is stopped and nothing more is there; stops when the caller goes away', async () => {
  const r = reader([[{ timestamp: 0, message: 'a' }]]);
  let stoppedAfter = 3;
  let out = '';
  await writeAwslogs(r, target, true, async () => --stoppedAfter <= 0, () => false, (t) => (out += t));
  assert.equal(out, '1970-01-01T00:00:00.000Z awslogs F a\n');
  assert.ok(r.reads >= 3, 'read again while the task ran');
  const gone = reader([]);
  await writeAwslogs(gone, target, true, async () => false, () => true, () => {});
  assert.equal(gone.reads, 0);
});
