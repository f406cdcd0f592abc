import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bearerOf, formatInstanceSecret, formatJoinToken, isInstanceSecret, isJoinToken, matchesHash, secretHash, tokensEqual, SECRET_BYTES,
} from './agent-credentials.ts';

const bytes = (fill: number) => new Uint8Array(SECRET_BYTES).fill(fill);

test('a join token and an instance secret are prefixed base64url of 32 random bytes, told apart by their prefix', () => {
  const token = formatJoinToken(bytes(0xfb));
  const secret = formatInstanceSecret(bytes(1));
  assert.match(token, /^berth_join_[A-Za-z0-9_-]{43}$/);
  assert.match(secret, /^berth_inst_[A-Za-z0-9_-]{43}$/);
  assert.equal(Buffer.from(token.slice('berth_join_'.length), 'base64url').length, SECRET_BYTES);
  assert.ok(isJoinToken(token) && !isInstanceSecret(token));
  assert.ok(isInstanceSecret(secret) && !isJoinToken(secret));
  assert.ok(!isJoinToken(`${token}x`) && !isJoinToken(token.slice(0, -1)) && !isJoinToken(''));
});

test('fewer or more random bytes than 32 are refused', () => {
  assert.throws(() => formatJoinToken(new Uint8Array(16)), /32 random bytes, not 16/);
  assert.throws(() => formatInstanceSecret(new Uint8Array(33)), /32 random bytes, not 33/);
});

test('a secret matches its own hash only', () => {
  const a = formatInstanceSecret(bytes(1));
  const b = formatInstanceSecret(bytes(2));
  assert.match(secretHash(a), /^[0-9a-f]{64}$/);
  assert.ok(matchesHash(a, secretHash(a)));
  assert.ok(!matchesHash(b, secretHash(a)));
  assert.ok(!matchesHash('', secretHash(a)));
  assert.ok(!matchesHash(a, 'not hex'), 'a damaged stored hash matches nothing');
});

test('tokens compare equal only when identical, whatever their lengths', () => {
  const t = formatJoinToken(bytes(7));
  assert.ok(tokensEqual(t, t));
  assert.ok(!tokensEqual(t.slice(0, -1), t));
  assert.ok(!tokensEqual(`${t}A`, t));
  assert.ok(!tokensEqual(formatJoinToken(bytes(8)), t));
});

test('the bearer value is read from an Authorization header, and nothing else is', () => {
  assert.equal(bearerOf('Bearer abc'), 'abc');
  assert.equal(bearerOf('bearer  abc '), 'abc');
  assert.equal(bearerOf('Basic abc'), undefined);
  assert.equal(bearerOf('Bearer a b'), undefined);
  assert.equal(bearerOf(undefined), undefined);
  assert.equal(bearerOf(['Bearer a', 'Bearer b']), undefined);
  assert.equal(bearerOf(`Bearer ${'x'.repeat(10_000)}`), undefined, 'an oversized header is not hashed');
});
