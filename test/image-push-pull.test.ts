/**
 * `berth image import` and `berth image samples` against a real `berth up`, checked
 * with skopeo (the client users have) and pulled back with the image store: OCI
 * layouts, docker-archives made by skopeo (plain and gzip), and the sample images
 * under the names task definitions use (`nginx`, ECR-style references).
 */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from '../src/images/image-store.ts';
import { buildTestImages, type BuiltTestImage, type TestImageName } from './fixtures/images/build.ts';
import { awsEnv } from './support/aws-cli.ts';
import { ROOT, startBerth, type BerthProcess } from './support/berth.ts';
import { ok, run } from './support/run.ts';

const isRoot = process.getuid?.() === 0;

let berth: BerthProcess;
let host: string;
let password: string;
let work: string;
let images: Record<TestImageName, BuiltTestImage>;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'berth-image-e2e-'));
  [berth, images] = await Promise.all([startBerth(), buildTestImages()]);
  host = `127.0.0.1:${berth.port}`;
  password = (await ok('/usr/bin/aws', ['--endpoint-url', berth.endpoint, 'ecr', 'get-login-password'], { env: awsEnv() })).trim();
});

after(async () => {
  await berth?.stop();
  if (work === undefined) return;
  const mounted = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(`${work}/`));
  for (const m of mounted.sort().reverse()) execFileSync('umount', ['-l', m]);
  rmSync(work, { recursive: true, force: true });
});

function berthCli(args: readonly string[]) {
  return run(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'src/cli/main.ts'), ...args, '--endpoint', berth.endpoint], { env: awsEnv() });
}

async function skopeoDigest(reference: string): Promise<string> {
  const out = await ok('skopeo', ['inspect', '--tls-verify=false', '--creds', `AWS:${password}`, `docker://${host}/${reference}`]);
  return (JSON.parse(out) as { Digest: string }).Digest;
}

async function openStore(): Promise<ImageStore> {
  return ImageStore.open({ root: mkdtempSync(join(work, 'store-')), berthRegistry: host });
}

const credentials = () => ({ username: 'AWS', password });

test('berth image import pushes an OCI layout that skopeo then inspects with the same digest', async () => {
  const r = await berthCli(['image', 'import', images.busybox.dir, '--name', 'library/busybox']);
  assert.equal(r.code, 0, r.stderr);
  const digest = images.busybox.manifestDigest;
  assert.equal(r.stdout, `pushed ${host}/library/busybox:latest@${digest}\n`);
  assert.match(r.stderr, /^importing .* as 127\.0\.0\.1:\d+\/library\/busybox:latest$/m);
  assert.equal(r.stderr.match(/^ {2}sha256:[0-9a-f]{12} +[\d.]+ (B|KiB|MiB) {2}uploaded$/gm)?.length, 2, `a line per blob (config, layer):\n${r.stderr}`);
  assert.equal(await skopeoDigest('library/busybox:latest'), digest);
  const repos = JSON.parse(await ok('/usr/bin/aws', ['--endpoint-url', berth.endpoint, '--output', 'json', 'ecr', 'describe-repositories', '--repository-names', 'library/busybox'], { env: awsEnv() })) as { repositories: unknown[] };
  assert.equal(repos.repositories.length, 1, 'the repository exists for the ECR API');

  const again = await berthCli(['image', 'import', images.busybox.dir, '--name', 'library/busybox:again', '--output', 'json']);
  assert.equal(again.code, 0, again.stderr);
  const json = JSON.parse(again.stdout) as { digest: string; tag: string; blobs: { result: string }[] };
  assert.deepEqual([json.digest, json.tag], [digest, 'again']);
  assert.deepEqual(json.blobs.map((b) => b.result), ['exists', 'exists'], 'a second import sends no blob again');
});

test('an import whose archive names only a tag, or a missing file, fails with one line that says what to do', async () => {
  const noName = await berthCli(['image', 'import', images.web.dir]);
  assert.equal(noName.code, 1);
  assert.equal(noName.stderr.trim().split('\n').length, 1, noName.stderr);
  assert.match(noName.stderr, /names its image only by the tag "latest": pass --name REPOSITORY\[:TAG\]/);
  const missing = await berthCli(['image', 'import', join(work, 'nope.tar')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^berth: .*nope\.tar does not exist: give an OCI layout directory, an OCI archive or a docker-archive tar\n$/);
  const badName = await berthCli(['image', 'import', images.web.dir, '--name', 'Team/App']);
  assert.equal(badName.code, 1);
  assert.match(badName.stderr, /repository names are lowercase: write "team\/app"/);
  const usage = await berthCli(['image', 'import']);
  assert.equal(usage.code, 2);
});

test('docker-archives made by skopeo, plain and gzip, import under their own name and pull back into a working rootfs', async (t) => {
  const tar = join(work, 'web.tar');
  await ok('skopeo', ['copy', `oci:${images.web.dir}:latest`, `docker-archive:${tar}:docker.io/library/webdemo:v2`]);
  const plain = await berthCli(['image', 'import', tar]);
  assert.equal(plain.code, 0, plain.stderr);
  const m = new RegExp(`^pushed ${host}/library/webdemo:v2@(sha256:[0-9a-f]{64})\\n$`).exec(plain.stdout);
  assert.ok(m, plain.stdout);
  assert.equal(await skopeoDigest('library/webdemo:v2'), m[1]);

  await ok('gzip', ['-k', tar]);
  const gz = await berthCli(['image', 'import', `${tar}.gz`, '--name', 'team/web-gz']);
  assert.equal(gz.code, 0, gz.stderr);
  assert.equal(gz.stdout, `pushed ${host}/team/web-gz:v2@${m[1]}\n`, 'same content, same digest; the tag comes from the archive');

  const store = await openStore();
  const image = await store.pull('webdemo:v2', { credentials: credentials() });
  assert.equal(image.manifestDigest, m[1]);
  assert.deepEqual(image.references, [`${host}/library/webdemo:v2`]);
  assert.deepEqual(image.config.Cmd, ['httpd', '-f', '-p', '80', '-h', '/www']);
  if (!isRoot) return t.skip('mounting needs root');
  const rootfs = await store.mountRootfs(image, join(store.root, 'containers', 'web'));
  try {
    assert.match(execFileSync('chroot', [rootfs.rootfs, '/bin/busybox', 'cat', '/www/index.html']).toString(), /Hello from the Berth web test image/);
  } finally {
    await rootfs.unmount();
  }
});

test('berth image samples pushes the sample images; nginx and ECR-style references then pull from Berth', async () => {
  const r = await berthCli(['image', 'samples']);
  assert.equal(r.code, 0, r.stderr);
  const pushed = r.stdout.trim().split('\n');
  assert.deepEqual(pushed.map((l) => l.replace(/@sha256:[0-9a-f]{64}$/, '')), [
    'library/busybox', 'library/nginx', 'berth/web', 'berth/sleep', 'berth/exit-with', 'berth/memhog',
  ].map((repo) => `pushed ${host}/${repo}:latest`));
  assert.match(r.stderr, /mounted from library\/busybox/, 'the shared base layer is mounted, not uploaded again');
  assert.equal(await skopeoDigest('library/nginx:latest'), images.nginx.manifestDigest);

  const store = await openStore();
  const nginxRef = store.resolve('nginx');
  assert.deepEqual([nginxRef.registry, nginxRef.repository, nginxRef.tag, nginxRef.mirrorOf], [host, 'library/nginx', 'latest', 'docker-hub']);
  const nginx = await store.pull('nginx', { credentials: credentials() });
  assert.equal(nginx.manifestDigest, images.nginx.manifestDigest);
  assert.deepEqual(nginx.config.Cmd, ['nginx', '-g', 'daemon off;']);
  assert.equal(nginx.config.StopSignal, 'SIGQUIT');
  assert.equal(store.get('nginx:latest')?.manifestDigest, nginx.manifestDigest);
  assert.equal(store.get(`docker.io/library/nginx@${nginx.manifestDigest}`)?.manifestDigest, nginx.manifestDigest);

  const ecr = await store.pull('123456789012.dkr.ecr.us-east-1.amazonaws.com/berth/exit-with', { credentials: credentials() });
  assert.equal(ecr.manifestDigest, images['exit-with'].manifestDigest);
  assert.deepEqual(ecr.config.Entrypoint, ['/exit-with']);
  assert.equal(ecr.layers[0], nginx.layers[0], 'the base layer is shared in the layer store too');

  await assert.rejects(store.pull('busybox'), /HTTP 401.*the registry wants credentials/, 'Berth\'s registry needs the ECR token');
  await assert.rejects(store.pull('nosuch', { credentials: credentials() }), (e: Error) => e.message.includes(`${host}/library/nosuch:latest: HTTP 404`) && e.message.includes('berth image samples'));
});
