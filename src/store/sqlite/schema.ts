/**
 * kv is a rowid table with a unique key index, not WITHOUT ROWID: its values are
 * kilobytes (task definitions), and in a WITHOUT ROWID table every such row spills into
 * overflow pages of the key's b-tree (measured: point reads 3-4x slower).
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
  type INTEGER NOT NULL, value TEXT, create_rev INTEGER NOT NULL, version INTEGER NOT NULL,
  PRIMARY KEY (rev, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`;

export interface KvRow { key: string; value: string; create_rev: number; mod_rev: number; version: number }
export interface LogRow { rev: number; seq: number; key: string; type: 0 | 1; value: string | null; create_rev: number; version: number }
