import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureJoinToken, joinTokenChecker, joinTokenPath, readJoinToken, rotateJoinToken } from './join-token.ts';

function dataDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-join-token-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the first start makes a token from the random bytes it is given, private to its owner; later starts read the same one', (t) => {
  const dir = dataDir(t);
  const token = ensureJoinToken(dir, () => new Uint8Array(32).fill(9));
  assert.equal(token, `berth_join_${Buffer.alloc(32, 9).toString('base64url')}`);
  assert.equal(statSync(joinTokenPath(dir)).mode & 0o777, 0o600);
  assert.equal(readFileSync(joinTokenPath(dir), 'utf8'), `${token}\n`);
  assert.equal(ensureJoinToken(dir, () => { throw new Error('no new token was wanted'); }), token);
});

test('rotating replaces the token: the checker refuses the old one at once and accepts the new', (t) => {
  const dir = dataDir(t);
  const check = joinTokenChecker(dir);
  const old = ensureJoinToken(dir);
  assert.ok(check(old));
  const fresh = rotateJoinToken(dir);
  assert.notEqual(fresh, old);
  assert.ok(!check(old));
  assert.ok(check(fresh));
  assert.ok(!check(''));
});

test('no token file: nothing is accepted', (t) => {
  const dir = dataDir(t);
  assert.equal(readJoinToken(dir), undefined);
  assert.ok(!joinTokenChecker(dir)('berth_join_'));
});

test('a damaged or world-readable token file is refused with what to do', (t) => {
  const dir = dataDir(t);
  writeFileSync(joinTokenPath(dir), 'hello\n', { mode: 0o600 });
  assert.throws(() => readJoinToken(dir), /does not hold a join token: remove it .*'berth token --rotate'/);
  const token = rotateJoinToken(dir);
  chmodSync(joinTokenPath(dir), 0o644);
  assert.throws(() => readJoinToken(dir), /readable by other users: chmod 600 it/);
  chmodSync(joinTokenPath(dir), 0o600);
  assert.equal(readJoinToken(dir), token);
});
