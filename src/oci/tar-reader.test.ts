import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTar, type TarEntry } from './tar-reader.ts';
import { tarBuffer } from './tar-writer.ts';
import { TarFormatError } from './errors.ts';
import { BLOCK_SIZE, paxRecord, writeChecksum } from './tar-header.ts';

interface Read extends Omit<TarEntry, 'body' | 'pax'> {
  content: string;
}

async function readAll(input: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<Read[]> {
  const out: Read[] = [];
  for await (const { body, pax: _pax, ...meta } of readTar(input)) {
    const parts: Buffer[] = [];
    for await (const c of body) parts.push(c);
    out.push({ ...meta, content: Buffer.concat(parts).toString('utf8') });
  }
  return out;
}

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-tar-reader-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const LONG = `${'a'.repeat(130)}/${'b'.repeat(130)}`;
/** Over 100 bytes with its file name, so ustar stores it in the prefix field. */
const SPLIT_DIR = `${'p'.repeat(90)}/${'q'.repeat(40)}`;
const LONG_TARGET = `/${'t'.repeat(200)}`;

/** A tree with a long file name and a long symlink target, archived by GNU tar in `format`. */
function gnuTar(t: { after: (fn: () => void) => void }, format: 'gnu' | 'pax' | 'ustar'): Buffer {
  const dir = tempDir(t);
  const src = join(dir, 'src');
  mkdirSync(join(src, SPLIT_DIR), { recursive: true });
  writeFileSync(join(src, SPLIT_DIR, 'file'), 'split\n');
  writeFileSync(join(src, 'small.txt'), 'small\n');
  if (format !== 'ustar') {
    mkdirSync(join(src, LONG.split('/')[0] as string));
    writeFileSync(join(src, LONG), 'long\n');
    symlinkSync(LONG_TARGET, join(src, 'link'));
  }
  execFileSync('tar', ['-cf', join(dir, 'a.tar'), `--format=${format}`, '--owner=7:7', '--group=8:8', '--mtime=@1600000000', '--sort=name', '-C', src, '.']);
  return readFileSync(join(dir, 'a.tar'));
}

for (const format of ['gnu', 'pax'] as const) {
  test(`reads GNU tar's ${format} format, long names and link targets included`, async (t) => {
    const entries = await readAll([gnuTar(t, format)]);
    const byPath = new Map(entries.map((e) => [e.path.replace(/^\.\//, ''), e]));
    assert.equal(byPath.get('.')?.type, 'directory');
    assert.equal(byPath.get('small.txt')?.content, 'small\n');
    assert.equal(byPath.get('small.txt')?.uid, 7);
    assert.equal(byPath.get('small.txt')?.gid, 8);
    assert.equal(byPath.get('small.txt')?.mtime, 1600000000);
    assert.equal(byPath.get(LONG)?.content, 'long\n');
    assert.equal(byPath.get('link')?.type, 'symlink');
    assert.equal(byPath.get('link')?.linkPath, LONG_TARGET);
  });
}

test('reads plain ustar from GNU tar', async (t) => {
  const entries = await readAll([gnuTar(t, 'ustar')]);
  assert.equal(entries.find((e) => e.path === './small.txt')?.content, 'small\n');
  assert.equal(entries.find((e) => e.path === `./${SPLIT_DIR}/file`)?.content, 'split\n');
});

test('round-trips what the writer wrote, field by field', async () => {
  const archive = await tarBuffer([
    { path: 'dir', type: 'directory', mode: 0o2750, uid: 5, gid: 6, mtime: 10 },
    { path: 'dir/f', body: 'data', mode: 0o4711, uname: 'u', gname: 'g', mtime: 1.5 },
    { path: 'dev/null', type: 'char-device', devMajor: 1, devMinor: 3, mode: 0o666 },
    { path: 'fifo', type: 'fifo' },
    { path: 'h', type: 'hardlink', linkPath: 'dir/f' },
    { path: 'ü'.repeat(80), body: 'x', uid: 99999999 },
  ]);
  const [dir, f, dev, fifo, h, u] = await readAll([archive]);
  assert.deepEqual([dir?.path, dir?.type, dir?.mode, dir?.uid, dir?.gid, dir?.mtime], ['dir', 'directory', 0o2750, 5, 6, 10]);
  assert.deepEqual([f?.content, f?.mode, f?.uname, f?.gname, f?.mtime, f?.size], ['data', 0o4711, 'u', 'g', 1.5, 4]);
  assert.deepEqual([dev?.type, dev?.devMajor, dev?.devMinor], ['char-device', 1, 3]);
  assert.equal(fifo?.type, 'fifo');
  assert.deepEqual([h?.type, h?.linkPath], ['hardlink', 'dir/f']);
  assert.deepEqual([u?.path, u?.uid], ['ü'.repeat(80), 99999999]);
});

test('skips bodies the consumer does not read, whole or in part', async () => {
  const big = Buffer.alloc(100_000, 7);
  const archive = await tarBuffer([{ path: 'a', body: big }, { path: 'b', body: big }, { path: 'c', body: 'end' }]);
  const seen: string[] = [];
  const chunks = [];
  for (let i = 0; i < archive.length; i += 1000) chunks.push(archive.subarray(i, i + 1000));
  for await (const e of readTar(chunks)) {
    seen.push(e.path);
    if (e.path === 'b') {
      for await (const _ of e.body) break;
    }
    if (e.path === 'c') {
      const parts: Buffer[] = [];
      for await (const c of e.body) parts.push(c);
      assert.equal(Buffer.concat(parts).toString(), 'end');
    }
  }
  assert.deepEqual(seen, ['a', 'b', 'c']);
});

test('pulls input only as far as the current entry needs (bounded memory)', async () => {
  const archive = await tarBuffer([{ path: 'a', body: 'x' }, { path: 'big', body: Buffer.alloc(4 << 20) }]);
  let pulled = 0;
  const input = (async function* () {
    for (let i = 0; i < archive.length; i += 4096) {
      pulled += 4096;
      yield archive.subarray(i, i + 4096);
    }
  })();
  const reader = readTar(input);
  const first = await reader.next();
  assert.equal(first.value?.path, 'a');
  assert.ok(pulled <= 4096, `pulled ${pulled} bytes for a 1-byte entry`);
  const second = await reader.next();
  assert.equal(second.value?.path, 'big');
  assert.ok(pulled <= 8192);
  await reader.return(undefined);
});

test('a body cannot be read after the reader moved on', async () => {
  const archive = await tarBuffer([{ path: 'a', body: 'x' }, { path: 'b', body: 'y' }]);
  const reader = readTar([archive]);
  const a = (await reader.next()).value as TarEntry;
  await reader.next();
  await assert.rejects(async () => {
    for await (const _ of a.body);
  }, /after the tar reader moved on/);
  await reader.return(undefined);
});

test('a global pax header applies to every later entry', async () => {
  const global = paxHeaderBlock('g', [paxRecord('uname', 'shared'), paxRecord('comment', 'hi')]);
  const rest = await tarBuffer([{ path: 'a' }, { path: 'b' }]);
  const entries: TarEntry[] = [];
  for await (const e of readTar([global, rest])) entries.push(e);
  assert.deepEqual(entries.map((e) => [e.uname, e.pax.get('comment')]), [['shared', 'hi'], ['shared', 'hi']]);
});

test('reads an old-style directory: a regular file entry whose name ends in a slash', async () => {
  const archive = await tarBuffer([{ path: 'olddir/', body: '' }]);
  archive[156] = 0; // typeflag NUL, as v7 tar wrote it
  writeChecksum(archive.subarray(0, 512));
  const [entry] = await readAll([archive]);
  assert.deepEqual([entry?.path, entry?.type], ['olddir', 'directory']);
});

// ---- hostile input ----

async function rejects(input: Buffer[], pattern: RegExp): Promise<void> {
  await assert.rejects(readAll(input), (e: unknown) => e instanceof TarFormatError && pattern.test(e.message));
}

test('rejects an archive truncated inside a body', async () => {
  const archive = await tarBuffer([{ path: 'a', body: Buffer.alloc(5000) }]);
  await rejects([archive.subarray(0, 2000)], /truncated archive: it ends inside the body of a/);
});

test('rejects an archive truncated inside a header', async () => {
  const archive = await tarBuffer([{ path: 'a', body: 'x' }]);
  await rejects([archive.subarray(0, 300)], /truncated archive: it ends inside a header/);
});

test('rejects an archive that ends without its end-of-archive marker', async () => {
  const archive = await tarBuffer([{ path: 'a', body: 'x' }]);
  await rejects([archive.subarray(0, 1024)], /without the end-of-archive marker/);
});

test('rejects a header with a bad checksum', async () => {
  const archive = await tarBuffer([{ path: 'a', body: 'x' }]);
  archive[0] = 'b'.charCodeAt(0);
  await rejects([archive], /bad header checksum at byte 0/);
});

test('rejects input that is not a tar archive at all', async () => {
  await rejects([Buffer.from('{"not":"a tar"}'.padEnd(2048, ' '))], /bad header checksum/);
  await rejects([Buffer.from('short')], /truncated/);
});

test('rejects a pax header larger than the bound without reading it', async () => {
  const block = paxHeaderBlock('x', [], 64 << 20);
  await rejects([block], /meta entry at byte 0 is 67108864 bytes, more than the 1048576 allowed/);
});

test('rejects a GNU long name larger than the bound', async () => {
  await rejects([paxHeaderBlock('L', [], 2 << 20)], /more than the 1048576 allowed/);
});

for (const [name, record] of [
  ['a length that overruns', Buffer.from('99 path=a\n')],
  ['a length that is not a number', Buffer.from('xx path=a\n')],
  ['a record without "="', Buffer.from('9 pathaa\n')],
  ['a record without its newline', Buffer.from('10 path=aa')],
  ['a non-numeric size', paxRecord('size', '12x')],
  ['a negative uid', paxRecord('uid', '-1')],
] as const) {
  test(`rejects a pax header with ${name}`, async () => {
    const rest = await tarBuffer([{ path: 'a' }]);
    await rejects([paxHeaderBlock('x', [record]), rest], /pax/);
  });
}

test('rejects a name holding a NUL byte', async () => {
  const rest = await tarBuffer([{ path: 'a' }]);
  await rejects([paxHeaderBlock('x', [paxRecord('path', 'a\0/../../etc')]), rest], /NUL byte/);
});

test('rejects entry types it does not read, such as GNU sparse files', async () => {
  const archive = await tarBuffer([{ path: 'a', body: 'x' }]);
  archive[156] = 'S'.charCodeAt(0);
  writeChecksum(archive.subarray(0, 512));
  await rejects([archive], /type "S"/);
});

test('rejects a lone zero block followed by data', async () => {
  const entry = await tarBuffer([{ path: 'a' }]);
  await rejects([Buffer.alloc(512), entry], /lone zero block/);
});

/** A meta entry header ('x', 'g', 'L') with the given records, or just a claimed size. */
function paxHeaderBlock(flag: string, records: Buffer[], claimedSize?: number): Buffer {
  const body = Buffer.concat(records);
  const size = claimedSize ?? body.length;
  const block = Buffer.alloc(BLOCK_SIZE);
  block.write('PaxHeaders/x', 0, 'latin1');
  block.write('0000644\0', 100, 'latin1');
  block.write('0000000\0', 108, 'latin1');
  block.write('0000000\0', 116, 'latin1');
  block.write(size.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
  block.write('00000000000\0', 136, 'latin1');
  block.write(flag, 156, 'latin1');
  block.write('ustar\x0000', 257, 'latin1');
  writeChecksum(block);
  if (claimedSize !== undefined) return block;
  const padded = Buffer.alloc(Math.ceil(body.length / BLOCK_SIZE) * BLOCK_SIZE);
  body.copy(padded);
  return Buffer.concat([block, padded]);
}
