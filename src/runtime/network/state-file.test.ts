import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STATE_FILE, loadState, saveState } from './state-file.ts';
import { emptyState } from './state.ts';

test('a missing file is an empty state; saves are read back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-net-sf-'));
  try {
    assert.deepEqual(loadState(dir).state, emptyState());
    const s = { ...emptyState(), cursors: { bridge: 7, vpc: 0, tcp: 0, udp: 0 } };
    saveState(dir, s);
    assert.deepEqual(loadState(dir).state, s);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('each save is in place when it returns; the last one wins; no temporary file is left', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-net-sf-'));
  try {
    for (let i = 0; i < 20; i++) {
      saveState(dir, { ...emptyState(), cursors: { bridge: i, vpc: 0, tcp: 0, udp: 0 } });
      assert.equal(loadState(dir).state.cursors.bridge, i, 'written before save returned');
    }
    assert.equal(loadState(dir).state.cursors.bridge, 19);
    assert.deepEqual(readdirSync(dir), [STATE_FILE], 'no temporary file left');
    rmSync(dir, { recursive: true });
    assert.throws(() => saveState(dir, emptyState()), /ENOENT/, 'a failed write throws');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupt file is moved aside with a warning', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-net-sf-'));
  try {
    writeFileSync(join(dir, STATE_FILE), '{"version":1,"cur');
    const l = loadState(dir, () => 42);
    assert.deepEqual(l.state, emptyState());
    assert.match(l.warning ?? '', /unreadable.*moved to .*corrupt-42/);
    assert.equal(readFileSync(join(dir, `${STATE_FILE}.corrupt-42`), 'utf8'), '{"version":1,"cur');
  } finally {
    rmSync(dir, { recursive: true });
  }
});
