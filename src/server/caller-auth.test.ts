import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopback } from './caller-auth.ts';

test('callers on this host are told apart by their loopback address, IPv4-mapped too', () => {
  for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopback(a), a);
  for (const a of ['192.0.2.2', '::ffff:192.0.2.2', 'fd00::2', '::', '0.0.0.0', '', undefined, '1270.0.0.1', '::ffff:10.127.0.1']) assert.ok(!isLoopback(a), String(a));
});
