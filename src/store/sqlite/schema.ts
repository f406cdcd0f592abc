import type { DatabaseSync, StatementSync } from 'node:sqlite';

/**
 * kv and log are rowid tables with unique indexes, not WITHOUT ROWID: their values are
 * kilobytes (task definitions, task records), and in a WITHOUT ROWID table a row past
 * ~1 KB spills into an overflow page of the b-tree (measured: kv point reads 3-4x slower;
 * 1,000 puts of 1.3 KB task records, each value also in the log: ~20% less CPU with a
 * rowid log). Data dirs with the earlier WITHOUT ROWID log are migrated at open (LOG_MIGRATION).
 * kv holds the current value of every key; log holds every change (for watchers resuming
 * from a revision) until compaction; meta holds the store revision and the compaction point.
 */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  key TEXT NOT NULL UNIQUE, value TEXT NOT NULL,
  create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL, version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS log (
  rev INTEGER NOT NULL, seq INTEGER NOT NULL, key TEXT NOT NULL,
  type INTEGER NOT NULL, value TEXT, create_rev INTEGER NOT NULL, version INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS log_rev_seq ON log (rev, seq);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`;

/**
 * The log of a data dir written before the rowid log, moved into one in one transaction
 * (all or nothing if the process dies meanwhile). Run when sqlite_master says the log is
 * WITHOUT ROWID, before SCHEMA.
 */
export const LOG_MIGRATION = `
BEGIN IMMEDIATE;
ALTER TABLE log RENAME TO log_without_rowid;
CREATE TABLE log (
  rev INTEGER NOT NULL, seq INTEGER NOT NULL, key TEXT NOT NULL,
  type INTEGER NOT NULL, value TEXT, create_rev INTEGER NOT NULL, version INTEGER NOT NULL
);
CREATE UNIQUE INDEX log_rev_seq ON log (rev, seq);
INSERT INTO log (rev, seq, key, type, value, create_rev, version)
  SELECT rev, seq, key, type, value, create_rev, version FROM log_without_rowid ORDER BY rev, seq;
DROP TABLE log_without_rowid;
COMMIT;
`;

/** True when the data dir's log is the earlier WITHOUT ROWID table. */
export const LOG_NEEDS_MIGRATION = `SELECT 1 AS old FROM sqlite_master WHERE type = 'table' AND name = 'log' AND sql LIKE '%WITHOUT ROWID%'`;

export interface KvRow { key: string; value: string; create_rev: number; mod_rev: number; version: number }
export interface LogRow { rev: number; seq: number; key: string; type: 0 | 1; value: string | null; create_rev: number; version: number }

/** The store's prepared statements. */
export function statements(db: DatabaseSync) {
  const p = (sql: string): StatementSync => db.prepare(sql);
  const columns = 'SELECT key, value, create_rev, mod_rev, version FROM kv WHERE';
  return {
    // One lower and one upper bound each: what SQLite's planner seeks with (see `list`).
    fromAsc: p(`${columns} key >= ? ORDER BY key LIMIT ?`),
    betweenAsc: p(`${columns} key >= ? AND key < ? ORDER BY key LIMIT ?`),
    afterAsc: p(`${columns} key > ? ORDER BY key LIMIT ?`),
    afterBelowAsc: p(`${columns} key > ? AND key < ? ORDER BY key LIMIT ?`),
    fromDesc: p(`${columns} key >= ? ORDER BY key DESC LIMIT ?`),
    betweenDesc: p(`${columns} key >= ? AND key < ? ORDER BY key DESC LIMIT ?`),
    get: p('SELECT key, value, create_rev, mod_rev, version FROM kv WHERE key = ?'),
    modRev: p('SELECT mod_rev FROM kv WHERE key = ?'),
    prevRevs: p('SELECT create_rev, version FROM kv WHERE key = ?'),
    keysFrom: p('SELECT key FROM kv WHERE key >= ?'),
    keysBetween: p('SELECT key FROM kv WHERE key >= ? AND key < ?'),
    put: p('INSERT INTO kv (key, value, create_rev, mod_rev, version) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, mod_rev = excluded.mod_rev, version = excluded.version'),
    del: p('DELETE FROM kv WHERE key = ?'),
    log: p('INSERT INTO log (rev, seq, key, type, value, create_rev, version) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    history: p(`SELECT rev, seq, key, type, value, create_rev, version FROM log WHERE rev > ? AND key >= ? AND (?3 = '' OR key < ?3) ORDER BY rev, seq`),
    compact: p('DELETE FROM log WHERE rev <= ?'),
    getMeta: p('SELECT value FROM meta WHERE name = ?'),
    setMeta: p('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value'),
    begin: p('BEGIN IMMEDIATE'),
    commit: p('COMMIT'),
    savepoint: p('SAVEPOINT txn'),
    release: p('RELEASE txn'),
    rollbackTo: p('ROLLBACK TO txn'),
  } as const;
}
