import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
