import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tarBuffer, writeTar, type TarEntryInput } from './tar-writer.ts';
import { readTar } from './tar-reader.ts';
import { digestOf } from './digest.ts';

const LONG_DIR = 'd'.repeat(120);
const LONG_NAME = `${LONG_DIR}/${'n'.repeat(60)}.txt`; // 185 bytes: fits ustar's prefix + name
const VERY_LONG_NAME = `${'x'.repeat(150)}/${'y'.repeat(150)}.txt`; // needs a pax path

const sample: TarEntryInput[] = [
  { path: 'etc', type: 'directory', mode: 0o755 },
  { path: 'etc/hello.txt', body: 'hello\n', mode: 0o640, uid: 1000, gid: 1001, uname: 'alice', gname: 'staff', mtime: 1700000000 },
  { path: 'etc/link', type: 'symlink', linkPath: 'hello.txt' },
  { path: 'etc/hard', type: 'hardlink', linkPath: 'etc/hello.txt' },
  { path: 'tmp', type: 'directory', mode: 0o1777 },
  { path: 'bin/suid', body: '#!/bin/sh\n', mode: 0o4755 },
  { path: LONG_NAME, body: 'long' },
  { path: VERY_LONG_NAME, body: 'very long' },
  { path: 'unicodé/ファイル', body: 'utf8' },
  { path: 'big-ids', body: '', uid: 0o7777777 + 1, gid: 3000000 },
];

function withTempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-tar-writer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the same entries always give the same bytes', async () => {
  const a = await tarBuffer(sample);
  const b = await tarBuffer(sample.map((e) => ({ ...e })));
  assert.equal(digestOf(a), digestOf(b));
  assert.equal(a.length % 512, 0);
});

test('the mtime option overrides every entry time, for reproducible layers', async () => {
  const a = await tarBuffer([{ path: 'f', body: 'x', mtime: 1 }], { mtime: 1234 });
  const b = await tarBuffer([{ path: 'f', body: 'x', mtime: 999999 }], { mtime: 1234 });
  assert.deepEqual(a, b);
  for await (const e of readTar([a])) assert.equal(e.mtime, 1234);
});

test('GNU tar reads every entry with its mode, owner, link and long name', async (t) => {
  const dir = withTempDir(t);
  const file = join(dir, 'a.tar');
  writeFileSync(file, await tarBuffer(sample));
  const listing = execFileSync('tar', ['-tvf', file, '--numeric-owner'], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  assert.match(listing, /^-rw-r----- 1000\/1001\s+6 2023-11-14 \S+ etc\/hello\.txt$/m);
  assert.match(listing, /^lrwxrwxrwx 0\/0\s+0 \S+ \S+ etc\/link -> hello\.txt$/m);
  assert.match(listing, /^hrw-r--r-- 0\/0\s+0 \S+ \S+ etc\/hard link to etc\/hello\.txt$/m);
  assert.match(listing, /^drwxrwxrwt 0\/0 .* tmp\/$/m);
  assert.match(listing, /^-rwsr-xr-x .* bin\/suid$/m);
  assert.ok(listing.includes(` ${LONG_NAME}\n`));
  assert.ok(listing.includes(` ${VERY_LONG_NAME}\n`));
  assert.ok(listing.includes(' unicodé/ファイル\n'));
  assert.match(listing, / 2097152\/3000000 .* big-ids$/m);

  const out = join(dir, 'x');
  execFileSync('mkdir', [out]);
  execFileSync('tar', ['-xf', file, '-C', out, '--no-same-owner']);
  assert.equal(readFileSync(join(out, VERY_LONG_NAME), 'utf8'), 'very long');
  assert.equal(readFileSync(join(out, LONG_NAME), 'utf8'), 'long');
  assert.equal(readlinkSync(join(out, 'etc/link')), 'hello.txt');
  assert.equal(statSync(join(out, 'etc/hard')).ino, statSync(join(out, 'etc/hello.txt')).ino);
});

test('a path that fits ustar prefix + name gets no pax header; a longer one does', async () => {
  const short = await tarBuffer([{ path: LONG_NAME, body: '' }]);
  assert.equal(short.length, 512 + 1024);
  assert.equal(short.toString('latin1', 345, 345 + LONG_DIR.length), LONG_DIR);
  const long = await tarBuffer([{ path: VERY_LONG_NAME, body: '' }]);
  assert.equal(long.toString('latin1', 156, 157), 'x');
});

test('a streamed body is copied through and its announced size is enforced', async () => {
  const chunks = async function* () {
    yield Buffer.from('ab');
    yield Buffer.from('cde');
  };
  const ok = await tarBuffer([{ path: 's', stream: chunks, size: 5 }]);
  for await (const e of readTar([ok])) {
    const parts: Buffer[] = [];
    for await (const c of e.body) parts.push(c);
    assert.equal(Buffer.concat(parts).toString(), 'abcde');
  }
  await assert.rejects(tarBuffer([{ path: 's', stream: chunks, size: 4 }]), /more than the 4 bytes/);
  await assert.rejects(tarBuffer([{ path: 's', stream: chunks, size: 6 }]), /yielded 5 bytes, 6 were announced/);
});

test('refuses entries that cannot be written faithfully', async () => {
  await assert.rejects(tarBuffer([{ path: '' }]), TypeError);
  await assert.rejects(tarBuffer([{ path: 'a\0b' }]), TypeError);
  await assert.rejects(tarBuffer([{ path: 'l', type: 'symlink' }]), /needs linkPath/);
  await assert.rejects(tarBuffer([{ path: 'd', type: 'directory', body: 'x' }]), /only files have a body/);
});

test('writes lazily: entries are pulled one at a time', async () => {
  let pulled = 0;
  const entries = (function* () {
    for (let i = 0; i < 3; i++) {
      pulled++;
      yield { path: `f${i}`, body: 'x' } satisfies TarEntryInput;
    }
  })();
  const gen = writeTar(entries);
  await gen.next();
  assert.equal(pulled, 1);
  for await (const _ of gen);
  assert.equal(pulled, 3);
});
