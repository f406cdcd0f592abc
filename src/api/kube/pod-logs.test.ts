import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogFilter, MAX_RECORD_BYTES, parseLogOptions, parseRecord, type LogOptions } from './pod-logs.ts';

const NOW = Date.parse('2026-12-07T10:00:10Z');
const plain: LogOptions = { container: undefined, follow: false, previous: false, timestamps: false, since: undefined, tailLines: undefined, limitBytes: undefined };
const rec = (s: number, stream: string, flag: string, text: string) => `2026-12-07T10:00:0${s}.000000001+00:00 ${stream} ${flag} ${text}\n`;

function run(options: Partial<LogOptions>, chunks: string[], flushAt = chunks.length): { out: string; done: boolean } {
  let out = '';
  const f = new LogFilter({ ...plain, ...options }, (t) => (out += t));
  chunks.forEach((c, i) => {
    if (i === flushAt) f.flush();
    f.push(c);
  });
  f.flush();
  return { out, done: f.done };
}

test('the query\'s options as the API server reads them; bad ones are its field errors', () => {
  const o = parseLogOptions(new URLSearchParams('container=web&follow=true&previous=1&timestamps=true&tailLines=5&limitBytes=100&sinceSeconds=4'), NOW);
  assert.deepEqual(o, { container: 'web', follow: true, previous: true, timestamps: true, since: NOW - 4000, tailLines: 5, limitBytes: 100 });
  assert.equal((parseLogOptions(new URLSearchParams('sinceTime=2026-12-07T10:00:00Z'), NOW) as LogOptions).since, Date.parse('2026-12-07T10:00:00Z'));
  const bad = parseLogOptions(new URLSearchParams('tailLines=-1&limitBytes=0&sinceSeconds=0'), NOW);
  assert.deepEqual((bad as { field: string; message: string }[]).map((e) => `${e.field}: ${e.message}`), [
    'tailLines: Invalid value: -1: must be greater than or equal to 0',
    'limitBytes: Invalid value: 0: must be greater than 0',
    'sinceSeconds: Invalid value: 0: must be greater than 0',
  ]);
  const both = parseLogOptions(new URLSearchParams('sinceSeconds=1&sinceTime=2026-12-07T10:00:00Z'), NOW);
  assert.match((both as { message: string }[])[0]!.message, /at most one of `sinceTime` or `sinceSeconds` may be specified/);
  assert.equal((parseLogOptions(new URLSearchParams('tailLines=x'), NOW) as { message: string }[])[0]!.message, 'Invalid value: "x": must be an integer');
});

test('a k8s-file record is read apart; any other line is a whole stdout record', () => {
  assert.deepEqual(parseRecord('2026-12-07T10:00:00.1+00:00 stderr P half'), { time: '2026-12-07T10:00:00.1+00:00', stream: 'stderr', partial: true, text: 'half' });
  assert.deepEqual(parseRecord('raw output'), { time: undefined, stream: 'stdout', partial: false, text: 'raw output' });
});

test('records come out whole, whatever the chunks they arrived in, partial records joined', () => {
  const log = rec(1, 'stdout', 'F', 'a') + rec(2, 'stdout', 'P', 'b1') + rec(2, 'stdout', 'F', 'b2') + rec(3, 'stderr', 'F', 'c');
  assert.equal(run({}, [log]).out, 'a\nb1b2\nc\n');
  assert.equal(run({}, [log.slice(0, 17), log.slice(17, 70), log.slice(70)]).out, 'a\nb1b2\nc\n');
});

test('timestamps in the kubelet\'s form; since leaves earlier records out', () => {
  const log = rec(1, 'stdout', 'F', 'a') + rec(3, 'stdout', 'F', 'b');
  assert.equal(run({ timestamps: true }, [log]).out, '2026-12-07T10:00:01.000000001Z a\n2026-12-07T10:00:03.000000001Z b\n');
  assert.equal(run({ since: Date.parse('2026-12-07T10:00:02Z') }, [log]).out, 'b\n');
});

test('a tail keeps the last lines of what was there, then what follows streams on', () => {
  const log = rec(1, 'stdout', 'F', 'a') + rec(2, 'stdout', 'F', 'b') + rec(3, 'stdout', 'F', 'c');
  assert.equal(run({ tailLines: 2 }, [log]).out, 'b\nc\n');
  assert.equal(run({ tailLines: 0 }, [log]).out, '');
  assert.equal(run({ tailLines: 1 }, [log, rec(4, 'stdout', 'F', 'd')], 1).out, 'c\nd\n');
});

test('limitBytes cuts the answer at that many bytes and says the stream is done', () => {
  const log = rec(1, 'stdout', 'F', 'hello') + rec(2, 'stdout', 'F', 'world');
  assert.deepEqual(run({ limitBytes: 8 }, [log]), { out: 'hello\nwo', done: true });
  assert.deepEqual(run({ limitBytes: 100 }, [log]), { out: 'hello\nworld\n', done: false });
});

test('a record that never ends is cut at MAX_RECORD_BYTES', () => {
  const part = 'x'.repeat(64 * 1024);
  const chunks = Array.from({ length: 20 }, (_, i) => rec(1, 'stdout', i === 19 ? 'F' : 'P', part));
  assert.equal(run({}, chunks).out.length, MAX_RECORD_BYTES + 1);
});
