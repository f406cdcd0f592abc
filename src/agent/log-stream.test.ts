import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keepPreviousLog, streamLog } from './log-stream.ts';

test('a followed log: what was there, the caught-up mark, then what is appended, until the container is gone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-log-'));
  const path = join(dir, 'c.log');
  writeFileSync(path, 'old\n');
  const got: string[] = [];
  let finished = false;
  await new Promise<void>((resolve) => {
    streamLog(path, true, () => finished, (t) => got.push(t), () => resolve(), () => {
      got.push('<caught up>');
      appendFileSync(path, 'new\n');
      finished = true;
    });
  });
  assert.deepEqual(got, ['old\n', '<caught up>', 'new\n']);
  rmSync(dir, { recursive: true, force: true });
});

test('a restart in place keeps the last run\'s log as the previous one, replacing an older one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-log-'));
  const log = join(dir, 'c.log');
  const previous = join(dir, 'c.previous.log');
  writeFileSync(previous, 'run 1\n');
  writeFileSync(log, 'run 2\n');
  keepPreviousLog(log, previous, () => assert.fail('nothing to say'));
  assert.equal(readFileSync(previous, 'utf8'), 'run 2\n');
  assert.equal(existsSync(log), false);
  keepPreviousLog(log, previous, () => assert.fail('no log yet is nothing to keep'));
  assert.equal(readFileSync(previous, 'utf8'), 'run 2\n');
  rmSync(dir, { recursive: true, force: true });
});
