import type { DatabaseSync, StatementSync } from 'node:sqlite';

/**
 * One stored copy of every value: the log.
 *
 *   kv   key ─▶ (mod_rev, seq)        WITHOUT ROWID, ~50-byte rows: the current revision of each key
 *   log  (rev, seq) ─▶ key, type, value, create_rev, version
 *                                     rowid table: every change, values kilobytes
 *   meta revision, compacted
 *
 * A put appends its log row (the value) and points the key's kv row at it; `get` and `list`
 * read the value through that pointer. Before, kv held the value too, so each put wrote it
 * twice (measured in the placer: the second copy was ~20% of a committed placement). kv
 * rows now hold no value, so kv is WITHOUT ROWID (one b-tree keyed by key, where the rowid
 * kv needed a table and a unique index); the log stays a rowid table: its values are
 * kilobytes, and a WITHOUT ROWID row past ~1 KB spills into overflow pages (kv point reads
 * 3-4x slower then).
 *
 * Compaction keeps current values: it deletes log rows of the compacted range that no kv row
 * points at, so every log row at or below `compacted` is a key's current value (never
 * history: a watch resumes only after `compacted`). When such a key is written or deleted
 * again, its old row goes in the same transaction; a row above `compacted` stays as history
 * and goes at the compaction that passes it.
 *
 * Data dirs written before (kv holding values; a WITHOUT ROWID log before that) are
 * migrated at open: LOG_MIGRATION, then KV_MIGRATION, each all or nothing.
 */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  key TEXT NOT NULL PRIMARY KEY, mod_rev INTEGER NOT NULL, seq INTEGER NOT NULL,
  create_rev INTEGER NOT NULL, version INTEGER NOT NULL
) WITHOUT ROWID;
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
 * WITHOUT ROWID, before KV_MIGRATION and SCHEMA.
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

/**
 * A data dir whose kv rows hold values, moved to kv rows pointing at the log, in one
 * transaction. A current value still in the log (its put not compacted) is pointed at
 * there: the last put of the key in its revision (the highest seq). One already compacted
 * gets a log row at its revision with a negative seq (-rowid of its old kv row: unique,
 * and never a real seq), at or below `compacted`, so no watch ever sees it as history.
 * The index on (key, rev) only serves this lookup and is dropped after it.
 */
export const KV_MIGRATION = `
BEGIN IMMEDIATE;
ALTER TABLE kv RENAME TO kv_with_values;
CREATE INDEX log_key_rev_migration ON log (key, rev);
INSERT INTO log (rev, seq, key, type, value, create_rev, version)
  SELECT o.mod_rev, -o.rowid, o.key, 0, o.value, o.create_rev, o.version FROM kv_with_values o
  WHERE NOT EXISTS (SELECT 1 FROM log l WHERE l.key = o.key AND l.rev = o.mod_rev AND l.type = 0);
CREATE TABLE kv (
  key TEXT NOT NULL PRIMARY KEY, mod_rev INTEGER NOT NULL, seq INTEGER NOT NULL,
  create_rev INTEGER NOT NULL, version INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO kv (key, mod_rev, seq, create_rev, version)
  SELECT o.key, o.mod_rev, (SELECT max(l.seq) FROM log l WHERE l.key = o.key AND l.rev = o.mod_rev AND l.type = 0), o.create_rev, o.version
  FROM kv_with_values o;
DROP INDEX log_key_rev_migration;
DROP TABLE kv_with_values;
COMMIT;
`;

/** True when the data dir's kv rows hold values (written before KV_MIGRATION). */
export const KV_NEEDS_MIGRATION = `SELECT 1 AS old FROM pragma_table_info('kv') WHERE name = 'value'`;

export interface KvRow { key: string; value: string; create_rev: number; mod_rev: number; version: number }
/** A kv row without its value: where the value is in the log, and the key's revisions. */
export interface KvHead { mod_rev: number; seq: number; create_rev: number; version: number }
export interface LogRow { rev: number; seq: number; key: string; type: 0 | 1; value: string | null; create_rev: number; version: number }

/** The store's prepared statements. */
export function statements(db: DatabaseSync) {
  const p = (sql: string): StatementSync => db.prepare(sql);
  // kv first (the planner seeks or walks kv by key), then the value by the log's (rev, seq) index.
  const columns = 'SELECT kv.key AS key, log.value AS value, kv.create_rev AS create_rev, kv.mod_rev AS mod_rev, kv.version AS version FROM kv CROSS JOIN log ON log.rev = kv.mod_rev AND log.seq = kv.seq WHERE';
  // A keys-only page (ListOptions.keysOnly) reads kv alone: no log row, no value copied out.
  const keys = "SELECT kv.key AS key, '' AS value, kv.create_rev AS create_rev, kv.mod_rev AS mod_rev, kv.version AS version FROM kv WHERE";
  return {
    keysFromAsc: p(`${keys} kv.key >= ? ORDER BY kv.key LIMIT ?`),
    keysBetweenAsc: p(`${keys} kv.key >= ? AND kv.key < ? ORDER BY kv.key LIMIT ?`),
    keysAfterAsc: p(`${keys} kv.key > ? ORDER BY kv.key LIMIT ?`),
    keysAfterBelowAsc: p(`${keys} kv.key > ? AND kv.key < ? ORDER BY kv.key LIMIT ?`),
    keysFromDesc: p(`${keys} kv.key >= ? ORDER BY kv.key DESC LIMIT ?`),
    keysBetweenDesc: p(`${keys} kv.key >= ? AND kv.key < ? ORDER BY kv.key DESC LIMIT ?`),
    // One lower and one upper bound each: what SQLite's planner seeks with (see `list`).
    fromAsc: p(`${columns} kv.key >= ? ORDER BY kv.key LIMIT ?`),
    betweenAsc: p(`${columns} kv.key >= ? AND kv.key < ? ORDER BY kv.key LIMIT ?`),
    afterAsc: p(`${columns} kv.key > ? ORDER BY kv.key LIMIT ?`),
    afterBelowAsc: p(`${columns} kv.key > ? AND kv.key < ? ORDER BY kv.key LIMIT ?`),
    fromDesc: p(`${columns} kv.key >= ? ORDER BY kv.key DESC LIMIT ?`),
    betweenDesc: p(`${columns} kv.key >= ? AND kv.key < ? ORDER BY kv.key DESC LIMIT ?`),
    get: p(`${columns} kv.key = ?`),
    modRev: p('SELECT mod_rev FROM kv WHERE key = ?'),
    head: p('SELECT mod_rev, seq, create_rev, version FROM kv WHERE key = ?'),
    keysFrom: p('SELECT key FROM kv WHERE key >= ?'),
    keysBetween: p('SELECT key FROM kv WHERE key >= ? AND key < ?'),
    put: p('INSERT INTO kv (key, mod_rev, seq, create_rev, version) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET mod_rev = excluded.mod_rev, seq = excluded.seq, version = excluded.version'),
    del: p('DELETE FROM kv WHERE key = ?'),
    log: p('INSERT INTO log (rev, seq, key, type, value, create_rev, version) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    /** A compacted key's current value, superseded (see SCHEMA). */
    dropLog: p('DELETE FROM log WHERE rev = ? AND seq = ?'),
    /** Changes in (?1, ?4] under [?2, ?3): up to the acknowledged revision, the rest comes live. */
    history: p(`SELECT rev, seq, key, type, value, create_rev, version FROM log WHERE rev > ?1 AND rev <= ?4 AND key >= ?2 AND (?3 = '' OR key < ?3) ORDER BY rev, seq`),
    /** Log rows of (?1, ?2] that are no key's current value. */
    compact: p('DELETE FROM log WHERE rev > ?1 AND rev <= ?2 AND NOT EXISTS (SELECT 1 FROM kv WHERE kv.key = log.key AND kv.mod_rev = log.rev AND kv.seq = log.seq)'),
    getMeta: p('SELECT value FROM meta WHERE name = ?'),
    setMeta: p('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value'),
    begin: p('BEGIN IMMEDIATE'),
    /** A read transaction: a list page and the revision it was read at, from one snapshot. */
    beginRead: p('BEGIN DEFERRED'),
    commit: p('COMMIT'),
    savepoint: p('SAVEPOINT txn'),
    release: p('RELEASE txn'),
    rollbackTo: p('ROLLBACK TO txn'),
  } as const;
}
