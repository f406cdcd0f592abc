import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import { ApiError } from '../errors.ts';
import { DEFAULT_SPOT_SETTINGS } from './fargate.ts';
import { applySpotSettingsChange, changeSpotSettings, readSpotSettings, spotSettingsKey, writeSpotSettings } from './spot-settings.ts';

test('a region with no settings reads the defaults: no interruptions, no zone limit', async () => {
  const store = await openSqliteStore(':memory:');
  try {
    assert.deepEqual(await readSpotSettings(store, 'us-east-1'), DEFAULT_SPOT_SETTINGS);
  } finally {
    await store.close();
  }
});

test('written settings are read back per region, with when they changed', async () => {
  const store = await openSqliteStore(':memory:');
  try {
    await writeSpotSettings(store, 'us-east-1', { interruptionsPerHour: 2, seed: 7, capacity: { 'us-east-1a': 3 } }, 1000);
    assert.deepEqual(await readSpotSettings(store, 'us-east-1'), { interruptionsPerHour: 2, seed: 7, capacity: { 'us-east-1a': 3 }, updatedAt: 1000 });
    assert.deepEqual(await readSpotSettings(store, 'eu-west-1'), DEFAULT_SPOT_SETTINGS);
  } finally {
    await store.close();
  }
});

test('a change merges over the current settings; a zone set to none loses its limit', async () => {
  const store = await openSqliteStore(':memory:');
  try {
    await changeSpotSettings(store, 'us-east-1', { capacity: { 'us-east-1a': 3, 'us-east-1b': 1 } }, 1);
    await changeSpotSettings(store, 'us-east-1', { interruptionsPerHour: 0.5 }, 2);
    const s = await changeSpotSettings(store, 'us-east-1', { capacity: { 'us-east-1b': -1 } }, 3);
    assert.deepEqual(s, { interruptionsPerHour: 0.5, seed: 1, capacity: { 'us-east-1a': 3 }, updatedAt: 3 });
    assert.deepEqual(await readSpotSettings(store, 'us-east-1'), s);
  } finally {
    await store.close();
  }
});

test('bad settings throw InvalidParameterException naming the field and write nothing', async () => {
  const store = await openSqliteStore(':memory:');
  try {
    const bad = [
      { interruptionsPerHour: -1 }, { interruptionsPerHour: 'x' }, { interruptionsPerHour: 1e9 },
      { seed: 1.5 }, { seed: -2 }, { capacity: [] }, { capacity: { 'US EAST': 1 } }, { capacity: { 'us-east-1a': 2.5 } },
    ];
    for (const change of bad) {
      await assert.rejects(changeSpotSettings(store, 'us-east-1', change, 1), (err: unknown) => {
        assert.ok(err instanceof ApiError);
        assert.equal(err.code, 'InvalidParameterException');
        assert.match(err.message, new RegExp(Object.keys(change)[0]!));
        return true;
      });
    }
    assert.equal(await store.get(spotSettingsKey('us-east-1')), undefined);
  } finally {
    await store.close();
  }
});

test('applySpotSettingsChange with nothing to change keeps every field', () => {
  const s = { interruptionsPerHour: 4, seed: 9, capacity: { 'a-1': 2 } };
  assert.deepEqual(applySpotSettingsChange(s, {}, 5), { ...s, updatedAt: 5 });
});
