/**
 * podman against a real `berth up`: log in with `aws ecr get-login-password`, push an
 * image from podman's own storage, list its tags, pull it back with the same digest, and
 * be refused without a login. podman runs on its own storage, run dir and auth file in a
 * temp dir, so the machine's podman state is never touched.
 */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from './registry-harness.ts';
import { buildTestImage } from './fixtures/images/build.ts';
import { awsEnv } from './support/aws-cli.ts';
import { startBerth, type BerthProcess } from './support/berth.ts';
import { ok, run, type RunResult } from './support/run.ts';

let berth: BerthProcess;
let host: string;
/** Lowercase only: podman names an image pulled from `oci:<dir>` after the dir's path. */
const work = join(tmpdir(), `berth-podman-${randomBytes(6).toString('hex')}`);
const authFile = join(work, 'auth.json');
/** The busybox layout's config digest: podman's image ID, kept on push and pull. */
let configDigest: string;

function podman(args: readonly string[], input?: string): Promise<RunResult> {
  const global = [
    '--root', join(work, 'storage'), '--runroot', join(work, 'run'), '--tmpdir', join(work, 'tmp'),
    '--storage-driver', 'vfs', '--events-backend', 'none',
  ];
  return run('podman', [...global, ...args], { env: { REGISTRY_AUTH_FILE: authFile }, ...(input !== undefined && { input }) });
}

async function podmanOk(args: readonly string[], input?: string): Promise<string> {
  const r = await podman(args, input);
  if (r.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

function password(): Promise<string> {
  return ok('/usr/bin/aws', ['--endpoint-url', berth.endpoint, 'ecr', 'get-login-password'], { env: awsEnv() });
}

async function manifestDigest(reference: string): Promise<string> {
  const [repo, tag] = reference.split(':') as [string, string];
  const token = (await password()).trim();
  const res = await fetch(`${berth.endpoint}/v2/${repo}/manifests/${tag}`, {
    headers: {
      Authorization: `Basic ${Buffer.from(`AWS:${token}`).toString('base64')}`,
      Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
    },
  });
  assert.equal(res.status, 200);
  const digest = sha256(Buffer.from(await res.arrayBuffer()));
  assert.equal(res.headers.get('docker-content-digest'), digest);
  return digest;
}

before(async () => {
  await mkdir(work, { recursive: true });
  await writeFile(authFile, '{}');
  const [b, busybox] = await Promise.all([startBerth(), buildTestImage('busybox')]);
  berth = b;
  host = `127.0.0.1:${berth.port}`;
  const layout = join(work, 'busybox');
  await cp(busybox.dir, layout, { recursive: true });
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const manifest = JSON.parse(await readFile(join(layout, 'blobs', 'sha256', index.manifests[0]!.digest.slice('sha256:'.length)), 'utf8')) as { config: { digest: string } };
  configDigest = manifest.config.digest;
  await podmanOk(['pull', `oci:${layout}:latest`]);
  await podmanOk(['tag', configDigest.slice('sha256:'.length), `${host}/team/busybox:v1`, `${host}/team/busybox:v2`]);
});

after(async () => {
  await berth?.stop();
  // podman's vfs storage has no mounts to undo; its files are removed with the dir.
  await rm(work, { recursive: true, force: true });
});

test('podman without a login: the push is refused', async () => {
  const r = await podman(['push', '--tls-verify=false', `${host}/team/busybox:v1`]);
  assert.notEqual(r.code, 0, 'a push without login is refused');
  assert.match(r.stderr, /unauthorized|authentication required/i);
  const wrong = await podman(['login', '--tls-verify=false', '--username', 'AWS', '--password-stdin', host], 'not-a-token');
  assert.notEqual(wrong.code, 0, 'a wrong password fails at login');
});

test('podman logs in with an ECR token, pushes, lists tags, and pulls back the same digest', async () => {
  await podmanOk(['login', '--tls-verify=false', '--username', 'AWS', '--password-stdin', host], (await password()).trim());

  const digestFile = join(work, 'pushed.digest');
  await podmanOk(['push', '--tls-verify=false', '--digestfile', digestFile, `${host}/team/busybox:v1`]);
  await podmanOk(['push', '--tls-verify=false', `${host}/team/busybox:v2`]);
  const pushed = (await readFile(digestFile, 'utf8')).trim();
  assert.match(pushed, /^sha256:[0-9a-f]{64}$/);
  assert.equal(await manifestDigest('team/busybox:v1'), pushed, 'the registry serves the manifest podman pushed, byte for byte');

  const described = JSON.parse(await ok('/usr/bin/aws', ['--endpoint-url', berth.endpoint, '--output', 'json', 'ecr', 'describe-images', '--repository-name', 'team/busybox'], { env: awsEnv() })) as { imageDetails: { imageDigest: string; imageTags?: string[] }[] };
  assert.deepEqual(described.imageDetails.map((d) => [d.imageDigest, [...(d.imageTags ?? [])].sort()]), [[pushed, ['v1', 'v2']]]);

  const listed = JSON.parse(await podmanOk(['search', '--list-tags', '--tls-verify=false', '--format', 'json', `${host}/team/busybox`])) as { Name: string; Tags: string[] }[];
  assert.equal(listed.length, 1);
  assert.equal(listed[0]!.Name, `${host}/team/busybox`);
  assert.deepEqual([...listed[0]!.Tags].sort(), ['v1', 'v2']);

  await podmanOk(['rmi', '--force', configDigest.slice('sha256:'.length)]);
  assert.equal((await podman(['image', 'exists', `${host}/team/busybox:v1`])).code, 1, 'the image is gone locally');
  await podmanOk(['pull', '--tls-verify=false', `${host}/team/busybox:v1`]);
  const inspected = JSON.parse(await podmanOk(['image', 'inspect', `${host}/team/busybox:v1`])) as { Id: string; Digest: string; RepoDigests: string[] }[];
  assert.equal(inspected[0]!.Digest, pushed, 'pulled back with the digest it was pushed with');
  assert.ok(inspected[0]!.RepoDigests.includes(`${host}/team/busybox@${pushed}`));
  assert.equal(`sha256:${inspected[0]!.Id}`, configDigest, 'the same image (config) came back');

  await podmanOk(['logout', host]);
  const anonymous = await podman(['pull', '--tls-verify=false', `${host}/team/busybox:v2`]);
  assert.notEqual(anonymous.code, 0, 'after logout a pull is refused too (anonymous pull is off by default)');
  assert.match(anonymous.stderr, /unauthorized|authentication required/i);
});
