import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ApiError } from '../../core/errors.ts';
import { encodeBatch, forEachEvent, HEADER_BYTES, readHead } from '../store/format.ts';
import { compilePattern, splitFields } from './match.ts';

const cases: [pattern: string, event: string, matches: boolean][] = [
  ['', 'anything', true],
  ['ERROR', '[ERROR] disk full', true],
  ['ERROR', 'error: disk full', false], // case-sensitive
  ['ERROR disk', '[ERROR] disk full', true],
  ['ERROR memory', '[ERROR] disk full', false],
  ['"disk full"', '[ERROR] disk full now', true],
  ['"disk full"', 'disk is full', false],
  ['"say \\"hi\\""', 'they say "hi" here', true],
  ['?ERROR ?WARN', 'WARN low disk', true],
  ['?ERROR ?WARN', 'INFO fine', false],
  ['ERROR -timeout', 'ERROR disk', true],
  ['ERROR -timeout', 'ERROR timeout reached', false],
  ['-healthcheck', 'GET /healthcheck 200', false],
  ['-healthcheck', 'GET / 200', true],
  ['%[Ee]rr(or)?%', 'an Err happened', true],
  ['%^INFO%', 'WARN INFO', false],
  ['{ $.level = "error" }', '{"level":"error","latency":5}', true],
  ['{ $.level = "error" }', '{"level":"warn"}', false],
  ['{ $.level = error }', '{"level":"error"}', true],
  ['{ $.level = "err*" }', '{"level":"error"}', true],
  ['{ $.level != "error" }', '{"level":"warn"}', true],
  ['{ $.level = "error" && $.latency > 100 }', '{"level":"error","latency":150}', true],
  ['{ $.level = "error" && $.latency > 100 }', '{"level":"error","latency":50}', false],
  ['{ $.level = "error" || $.latency >= 100 }', '{"level":"info","latency":100}', true],
  ['{ ($.a = 1 || $.b = 2) && $.c = 3 }', '{"a":1,"c":3}', true],
  ['{ ($.a = 1 || $.b = 2) && $.c = 3 }', '{"a":1,"c":4}', false],
  ['{ $.user.id = 7 }', '{"user":{"id":7}}', true],
  ['{ $.items[1] = "b" }', '{"items":["a","b"]}', true],
  ['{ $.items[*] = "b" }', '{"items":["a","b"]}', true],
  ['{ $.ok IS TRUE }', '{"ok":true}', true],
  ['{ $.ok IS FALSE }', '{"ok":true}', false],
  ['{ $.gone IS NULL }', '{"gone":null}', true],
  ['{ $.gone NOT EXISTS }', '{"here":1}', true],
  ['{ $.here EXISTS }', '{"here":1}', true],
  ['{ $.latency < 10 }', 'not json at all', false],
  ['{ $.latency < 10 }', '{"latency":"fast"}', false],
  ['{ $.msg = %time.*out% }', '{"msg":"timed out: timeout"}', true],
  ['[ip, user, status, bytes]', '10.0.0.1 bob 404 512', true],
  ['[ip, user, status, bytes]', '10.0.0.1 bob 404', false],
  ['[ip, user, status = 404, bytes > 500]', '10.0.0.1 bob 404 512', true],
  ['[ip, user, status = 4*, bytes]', '10.0.0.1 bob 403 512', true],
  ['[ip, user, status = 5* || status = 4*, bytes]', '10.0.0.1 bob 403 512', true],
  ['[ip, user, status != 200, ...]', '10.0.0.1 bob 200 512 extra', false],
  ['[ip, ..., bytes > 1000]', '10.0.0.1 a b c 2000', true],
  ['[ip, ..., bytes > 1000]', '10.0.0.1 a b c 20', false],
  ['[ip, time, request = "GET*", status]', '1.2.3.4 [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.0" 200', true],
];

test('filter patterns match as CloudWatch Logs documents them', () => {
  for (const [pattern, event, want] of cases) {
    assert.equal(compilePattern(pattern).matches(event), want, `${pattern} on ${event}`);
  }
});

test('invalid patterns are InvalidParameterException "Invalid filter pattern"', () => {
  for (const bad of ['"unclosed', '{ $.a = 1', '{ a = 1 }', '{ $.a ~ 1 }', '{ $.a > "x" }', '[a, b', '[]', '[a b]', '{ $.a = 1 } junk', 'x%', '%[%', '{ $.a IS MAYBE }', '{ $.a = 1 && }', 'x'.repeat(1025)]) {
    assert.throws(() => compilePattern(bad), (err: unknown) => err instanceof ApiError && err.code === 'InvalidParameterException' && err.message === 'Invalid filter pattern', bad);
  }
});

test('space-delimited fields: quotes and brackets hold one field each', () => {
  assert.deepEqual(splitFields('a "b c" [d e] f'), ['a', 'b c', 'd e', 'f']);
});

test('property: the byte-level term matcher agrees with the string matcher on every event of a batch', () => {
  const word = fc.constantFrom('ERROR', 'WARN', 'disk', 'full', 'é', 'ab', 'aba', 'x y');
  const message = fc.array(fc.oneof(word, fc.string({ maxLength: 4 })), { minLength: 1, maxLength: 6 }).map((w) => w.join(' ')).filter((m) => m.length > 0);
  const term = fc.tuple(fc.constantFrom('', '?', '-'), word).map(([p, w]) => (w.includes(' ') ? `${p}"${w}"` : `${p}${w}`));
  fc.assert(fc.property(fc.array(term, { minLength: 1, maxLength: 4 }), fc.array(message, { minLength: 1, maxLength: 30 }), (terms, messages) => {
    const pattern = compilePattern(terms.join(' '));
    const record = encodeBatch('s', 's', 0, messages.map((m, i) => ({ timestamp: i, message: m })));
    const payload = record.subarray(HEADER_BYTES);
    const t = pattern.forBatch(payload);
    forEachEvent(payload, readHead(payload), (i, _ts, s, e) => {
      assert.equal(t(s, e), pattern.matches(messages[i]!), `${terms.join(' ')} on ${JSON.stringify(messages[i])}`);
    });
  }), { numRuns: 500 });
});
