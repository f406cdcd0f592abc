import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clockSampler, CLOCK_SAMPLE_MS, parseAdjtimex } from './clock.ts';

const REPORT = (maxerror: number, status: number) => `    mode:         0\n    maxerror:     ${maxerror}\n    esterror:     16000000\n    status:       ${status} (x)\n`;

test('adjtimex\'s maxerror in ms and its UNSYNC bit', () => {
  assert.deepEqual(parseAdjtimex(REPORT(446931, 0), 5), { errorBoundMs: 446.931, measuredAt: 5, synchronized: true });
  assert.deepEqual(parseAdjtimex(REPORT(16000000, 64), 5), { errorBoundMs: 16000, measuredAt: 5, synchronized: false });
  assert.equal(parseAdjtimex('sh: adjtimex: not found', 5), undefined);
});

test('sampled at start and then at most once a minute; a request gets the last sample', () => {
  let t = 0;
  let reads = 0;
  const clock = clockSampler(() => t, (done) => { reads++; done(REPORT(1000 * reads, 0)); });
  assert.equal(clock()?.errorBoundMs, 1);
  t = CLOCK_SAMPLE_MS - 1;
  assert.equal(clock()?.errorBoundMs, 1);
  t = CLOCK_SAMPLE_MS;
  assert.equal(clock()?.errorBoundMs, 2);
  assert.equal(reads, 2);
});
