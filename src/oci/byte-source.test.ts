import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteSource } from './byte-source.ts';
import { TarFormatError } from './errors.ts';

const chunks = () => [Buffer.from('abc'), Buffer.from('defg'), Buffer.from('h')];

test('reads exact counts across chunk boundaries and tracks the position', async () => {
  const s = new ByteSource(chunks());
  assert.equal((await s.readExact(2, 'x'))?.toString(), 'ab');
  assert.equal((await s.readExact(4, 'x'))?.toString(), 'cdef');
  assert.equal(s.position, 6);
  assert.equal((await s.readSome(10, 'x')).toString(), 'g');
  await s.skip(1, 'x');
  assert.equal(await s.readExact(1, 'x'), null);
});

test('ending inside a read is a truncated archive', async () => {
  const s = new ByteSource(chunks());
  await assert.rejects(s.readExact(20, 'a header'), (e: unknown) => e instanceof TarFormatError && /ends inside a header at byte 8/.test(e.message));
  await assert.rejects(new ByteSource([]).readSome(1, 'a body'), TarFormatError);
});

test('drain reads everything left; close stops the input', async () => {
  let finished = false;
  const input = (async function* () {
    try {
      yield Buffer.from('abc');
      yield Buffer.from('def');
    } finally {
      finished = true;
    }
  })();
  const s = new ByteSource(input);
  await s.readExact(1, 'x');
  await s.close();
  assert.equal(finished, true);
  const d = new ByteSource(chunks());
  await d.drain();
  assert.equal(d.position, 8);
});
