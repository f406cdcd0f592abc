/**
 * skopeo against Berth's registry: log in with an ECR token from the aws CLI, push an
 * OCI layout, inspect, list tags, copy back byte for byte, delete — with basic and with
 * bearer challenges, and refused without a login.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256, startHarness, tinyImage } from './registry-harness.ts';
import { awsEnv, ok, run, writeLayout } from './registry-tools.ts';

for (const challenge of ['basic', 'bearer'] as const) {
  test(`skopeo logs in with 'aws ecr get-login-password' and pushes, pulls, lists and deletes (${challenge} challenge)`, async (t) => {
    const h = await startHarness({ auth: { required: true, challenge } });
    const dir = await mkdtemp(join(tmpdir(), 'berth-skopeo-'));
    t.after(async () => {
      await h.close();
      await rm(dir, { recursive: true, force: true });
    });
    const authfile = ['--authfile', join(dir, 'auth.json')];
    const env = awsEnv(dir);
    const image = tinyImage([4096, 100_000]);
    await writeLayout(join(dir, 'src'), image);
    const dest = `docker://${h.host}/team/app:v1`;

    const denied = await run('skopeo', ['copy', ...authfile, '--dest-tls-verify=false', `oci:${join(dir, 'src')}:latest`, dest]);
    assert.notEqual(denied.code, 0, 'a push without login is refused');
    assert.match(denied.stderr, /unauthorized|authentication required/i);

    const password = (await ok('aws', ['--endpoint-url', h.url, 'ecr', 'get-login-password'], { env })).trim();
    await ok('skopeo', ['login', ...authfile, '--tls-verify=false', '--username', 'AWS', '--password-stdin', h.host], { input: password });
    const wrong = await run('skopeo', ['login', ...authfile.slice(0, 1), join(dir, 'bad.json'), '--tls-verify=false', '--username', 'AWS', '--password-stdin', h.host], { input: 'not-a-token' });
    assert.notEqual(wrong.code, 0, 'a wrong password fails at login');

    await ok('skopeo', ['copy', ...authfile, '--dest-tls-verify=false', `oci:${join(dir, 'src')}:latest`, dest]);
    const inspected = JSON.parse(await ok('skopeo', ['inspect', ...authfile, '--tls-verify=false', '--raw', dest])) as { layers: { digest: string }[] };
    assert.deepEqual(inspected.layers.map((l) => l.digest), image.layers.map((l) => sha256(l)));
    const info = JSON.parse(await ok('skopeo', ['inspect', ...authfile, '--tls-verify=false', dest])) as { Digest: string };
    assert.equal(info.Digest, image.digest, 'skopeo keeps the manifest bytes, so the digest is the same');

    await ok('skopeo', ['copy', ...authfile, '--src-tls-verify=false', '--dest-tls-verify=false', dest, `docker://${h.host}/team/app:v2`]);
    const tags = JSON.parse(await ok('skopeo', ['list-tags', ...authfile, '--tls-verify=false', `docker://${h.host}/team/app`])) as { Tags: string[] };
    assert.deepEqual(tags.Tags.sort(), ['v1', 'v2']);

    await ok('skopeo', ['copy', ...authfile, '--src-tls-verify=false', dest, `oci:${join(dir, 'back')}:latest`]);
    for (const layer of image.layers) {
      const copy = await readFile(join(dir, 'back', 'blobs', 'sha256', sha256(layer).slice(7)));
      assert.ok(copy.equals(layer), 'layers come back byte for byte');
    }

    await ok('skopeo', ['delete', ...authfile, '--tls-verify=false', dest]);
    const gone = await run('skopeo', ['inspect', ...authfile, '--tls-verify=false', dest]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /manifest unknown|not found/i);
  });
}

test('with anonymous pull on, pulls need no login but pushes still do', async (t) => {
  const h = await startHarness({ auth: { required: true, anonymousPull: true } });
  const dir = await mkdtemp(join(tmpdir(), 'berth-skopeo-'));
  t.after(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });
  const image = tinyImage([100]);
  await writeLayout(join(dir, 'src'), image);
  const authfile = ['--authfile', join(dir, 'auth.json')];
  const push = await run('skopeo', ['copy', ...authfile, '--dest-tls-verify=false', `oci:${join(dir, 'src')}:latest`, `docker://${h.host}/anon:v1`]);
  assert.notEqual(push.code, 0);
  await ok('skopeo', ['copy', '--dest-creds', `AWS:${h.token()}`, ...authfile, '--dest-tls-verify=false', `oci:${join(dir, 'src')}:latest`, `docker://${h.host}/anon:v1`]);
  const info = JSON.parse(await ok('skopeo', ['inspect', ...authfile, '--tls-verify=false', `docker://${h.host}/anon:v1`])) as { Digest: string };
  assert.equal(info.Digest, image.digest);
});
