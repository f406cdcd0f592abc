import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import type { Txn } from '../store.ts';
import { applyBatch } from './apply-batch.ts';
import { decodeApplied, decodeBatch, encodeApplied, encodeBatch } from './batch-codec.ts';
import { SCHEMA, statements } from './schema.ts';

const txns: Txn[] = [
  { ops: [{ type: 'put', key: '/a/1', value: '{"x":1}' }, { type: 'put', key: '/a/2', value: 'plain' }] },
  // Text past one byte a character (the buffer grows), and an empty value.
  { if: [{ key: '/a/1', modRevision: 1 }], ops: [{ type: 'put', key: '/ü/ключ', value: '名前 🚢'.repeat(500) }, { type: 'put', key: '/a/3', value: '' }] },
  { if: [{ key: '/missing', modRevision: 7 }, { key: '/a/2', modRevision: 0 }], ops: [{ type: 'delete', key: '/a/1' }] },
  { ops: [] },
  { ops: [{ type: 'delete', key: '/a/2' }, { type: 'put', key: '/b', value: 'after a delete' }, { type: 'deletePrefix', prefix: '/a/' }, { type: 'put', key: '/a/9', value: 'again' }] },
];

test('batch codec: transactions cross to the writer whole, conditions and every kind of op, in order', () => {
  const enc = encodeBatch(txns);
  assert.deepEqual(decodeBatch(enc), txns);
  assert.deepEqual(decodeBatch(encodeBatch([])), []);
});

test('batch codec: an applied batch comes back as the writer decided it, each put event holding the writer\'s own value string', () => {
  const db = new DatabaseSync(':memory:');
  db.exec(SCHEMA);
  const s = statements(db);
  const state = { revision: 0, compacted: 0, history: 100 };
  // The worker's side: its own copies of the transactions.
  const applied = applyBatch(db, s, decodeBatch(encodeBatch(txns)), state);
  const back = decodeApplied(encodeApplied(applied), txns);
  assert.deepEqual(back.results, applied.results);
  assert.deepEqual(back.events, applied.events);
  assert.deepEqual(back.eventCounts, [2, 2, 0, 0, 5]);
  // The failed condition names its keys; the deletePrefix's deletes name theirs.
  assert.deepEqual(back.results[2], { ok: false, revision: 2, failed: ['/missing', '/a/2'] });
  assert.deepEqual(back.events.filter((e) => e.type === 'delete').map((e) => e.kv.key), ['/a/2', '/a/1', '/a/3']);
  const put = txns[1]!.ops[0] as { value: string };
  assert.equal(back.events.find((e) => e.kv.key === '/ü/ключ')!.kv.value, put.value);
  db.close();
});

test('batch codec: a transaction undone by an error comes back as that error, with no events', () => {
  const db = new DatabaseSync(':memory:');
  db.exec(SCHEMA);
  db.exec("CREATE TRIGGER refuse BEFORE INSERT ON log WHEN NEW.key = '/bad' BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END;");
  const s = statements(db);
  const state = { revision: 0, compacted: 0, history: 100 };
  const batch: Txn[] = [{ ops: [{ type: 'put', key: '/good', value: '1' }] }, { ops: [{ type: 'put', key: '/bad', value: '2' }] }, { ops: [{ type: 'put', key: '/good2', value: '3' }] }];
  const back = decodeApplied(encodeApplied(applyBatch(db, s, batch, state)), batch);
  assert.deepEqual(back.results.map((r) => (r instanceof Error ? r.message : r)), [{ ok: true, revision: 1 }, 'refused by a trigger', { ok: true, revision: 2 }]);
  assert.deepEqual(back.events.map((e) => e.kv.key), ['/good', '/good2']);
  db.close();
});
