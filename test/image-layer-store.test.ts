/**
 * The layer and image stores against a real registry (Berth's, in process) and the
 * real kernel: pull, unpack each layer once, mount an overlay rootfs, run busybox in it
 * with chroot, whiteouts across layers, aborted and killed pulls, gc. Runs as root.
 */

import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { openLayout, LayoutWriter } from '../src/oci/layout.ts';
import { writeImage, writeLayer } from '../src/oci/image-writer.ts';
import { applyLayer } from '../src/oci/layer-apply.ts';
import { resolveImage } from '../src/oci/image-source.ts';
import type { Digest } from '../src/oci/digest.ts';
import type { TarEntryInput } from '../src/oci/tar-writer.ts';
import { ImageStore } from '../src/images/image-store.ts';
import { LayerStore } from '../src/images/layer-store.ts';
import { pushImage } from '../src/images/push.ts';
import { RegistryClient } from '../src/images/registry-client.ts';
import { ensurePackages } from '../src/images/samples/debian.ts';
import { buildTestImages, type BuiltTestImage, type TestImageName } from './fixtures/images/build.ts';
import { startHarness, type Harness } from './registry-harness.ts';

const isRoot = process.getuid?.() === 0;
const skip = !isRoot && 'overlay mounts and chroot need root';

let h: Harness;
let work: string;
let images: Record<TestImageName, BuiltTestImage>;
let client: RegistryClient;

before(async () => {
  if (!isRoot) return;
  await ensurePackages(['attr'], () => {});
  work = mkdtempSync(join(tmpdir(), 'berth-image-store-'));
  h = await startHarness();
  images = await buildTestImages();
  client = new RegistryClient(h.host, { baseUrl: h.url });
  for (const name of ['busybox', 'web'] as const) await pushLayout(images[name].dir, `berth/${name}`);
});

after(async () => {
  if (work !== undefined && releaseMountsUnder(work)) rmSync(work, { recursive: true, force: true });
  await h?.close();
});

async function pushLayout(dir: string, repository: string): Promise<void> {
  const source = await openLayout(dir);
  await pushImage(client, source, source.refs[0]!.descriptor, repository, 'latest');
}

/** A fresh store in its own directory, removed (after unmounting anything under it) when the test ends. */
async function freshStore(t: TestContext): Promise<ImageStore> {
  const root = mkdtempSync(join(work, 'store-'));
  t.after(() => {
    assert.ok(releaseMountsUnder(root), `mounts left under ${root}`);
    rmSync(root, { recursive: true, force: true });
  });
  return ImageStore.open({ root, berthRegistry: h.host, berthUrl: h.url });
}

test('pull web, mount its rootfs, run busybox in it; unmount leaves nothing mounted', { skip }, async (t) => {
  const store = await freshStore(t);
  const image = await store.pull(`${h.host}/berth/web`);
  assert.equal(image.manifestDigest, images.web.manifestDigest);
  assert.deepEqual(image.config.Cmd, ['httpd', '-f', '-p', '80', '-h', '/www']);
  assert.deepEqual(image.config.ExposedPorts, ['80/tcp']);
  assert.equal(image.layers.length, 2);
  for (const diffId of image.layers) assert.ok(existsSync(join(store.layers.layerDir(diffId), 'diff')));

  const containerDir = join(store.root, 'containers', 'c1');
  const rootfs = await store.mountRootfs(image, containerDir);
  assert.ok(procMounts().includes(rootfs.rootfs));
  assert.match(execFileSync('chroot', [rootfs.rootfs, '/bin/busybox', 'cat', '/www/index.html']).toString(), /Hello from the Berth web test image/);
  execFileSync('chroot', [rootfs.rootfs, '/bin/busybox', 'sh', '-c', 'echo written > /tmp/note']);
  assert.equal(readFileSync(join(rootfs.upper, 'tmp/note'), 'utf8'), 'written\n', 'writes land in the container\'s upper dir');
  assert.ok(!existsSync(join(store.layers.layerDir(image.layers[0]!), 'diff/tmp/note')), 'and never in a shared layer');

  const again = await store.mountRootfs(image, containerDir);
  assert.equal(again.rootfs, rootfs.rootfs, 'mounting a mounted rootfs reattaches to it');
  await rootfs.unmount();
  assert.ok(!procMounts().some((m) => m.startsWith(containerDir)), '/proc/mounts has nothing left');
  await rootfs.unmount();
});

test('the same image pulled twice at once, and an image sharing its base, unpack each layer once', { skip }, async (t) => {
  const store = await freshStore(t);
  const [a, b, c] = await Promise.all([store.pull(`${h.host}/berth/web`), store.pull(`${h.host}/berth/web`), store.pull(`${h.host}/berth/busybox`)]);
  assert.equal(a.manifestDigest, b.manifestDigest);
  assert.equal(c.layers[0], a.layers[0], 'busybox and web share the base layer');
  assert.equal((await store.layers.list()).length, 2);

  let opened = 0;
  const layers = await LayerStore.open(join(store.root, 'direct'));
  const layer = await buildLayer([{ path: 'f', body: 'x' }]);
  const open = async () => {
    opened++;
    return Readable.from([layer.tar]);
  };
  const results = await Promise.all([layers.ensure(layer.diffId, open), layers.ensure(layer.diffId, open), layers.ensure(layer.diffId, open)]);
  assert.equal(opened, 1, 'concurrent requests share one unpack');
  assert.equal(new Set(results.map((r) => r.path)).size, 1);
  assert.equal((await layers.ensure(layer.diffId, open)).diffId, layer.diffId);
  assert.equal(opened, 1);
});

test('a hostile layer fails its pull and leaves nothing behind', { skip }, async (t) => {
  const store = await freshStore(t);
  const hostile = await buildLayer([{ path: 'a', type: 'symlink', linkPath: '/etc' }, { path: 'a/passwd', body: 'owned' }, { path: 'filler', body: randomBytes(1 << 20) }]);
  await assert.rejects(store.layers.ensure(hostile.diffId, async () => Readable.from([hostile.tar])), /symlink, which is never followed/);
  const wrong = await buildLayer([{ path: 'f', body: 'x' }]);
  await assert.rejects(store.layers.ensure(hostile.diffId, async () => Readable.from([wrong.tar])), /digest|mismatch/i, 'content that is not the diff_id is refused');
  assert.deepEqual(await store.layers.list(), []);
  assert.deepEqual(readdirSync(join(store.root, 'tmp')), []);
});

test('whiteouts and opaque directories across layers show through the overlay as the spec says', { skip }, async (t) => {
  const store = await freshStore(t);
  const base = await openLayout(images.busybox.dir);
  const baseLayer = (await resolveImage(base, 'latest')).manifest.layers[0]!;
  const layers: TarEntryInput[][] = [
    [dir('etc/app'), file('etc/app/a', 'a'), file('etc/app/b', 'b'), dir('d'), file('d/x', 'x'), dir('d/sub'), file('d/sub/y', 'y'), dir('gone'), file('gone/k', 'k')],
    [
      dir('etc/app'), file('etc/app/.wh.a', ''), // a file whited out
      file('etc/app/.wh.c', ''), file('etc/app/c', 'same layer wins'), // whiteout and file in one layer: the file stays
      dir('d'), file('d/.wh..wh..opq', ''), file('d/new', 'new'), // opaque: d/x and d/sub hidden
      file('.wh.gone', ''), // a whole directory whited out
      file('etc/app/.wh.never', ''), // a whiteout of something no lower layer has
      file('missing/.wh.nothing', ''), // ... in a directory no lower layer has (made, empty, in the layer)
    ],
    [dir('gone'), file('gone/k2', 'k2'), dir('etc/app'), file('etc/app/a', 'back')],
  ];
  const dirOut = mkdtempSync(join(work, 'layout-'));
  const writer = await LayoutWriter.open(dirOut);
  const blobs = [{ descriptor: baseLayer, diffId: (await resolveImage(base, 'latest')).config.rootfs.diff_ids[0]! }];
  await writer.writeBlobStream(await base.open(baseLayer.digest), { digest: baseLayer.digest, size: baseLayer.size });
  for (const entries of layers) blobs.push(await writeLayer(writer, entries));
  await writeImage(writer, { layers: blobs, config: { Cmd: ['sh'] } }, 'latest');
  await writer.commit();
  await pushLayout(dirOut, 'berth/whiteouts');

  const image = await store.pull(`${h.host}/berth/whiteouts`);
  const mounted = await store.mountRootfs(image, join(store.root, 'containers', 'w'));
  t.after(() => mounted.unmount());
  const ls = (p: string) => execFileSync('chroot', [mounted.rootfs, '/bin/busybox', 'ls', '-1a', p]).toString().split('\n').filter((n) => n && n !== '.' && n !== '..').sort();
  assert.deepEqual(ls('/etc/app'), ['a', 'b', 'c']);
  assert.equal(execFileSync('chroot', [mounted.rootfs, '/bin/busybox', 'cat', '/etc/app/a']).toString(), 'back');
  assert.deepEqual(ls('/d'), ['new']);
  assert.deepEqual(ls('/gone'), ['k2']);
  assert.ok(!existsSync(join(mounted.rootfs, 'missing/nothing')));

  // The oracle: the same layers flattened by src/oci's applyLayer into one directory.
  const flat = mkdtempSync(join(work, 'flat-'));
  const layout = await openLayout(dirOut);
  for (const l of (await resolveImage(layout, 'latest')).manifest.layers) await applyLayer(flat, await layout.open(l.digest));
  // applyLayer makes no parent for a whiteout of nothing; the layer store does (a lower layer it
  // cannot see might have the directory), so an empty missing/ is the one expected difference.
  assert.ok(lstatSync(join(mounted.rootfs, 'missing')).isDirectory());
  const overlayTree = tree(mounted.rootfs).filter((p) => !p.startsWith('missing/'));
  assert.deepEqual(overlayTree, tree(flat), 'the overlay shows exactly what flattening the layers gives');

  const layer2 = join(store.layers.layerDir(image.layers[2]!), 'diff');
  assert.ok(lstatSync(join(layer2, 'etc/app/a')).isCharacterDevice(), 'a whiteout is a 0/0 character device in the layer');
  assert.equal(execFileSync('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', join(layer2, 'd')]).toString(), 'y');
});

test('an aborted pull leaves no layer complete and no temporary behind', { skip }, async (t) => {
  const store = await freshStore(t);
  await pushBigImage('berth/big');
  const controller = new AbortController();
  let seen = 0;
  const pulling = store.pull(`${h.host}/berth/big`, {
    signal: controller.signal,
    onProgress: (p) => {
      seen = p.done;
      if (p.done > 4 << 20) controller.abort();
    },
  });
  await assert.rejects(pulling, /aborted|abort/i);
  assert.ok(seen > 0 && seen < BIG_LAYER_BYTES, `aborted midway (${seen} bytes)`);
  const big = await bigDiffId();
  assert.equal(await store.layers.get(big), undefined);
  assert.ok(!existsSync(store.layers.layerDir(big)));
  assert.deepEqual(readdirSync(join(store.root, 'tmp')), []);
  assert.equal(store.get(`${h.host}/berth/big`), undefined);
});

test('a pull killed with SIGKILL midway leaves no layer complete; the next open removes its temporary', { skip }, async (t) => {
  const store = await freshStore(t);
  await pushBigImage('berth/big');
  const script = `
    import { ImageStore } from ${JSON.stringify(join(import.meta.dirname, '../src/images/image-store.ts'))};
    const store = await ImageStore.open({ root: process.argv[1], berthRegistry: process.argv[2], berthUrl: process.argv[3] });
    let said = false;
    await store.pull(process.argv[2] + '/berth/big', { onProgress: (p) => { if (!said && p.done > (4 << 20)) { said = true; console.log('midway'); } } });
    console.log('done');`;
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', script, store.root, h.host, h.url], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      if (c.toString().includes('midway')) {
        child.kill('SIGKILL');
        resolve();
      }
      if (c.toString().includes('done')) reject(new Error('the pull finished before it could be killed'));
    });
    child.on('exit', () => resolve());
  });
  await new Promise((r) => child.once('exit', r).once('close', r));
  const big = await bigDiffId();
  assert.ok(!existsSync(store.layers.layerDir(big)), 'no layer directory for the killed pull');
  assert.ok(readdirSync(join(store.root, 'tmp')).length >= 1, 'its temporaries are there until the next open');
  const reopened = await ImageStore.open({ root: store.root, berthRegistry: h.host, berthUrl: h.url });
  assert.deepEqual(readdirSync(join(store.root, 'tmp')), []);
  const image = await reopened.pull(`${h.host}/berth/big`);
  assert.ok((await reopened.layers.get(big)) !== undefined, 'and a new pull completes it');
  assert.equal(image.layers.at(-1), big);
});

test('gc removes layers no image uses, but never one a mounted rootfs holds', { skip }, async (t) => {
  const store = await freshStore(t);
  const web = await store.pull(`${h.host}/berth/web`);
  await store.pull(`${h.host}/berth/busybox`);
  const [baseLayer, webLayer] = web.layers as [Digest, Digest];
  assert.deepEqual((await store.gc()).layersRemoved, []);

  const mounted = await store.mountRootfs(web, join(store.root, 'containers', 'g'));
  assert.ok(await store.remove(`${h.host}/berth/web`));
  assert.equal(store.get(`${h.host}/berth/web`), undefined);
  assert.deepEqual((await store.gc()).layersRemoved, [], 'the mounted rootfs holds the web layer');
  await mounted.unmount();
  const report = await store.gc();
  assert.deepEqual(report.layersRemoved, [webLayer], 'then it goes; the base stays for busybox');
  assert.ok(!existsSync(store.layers.layerDir(webLayer)));
  assert.ok(existsSync(store.layers.layerDir(baseLayer)));
  assert.ok(!readdirSync(store.layers.linksDir).some((l) => webLayer.includes(l)), 'its short link goes too');
});

// --- helpers ---

const BIG_LAYER_BYTES = 48 << 20;
let big: Promise<Digest> | undefined;

/** An image whose top layer is 48 MiB of random bytes (incompressible): slow enough to stop midway. */
async function pushBigImage(repository: string): Promise<void> {
  const dirOut = join(work, 'big-layout');
  big ??= (async () => {
    const writer = await LayoutWriter.open(dirOut);
    const base = await openLayout(images.busybox.dir);
    const resolved = await resolveImage(base, 'latest');
    const baseLayer = resolved.manifest.layers[0]!;
    await writer.writeBlobStream(await base.open(baseLayer.digest), { digest: baseLayer.digest, size: baseLayer.size });
    const top = await writeLayer(writer, [{ path: 'big', body: randomBytes(BIG_LAYER_BYTES) }], { compression: 'none' });
    await writeImage(writer, { layers: [{ descriptor: baseLayer, diffId: resolved.config.rootfs.diff_ids[0]! }, top], config: { Cmd: ['sh'] } }, 'latest');
    await writer.commit();
    return top.diffId;
  })();
  await big;
  await pushLayout(dirOut, repository);
}

async function bigDiffId(): Promise<Digest> {
  return big!;
}

async function buildLayer(entries: TarEntryInput[]): Promise<{ tar: Buffer; diffId: Digest }> {
  const dirOut = mkdtempSync(join(work, 'layer-'));
  const writer = await LayoutWriter.open(dirOut);
  const layer = await writeLayer(writer, entries, { compression: 'none' });
  return { tar: readFileSync(join(dirOut, 'blobs/sha256', layer.descriptor.digest.slice(7))), diffId: layer.diffId };
}

function dir(path: string): TarEntryInput {
  return { path, type: 'directory', mode: 0o755 };
}

function file(path: string, body: string): TarEntryInput {
  return { path, body, mode: 0o644 };
}

/**
 * Paths, types and contents of a tree, for comparing two of them. A name readdir lists
 * but lookup does not find is skipped: overlayfs lists a lower layer's whiteouts in a
 * directory that no layer below has (nothing to merge, so it passes readdir through),
 * while lookup still hides them.
 */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p, { throwIfNoEntry: false });
      if (st === undefined) continue;
      const rel = relative(root, p);
      if (st.isDirectory()) {
        out.push(`${rel}/ ${(st.mode & 0o7777).toString(8)}`);
        walk(p);
      } else if (st.isSymbolicLink()) out.push(`${rel} -> link`);
      else out.push(`${rel} ${(st.mode & 0o7777).toString(8)} ${st.size} ${st.isFile() ? readFileSync(p).subarray(0, 64).toString('hex') : 'special'}`);
    }
  };
  walk(root);
  return out;
}

function procMounts(): string[] {
  return readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m): m is string => m !== undefined);
}

/** Unmounts whatever is left under `dir`; false when something stays mounted (then `dir` must not be removed). */
function releaseMountsUnder(dir: string): boolean {
  const mounted = () => procMounts().filter((m) => m === dir || m.startsWith(`${dir}/`));
  for (const m of mounted().sort().reverse()) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch { /* checked below */ }
  }
  return mounted().length === 0;
}
