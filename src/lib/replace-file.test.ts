import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replaceFileSync } from './replace-file.ts';

for (const durable of [false, true]) {
  test(`replaceFileSync${durable ? ' (durable)' : ''} replaces the contents and leaves no temporary file`, (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-replace-file-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'state.json');
    writeFileSync(path, 'old');
    replaceFileSync(path, 'new', { durable });
    assert.equal(readFileSync(path, 'utf8'), 'new');
    assert.deepEqual(readdirSync(dir), ['state.json']);
  });
}

test('replaceFileSync with a mode creates the file with it, even over a leftover temporary file of a crash', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-replace-file-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'secret');
  writeFileSync(`${path}.tmp-${process.pid}`, 'leftover', { mode: 0o644 });
  replaceFileSync(path, 'key', { durable: true, mode: 0o600 });
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(readFileSync(path, 'utf8'), 'key');
  assert.deepEqual(readdirSync(dir), ['secret']);
});
