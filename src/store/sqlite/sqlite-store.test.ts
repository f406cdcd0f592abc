import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeConformance, storeCompactionConformance } from '../conformance.ts';
import { openSqliteStore, StoreLockedError } from './sqlite-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-sqlite-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

storeConformance('sqlite', () => openSqliteStore(join(dir, `c${n++}.db`)));
storeCompactionConformance('sqlite', (historyRevisions) => openSqliteStore(join(dir, `h${n++}.db`), { historyRevisions }));

test('sqlite: what was written is there after reopening, revision included', async () => {
  const path = join(dir, 'reopen.db');
  const s1 = await openSqliteStore(path);
  await s1.txn({ ops: [{ type: 'put', key: '/a', value: 'x' }] });
  await s1.txn({ ops: [{ type: 'put', key: '/b', value: 'y' }] });
  await s1.close();
  const s2 = await openSqliteStore(path);
  try {
    assert.equal(await s2.revision(), 2);
    assert.equal((await s2.get('/b'))?.value, 'y');
    assert.equal((await s2.txn({ ops: [{ type: 'put', key: '/c', value: 'z' }] })).revision, 3);
  } finally {
    await s2.close();
  }
});

test('sqlite: a second opener of the same database is refused with a clear error', async () => {
  const path = join(dir, 'locked.db');
  const s1 = await openSqliteStore(path);
  try {
    await assert.rejects(openSqliteStore(path), StoreLockedError);
  } finally {
    await s1.close();
  }
});
