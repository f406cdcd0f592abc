import { test } from 'node:test';
import assert from 'node:assert/strict';
import { familySample, revisionSample, rssMiB } from './ecs-samples.ts';

test('a revision sample names distinct stored revisions spread over the whole store', () => {
  const layout = { prefix: 'bench', families: 50_000, revisions: 10 };
  const s = revisionSample(layout, 10_000);
  assert.equal(s.length, 10_000);
  assert.equal(new Set(s).size, 10_000);
  assert.equal(s[0], 'bench-0000:1');
  const revisions = new Set(s.map((r) => Number(r.split(':')[1])));
  assert.deepEqual([...revisions].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'every revision number is read');
  assert.equal(revisionSample({ prefix: 'bench', families: 3, revisions: 2 }, 10_000).length, 6, 'a small store is read whole');
});

test('a family sample names distinct seeded families', () => {
  const s = familySample({ prefix: 'bench', families: 50_000, revisions: 10 }, 10_000);
  assert.equal(new Set(s).size, 10_000);
  assert.equal(s.at(-1), 'bench-49995');
});

test('rssMiB reads this process’s resident memory', () => {
  const { total, anon } = rssMiB(process.pid);
  assert.ok(total > 10 && total < 4096, `${total} MiB`);
  assert.ok(anon > 1 && anon < total, `${anon} of ${total} MiB anonymous`);
});
