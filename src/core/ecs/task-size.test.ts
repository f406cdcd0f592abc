import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isFargateSize, smallestFargateSize } from './task-size.ts';

test('the smallest Fargate size that holds a task: fewest CPU units first, then least memory', () => {
  assert.deepEqual(smallestFargateSize(0, 0), { cpu: 256, memory: 512 });
  assert.deepEqual(smallestFargateSize(256, 2048), { cpu: 256, memory: 2048 });
  assert.deepEqual(smallestFargateSize(256, 2049), { cpu: 512, memory: 3072 });
  assert.deepEqual(smallestFargateSize(1025, 100), { cpu: 2048, memory: 4096 });
  assert.deepEqual(smallestFargateSize(8192, 61441), { cpu: 16384, memory: 65536 });
  for (const [cpu, memory] of [[1, 1], [700, 5000], [4096, 30720]] as const) {
    const s = smallestFargateSize(cpu, memory)!;
    assert.ok(isFargateSize(s.cpu, s.memory) && s.cpu >= cpu && s.memory >= memory);
  }
});

test('a task larger than every Fargate size has none', () => {
  assert.equal(smallestFargateSize(16385, 1024), undefined);
  assert.equal(smallestFargateSize(1024, 122881), undefined);
});
