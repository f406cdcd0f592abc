import assert from 'node:assert/strict';
import { test } from 'node:test';
import { datetimeRegex, MultilineJoiner, type Line } from './multiline.ts';

test('awslogs-datetime-format: strftime directives become Docker\'s regex, anchored at the line start', () => {
  const r = datetimeRegex('%Y-%m-%d %H:%M:%S');
  assert.ok(r.test('2026-12-07 08:51:49 started'));
  assert.ok(!r.test('  at 2026-12-07 08:51:49'), 'only at the start');
  assert.ok(!r.test('2026-13-07 08:51:49'), 'no month 13');
  assert.ok(datetimeRegex('[%b %d, %Y %H:%M:%S]').test('[May 01, 2017 19:00:01] A message'), 'literal brackets are escaped');
  assert.ok(datetimeRegex('%a %A %B %I%p %j %y %z %Z %f%L %%').test('Mon Monday December 11PM 365 26 +0100 PST 123456.789 %'));
  assert.ok(!datetimeRegex('%H:%M').test('24:00'));
  assert.ok(datetimeRegex('%j %U').test('363 27'), 'every day of the year, every week');
});

const line = (message: string, end: number, timestamp = end): Line => ({ timestamp, message, end });

test('multiline: a matching line starts an event, the others join it with newlines; flush ends the last one', () => {
  const j = new MultilineJoiner(datetimeRegex('%Y-%m-%d'));
  const out: (Line | undefined)[] = [];
  out.push(j.push(line('2026-01-01 boom', 10)));
  out.push(j.push(line('  at a()', 20)));
  out.push(j.push(line('  at b()', 30)));
  out.push(j.push(line('2026-01-01 next', 40)));
  assert.deepEqual(out.filter(Boolean), [{ timestamp: 10, message: '2026-01-01 boom\n  at a()\n  at b()', end: 30 }]);
  assert.ok(j.pending);
  assert.deepEqual(j.flush(), { timestamp: 40, message: '2026-01-01 next', end: 40 });
  assert.equal(j.flush(), undefined);
});

test('multiline: lines before the first match are an event of their own', () => {
  const j = new MultilineJoiner(/^INFO/);
  assert.equal(j.push(line('noise', 1)), undefined);
  assert.equal(j.push(line('more noise', 2)), undefined);
  assert.deepEqual(j.push(line('INFO go', 3)), { timestamp: 1, message: 'noise\nmore noise', end: 2 });
});
