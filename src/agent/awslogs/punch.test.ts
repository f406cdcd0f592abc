import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { punchHole, punchRange, PUNCH_BYTES } from './punch.ts';

test('punchRange: whole blocks, and only once PUNCH_BYTES are delivered past the last hole', () => {
  assert.equal(punchRange(0, PUNCH_BYTES - 1), undefined);
  assert.deepEqual(punchRange(0, PUNCH_BYTES + 100), { offset: 0, length: PUNCH_BYTES });
  assert.deepEqual(punchRange(PUNCH_BYTES, 3 * PUNCH_BYTES + 4097), { offset: PUNCH_BYTES, length: 2 * PUNCH_BYTES + 4096 });
  assert.equal(punchRange(PUNCH_BYTES, PUNCH_BYTES), undefined);
});

test('punchHole frees the blocks of a range through the descriptor; the size and the bytes after it are kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-punch-'));
  try {
    const path = join(dir, 'log');
    writeFileSync(path, Buffer.alloc(3 * PUNCH_BYTES, 'x'));
    const fd = openSync(path, 'r');
    try {
      const before = statSync(path).blocks;
      await punchHole(fd, 0, 2 * PUNCH_BYTES);
      const st = statSync(path);
      assert.equal(st.size, 3 * PUNCH_BYTES);
      assert.ok(st.blocks * 512 <= before * 512 - 2 * PUNCH_BYTES + 65_536, `blocks ${before} → ${st.blocks}`);
      const b = Buffer.alloc(2);
      readSync(fd, b, 0, 2, 2 * PUNCH_BYTES - 1);
      assert.deepEqual([...b], [0, 120], 'the hole reads as zeros, the rest as written');
    } finally {
      closeSync(fd);
    }
    await assert.rejects(punchHole(999_999, 0, 4096), /fallocate --punch-hole/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
