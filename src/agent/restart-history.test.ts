import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRestarts, RESTARTS_FILE, writeRestarts } from './restart-history.ts';

test('restart counts survive in the task\'s directory; none, or an unreadable file, is no restarts', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-restarts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.deepEqual(readRestarts(dir), {});
  const all = { web: { restarts: { count: 2, lastRestartAt: 100, backoffSeconds: 20 }, lastTermination: { exitCode: 1, reason: 'Error' } } };
  writeRestarts(dir, all);
  assert.deepEqual(readRestarts(dir), all);
  writeFileSync(join(dir, RESTARTS_FILE), '{torn');
  assert.deepEqual(readRestarts(dir), {});
});
