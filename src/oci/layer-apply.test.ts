import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { applyLayer } from './layer-apply.ts';
import { tarBuffer, type TarEntryInput } from './tar-writer.ts';
import { TarFormatError, UnsafeLayerError } from './errors.ts';

const isRoot = process.getuid?.() === 0;

interface Fixture {
  rootfs: string;
  /** A directory beside the rootfs standing for the host: nothing may ever change in it. */
  outside: string;
}

function fixture(t: { after: (fn: () => void) => void }): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'berth-layer-apply-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rootfs = join(dir, 'rootfs');
  const outside = join(dir, 'outside');
  mkdirSync(rootfs);
  mkdirSync(join(outside, 'sub'), { recursive: true });
  writeFileSync(join(outside, 'target'), 'host secret');
  writeFileSync(join(outside, 'sub', 'keep'), 'keep');
  return { rootfs, outside };
}

async function layer(entries: TarEntryInput[], compression: 'none' | 'gzip' | 'zstd' = 'none'): Promise<Buffer[]> {
  const tar = await tarBuffer(entries);
  return [compression === 'gzip' ? gzipSync(tar) : compression === 'zstd' ? zstdCompressSync(tar) : tar];
}

function assertOutsideUntouched(f: Fixture): void {
  assert.equal(readFileSync(join(f.outside, 'target'), 'utf8'), 'host secret');
  assert.equal(readFileSync(join(f.outside, 'sub', 'keep'), 'utf8'), 'keep');
  assert.equal(statSync(f.outside).mode & 0o7777, 0o755);
}

const rejectsUnsafe = (p: Promise<unknown>) => assert.rejects(p, UnsafeLayerError);

for (const compression of ['none', 'gzip', 'zstd'] as const) {
  test(`applies a ${compression} layer: files, directories, links, modes, owners and times`, async (t) => {
    const f = fixture(t);
    const result = await applyLayer(f.rootfs, await layer([
      { path: 'etc', type: 'directory', mode: 0o750, mtime: 1000 },
      { path: 'etc/passwd', body: 'root:x:0:0::/root:/bin/sh\n', mode: 0o644, mtime: 2000, uid: 1, gid: 2 },
      { path: 'bin/tool', body: 'bin', mode: 0o4755 },
      { path: 'bin/link', type: 'symlink', linkPath: 'tool', uid: 3, gid: 4 },
      { path: 'bin/hard', type: 'hardlink', linkPath: 'bin/tool' },
      { path: 'tmp', type: 'directory', mode: 0o1777 },
      { path: '/abs/file', body: 'made relative' },
    ], compression));
    assert.equal(result.entries, 7);
    assert.equal(result.bytes, 26 + 3 + 13);
    const passwd = statSync(join(f.rootfs, 'etc/passwd'));
    assert.equal(readFileSync(join(f.rootfs, 'etc/passwd'), 'utf8'), 'root:x:0:0::/root:/bin/sh\n');
    assert.equal(passwd.mtimeMs, 2000_000);
    assert.equal(statSync(join(f.rootfs, 'etc')).mode & 0o7777, 0o750);
    assert.equal(statSync(join(f.rootfs, 'etc')).mtimeMs, 1000_000);
    assert.equal(statSync(join(f.rootfs, 'bin/tool')).mode & 0o7777, 0o4755);
    assert.equal(statSync(join(f.rootfs, 'bin')).mode & 0o7777, 0o755); // implied
    assert.equal(readlinkSync(join(f.rootfs, 'bin/link')), 'tool');
    assert.equal(statSync(join(f.rootfs, 'bin/hard')).ino, statSync(join(f.rootfs, 'bin/tool')).ino);
    assert.equal(statSync(join(f.rootfs, 'tmp')).mode & 0o7777, 0o1777);
    assert.equal(readFileSync(join(f.rootfs, 'abs/file'), 'utf8'), 'made relative');
    if (isRoot) {
      assert.deepEqual([passwd.uid, passwd.gid], [1, 2]);
      const l = lstatSync(join(f.rootfs, 'bin/link'));
      assert.deepEqual([l.uid, l.gid], [3, 4]);
    }
  });
}

test('a later layer deletes with .wh. files, keeping its own content', async (t) => {
  const f = fixture(t);
  await applyLayer(f.rootfs, await layer([
    { path: 'a/one', body: '1' }, { path: 'a/two', body: '2' }, { path: 'dir/x', body: 'x' },
  ]));
  await applyLayer(f.rootfs, await layer([
    { path: 'a/.wh.one', body: '' }, { path: '.wh.dir', body: '' },
    { path: 'new', body: 'n' }, { path: '.wh.new', body: '' }, // same layer: not hidden
    { path: 'a/.wh.absent', body: '' }, { path: 'missing/.wh.x', body: '' },
  ]));
  assert.equal(existsSync(join(f.rootfs, 'a/one')), false);
  assert.equal(existsSync(join(f.rootfs, 'a/two')), true);
  assert.equal(existsSync(join(f.rootfs, 'dir')), false);
  assert.equal(existsSync(join(f.rootfs, 'new')), true);
  assert.equal(existsSync(join(f.rootfs, 'a/.wh.one')), false);
  assert.equal(existsSync(join(f.rootfs, 'missing')), false);
});

test('an opaque whiteout hides lower content of its directory but not the layer\'s own', async (t) => {
  const f = fixture(t);
  await applyLayer(f.rootfs, await layer([{ path: 'd/old', body: 'o' }, { path: 'd/sub/deep', body: 'd' }]));
  await applyLayer(f.rootfs, await layer([
    { path: 'd', type: 'directory' }, { path: 'd/.wh..wh..opq', body: '' }, { path: 'd/fresh', body: 'f' },
  ]));
  await applyLayer(f.rootfs, await layer([{ path: 'd/later', body: 'l' }, { path: 'd/.wh..wh..opq', body: '' }]));
  assert.deepEqual(readdirSorted(join(f.rootfs, 'd')), ['later']);
});

test('entries replace what lower layers had: dir by file, file by dir, symlink by file', async (t) => {
  const f = fixture(t);
  await applyLayer(f.rootfs, await layer([
    { path: 'x/inner', body: 'i' }, { path: 'y', body: 'y' }, { path: 'z', type: 'symlink', linkPath: join(f.outside, 'target') },
  ]));
  await applyLayer(f.rootfs, await layer([
    { path: 'x', body: 'now a file' }, { path: 'y', type: 'directory' }, { path: 'y/in', body: 'in' }, { path: 'z', body: 'replaced the link' },
  ]));
  assert.equal(readFileSync(join(f.rootfs, 'x'), 'utf8'), 'now a file');
  assert.equal(readFileSync(join(f.rootfs, 'y/in'), 'utf8'), 'in');
  assert.equal(lstatSync(join(f.rootfs, 'z')).isFile(), true);
  assertOutsideUntouched(f);
});

// ---- attacks: nothing may change outside the target ----

test('refuses ".." components', async (t) => {
  const f = fixture(t);
  await rejectsUnsafe(applyLayer(f.rootfs, await layer([{ path: '../outside/target', body: 'pwned' }])));
  await rejectsUnsafe(applyLayer(f.rootfs, await layer([{ path: 'a/../../outside/target', body: 'pwned' }])));
  await rejectsUnsafe(applyLayer(f.rootfs, await layer([{ path: '../.wh.outside', body: '' }])));
  assertOutsideUntouched(f);
});

test('a symlink to /etc followed by a write through it is refused, and /etc is untouched', async (t) => {
  const f = fixture(t);
  const probe = `berth-layer-apply-probe-${randomBytes(6).toString('hex')}`;
  await rejectsUnsafe(applyLayer(f.rootfs, await layer([
    { path: 'a', type: 'symlink', linkPath: '/etc' },
    { path: `a/${probe}`, body: 'pwned' },
  ])));
  assert.equal(existsSync(join('/etc', probe)), false);
});

test('a symlinked parent planted by a lower layer is refused too', async (t) => {
  const f = fixture(t);
  await applyLayer(f.rootfs, await layer([{ path: 'a', type: 'symlink', linkPath: f.outside }, { path: 'r', type: 'symlink', linkPath: '../outside' }]));
  await rejectsUnsafe(applyLayer(f.rootfs, await layer([{ path: 'a/target', body: 'pwned' }])));
  await rejectsUnsafe(applyLayer(f.rootfs, await layer([{ path: 'r/target', body: 'pwned' }])));
  await rejectsUnsafe(applyLayer(f.rootfs, await layer([{ path: 'a/sub', type: 'directory', mode: 0o700 }])));
  await rejectsUnsafe(applyLayer(f.rootfs, await layer([{ path: 'a/new/deeper', body: 'x' }])));
  assert.equal(existsSync(join(f.outside, 'new')), false);
  assertOutsideUntouched(f);
});

test('whiteouts never follow a symlink', async (t) => {
  const f = fixture(t);
  await applyLayer(f.rootfs, await layer([{ path: 'a', type: 'symlink', linkPath: f.outside }, { path: 'b', type: 'symlink', linkPath: f.outside }]));
  await rejectsUnsafe(applyLayer(f.rootfs, await layer([{ path: 'a/.wh.target', body: '' }])));
  await rejectsUnsafe(applyLayer(f.rootfs, await layer([{ path: 'a/.wh..wh..opq', body: '' }])));
  await applyLayer(f.rootfs, await layer([{ path: '.wh.b', body: '' }]));
  assert.equal(existsSync(join(f.rootfs, 'b')), false);
  assertOutsideUntouched(f);
});

test('hard links may only point at existing non-directories inside the target', async (t) => {
  const f = fixture(t);
  await applyLayer(f.rootfs, await layer([{ path: 'a', type: 'symlink', linkPath: f.outside }, { path: 'dir', type: 'directory' }]));
  await rejectsUnsafe(applyLayer(f.rootfs, await layer([{ path: 'h', type: 'hardlink', linkPath: '../outside/target' }])));
  await rejectsUnsafe(applyLayer(f.rootfs, await layer([{ path: 'h', type: 'hardlink', linkPath: join(f.outside, 'target') }])));
  await rejectsUnsafe(applyLayer(f.rootfs, await layer([{ path: 'h', type: 'hardlink', linkPath: 'a/target' }])));
  await rejectsUnsafe(applyLayer(f.rootfs, await layer([{ path: 'h', type: 'hardlink', linkPath: 'dir' }])));
  assert.equal(existsSync(join(f.rootfs, 'h')), false);
  assertOutsideUntouched(f);
});

test('a file entry over a planted symlink replaces the link instead of writing through it', async (t) => {
  const f = fixture(t);
  await applyLayer(f.rootfs, await layer([
    { path: 'evil', type: 'symlink', linkPath: join(f.outside, 'target') },
    { path: 'evil', body: 'pwned', mode: 0o777 },
    { path: 'evildir', type: 'symlink', linkPath: f.outside },
    { path: 'evildir', type: 'directory', mode: 0o700 },
  ]));
  assert.equal(readFileSync(join(f.rootfs, 'evil'), 'utf8'), 'pwned');
  assert.equal(lstatSync(join(f.rootfs, 'evildir')).isDirectory(), true);
  assertOutsideUntouched(f);
});

test('directory times set at the end never go through a parent replaced by a symlink', async (t) => {
  const f = fixture(t);
  const before = statSync(join(f.outside, 'sub')).mtimeMs;
  await applyLayer(f.rootfs, await layer([
    { path: 'x', type: 'directory' }, { path: 'x/sub', type: 'directory', mode: 0o700, mtime: 5 },
    { path: 'x', type: 'symlink', linkPath: f.outside },
  ]));
  assert.equal(statSync(join(f.outside, 'sub')).mtimeMs, before);
  assertOutsideUntouched(f);
});

test('a root entry that is not a directory is refused', async (t) => {
  const f = fixture(t);
  await rejectsUnsafe(applyLayer(f.rootfs, await layer([{ path: './', type: 'symlink', linkPath: f.outside }])));
  assertOutsideUntouched(f);
});

test('a truncated layer fails with a format error', async (t) => {
  const f = fixture(t);
  const [tar] = await layer([{ path: 'big', body: Buffer.alloc(10_000) }]);
  await assert.rejects(applyLayer(f.rootfs, [(tar as Buffer).subarray(0, 4000)]), TarFormatError);
  await assert.rejects(applyLayer(f.rootfs, [gzipSync(tar as Buffer).subarray(0, 30)]));
});

test('creates fifos, and device nodes only when asked to (and root)', { skip: !isRoot && 'needs root' }, async (t) => {
  const f = fixture(t);
  const entries: TarEntryInput[] = [{ path: 'dev/null', type: 'char-device', devMajor: 1, devMinor: 3, mode: 0o666 }, { path: 'pipe', type: 'fifo', mode: 0o600 }];
  await applyLayer(f.rootfs, await layer(entries));
  assert.equal(lstatSync(join(f.rootfs, 'dev/null')).isCharacterDevice(), true);
  assert.equal(lstatSync(join(f.rootfs, 'dev/null')).mode & 0o777, 0o666);
  assert.equal(lstatSync(join(f.rootfs, 'pipe')).isFIFO(), true);
  const second = fixture(t);
  const result = await applyLayer(second.rootfs, await layer(entries), { devices: false });
  assert.deepEqual(result.skipped, [{ path: 'dev/null', reason: 'device nodes need root' }]);
  assert.equal(existsSync(join(second.rootfs, 'dev/null')), false);
});

test('shifts owners by idOffset for user-namespaced root filesystems', { skip: !isRoot && 'needs root' }, async (t) => {
  const f = fixture(t);
  await applyLayer(f.rootfs, await layer([{ path: 'etc/file', body: 'x', uid: 0, gid: 5 }]), { idOffset: 100000 });
  assert.deepEqual([statSync(join(f.rootfs, 'etc/file')).uid, statSync(join(f.rootfs, 'etc/file')).gid], [100000, 100005]);
  assert.equal(statSync(join(f.rootfs, 'etc')).uid, 100000); // implied parent
});

function readdirSorted(dir: string): string[] {
  return readdirSync(dir).sort();
}
