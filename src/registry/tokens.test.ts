import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTokenAuthority, tokenAuthority } from './tokens.ts';

const a = tokenAuthority(Buffer.alloc(32, 1));

test('a token verifies until it expires', () => {
  const t = a.issue({ account: '000000000000', expiresAt: 1000 });
  assert.deepEqual(a.verify(t, 999), { account: '000000000000', expiresAt: 1000 });
  assert.equal(a.verify(t, 1000), undefined);
});

test('a token signed with another secret, or altered, is refused', () => {
  const t = a.issue({ account: '1', expiresAt: 5000, scope: 'blob:x@y' });
  assert.equal(tokenAuthority(Buffer.alloc(32, 2)).verify(t, 0), undefined);
  const [p, claims, sig] = [t.slice(0, 7), t.slice(7, t.lastIndexOf('.')), t.slice(t.lastIndexOf('.') + 1)];
  const forged = Buffer.from(JSON.stringify({ a: '1', e: 9e15 })).toString('base64url');
  assert.equal(a.verify(`${p}${forged}.${sig}`, 0), undefined);
  assert.equal(a.verify(`${p}${claims}.${sig.slice(1)}`, 0), undefined);
  for (const junk of ['', 'berth1.', 'berth1..', 'x'.repeat(5000), 'AWS:xyz']) assert.equal(a.verify(junk, 0), undefined);
  assert.equal(a.verify(t, 0)?.scope, 'blob:x@y');
});

test('the secret is created once per data dir and reused', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-tokens-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const one = await openTokenAuthority(dir);
  const two = await openTokenAuthority(dir);
  assert.ok(two.verify(one.issue({ account: 'x', expiresAt: Date.now() + 1000 }), Date.now()));
});

test('a token names the principal that asked for it, when it was given one', () => {
  const principal = 'arn:aws:sts::000000000000:assumed-role/exec/0123456789abcdef0123456789abcdef';
  assert.equal(a.verify(a.issue({ account: '000000000000', expiresAt: 1000, principal }), 0)?.principal, principal);
  assert.equal(a.verify(a.issue({ account: '000000000000', expiresAt: 1000 }), 0)?.principal, undefined);
});
