import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMISSION_WINDOW_MS, PageCacheAdmission } from './page-cache-admission.ts';

test('a first read goes past the page cache; a second within the window, and those after, through it', () => {
  const admission = new PageCacheAdmission();
  assert.equal(admission.read('a', 0), false);
  assert.equal(admission.read('b', 10), false, 'each blob on its own');
  assert.equal(admission.read('a', ADMISSION_WINDOW_MS), true);
  assert.equal(admission.read('a', 2 * ADMISSION_WINDOW_MS), true, 'the window runs from the last read');
});

test('a read after a quiet window counts as a first read again', () => {
  const admission = new PageCacheAdmission();
  admission.read('a', 0);
  assert.equal(admission.read('a', ADMISSION_WINDOW_MS + 1), false);
  assert.equal(admission.read('a', ADMISSION_WINDOW_MS + 2), true);
});

test('memory is bounded: the least recently read blob is forgotten first', () => {
  const admission = new PageCacheAdmission();
  admission.read('old', 0);
  admission.read('kept', 0);
  for (let i = 0; i < 9_999; i++) admission.read(`blob${i}`, 1);
  admission.read('kept', 2); // read again: now the most recent
  admission.read('one-more', 3);
  assert.equal(admission.read('old', 4), false, 'forgotten');
  assert.equal(admission.read('kept', 4), true, 'remembered');
});
