import { it } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration } from './duration.ts';

it('ages read as kubectl shows them', () => {
  const s = 1000;
  assert.deepEqual(
    [45 * s, 119 * s, 303 * s, 600 * s, 3 * 3600 * s + 5 * 60 * s, 30 * 3600 * s, 53 * 3600 * s, 20 * 86400 * s, 800 * 86400 * s].map(humanDuration),
    ['45s', '119s', '5m3s', '10m', '3h5m', '30h', '2d5h', '20d', '2y70d'],
  );
});
