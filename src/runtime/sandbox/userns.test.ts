import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shiftedId, shiftedRootfs } from './userns.ts';

test("a file's owner in the shifted copy: the mapping added; ids past the range become the overflow id", () => {
  assert.equal(shiftedId(0), 100_000);
  assert.equal(shiftedId(1000), 101_000);
  assert.equal(shiftedId(65_535), 165_535);
  assert.equal(shiftedId(70_000), 165_534);
  assert.equal(shiftedId(5, 200_000, 1000), 200_005);
});

test("the shifted copy lives beside the container's state directory", () => {
  assert.equal(shiftedRootfs('/d/tasks/t/containers/web'), '/d/tasks/t/containers/web.rootfs');
  assert.equal(shiftedRootfs('/d/tasks/t/containers/web/'), '/d/tasks/t/containers/web.rootfs');
});
