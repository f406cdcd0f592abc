/**
 * The ECR API through the aws CLIs (v1 on PATH, v2 at /usr/bin/aws), against the same
 * repositories the registry serves at /v2/.
 */

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pushImage, sha256, startHarness, tinyImage, type Harness } from './registry-harness.ts';
import { awsEnv, run } from './registry-tools.ts';

let h: Harness;
let dir: string;
before(async () => {
  h = await startHarness();
  dir = await mkdtemp(join(tmpdir(), 'berth-ecr-cli-'));
});
after(async () => {
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

const CLIS = [['v1', 'aws'], ['v2', '/usr/bin/aws']] as const;

async function ecr(cli: string, ...args: string[]): Promise<Record<string, unknown>> {
  const r = await run(cli, ['--endpoint-url', h.url, '--output', 'json', 'ecr', ...args], { env: awsEnv(dir) });
  if (r.code !== 0) throw new Error(`aws ecr ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim() ? JSON.parse(r.stdout) : {};
}

async function ecrFails(cli: string, ...args: string[]): Promise<string> {
  const r = await run(cli, ['--endpoint-url', h.url, 'ecr', ...args], { env: awsEnv(dir) });
  assert.notEqual(r.code, 0, `expected aws ecr ${args.join(' ')} to fail`);
  return r.stderr;
}

for (const [version, cli] of CLIS) {
  test(`aws CLI ${version}: repositories are created, described page by page, tagged and deleted`, async () => {
    const name = `cli-${version}/app`;
    const created = (await ecr(cli, 'create-repository', '--repository-name', name, '--image-tag-mutability', 'IMMUTABLE', '--tags', 'Key=team,Value=core')).repository as Record<string, unknown>;
    assert.equal(created.repositoryUri, `${h.host}/${name}`);
    assert.equal(created.repositoryArn, `arn:aws:ecr:us-east-1:000000000000:repository/${name}`);
    assert.equal(created.imageTagMutability, 'IMMUTABLE');
    assert.deepEqual(created.encryptionConfiguration, { encryptionType: 'AES256' });
    assert.equal(typeof created.createdAt, version === 'v1' ? 'number' : 'string');
    assert.match(await ecrFails(cli, 'create-repository', '--repository-name', name), /RepositoryAlreadyExistsException/);
    assert.match(await ecrFails(cli, 'create-repository', '--repository-name', 'Bad_Name'), /InvalidParameterException/);
    for (const n of ['a', 'b', 'c']) await ecr(cli, 'create-repository', '--repository-name', `cli-${version}/${n}`);
    // --page-size makes the CLI follow nextToken page by page.
    const all = (await ecr(cli, 'describe-repositories', '--page-size', '2')).repositories as { repositoryName: string }[];
    for (const n of ['a', 'b', 'c', 'app']) assert.ok(all.some((r) => r.repositoryName === `cli-${version}/${n}`), n);
    assert.match(await ecrFails(cli, 'describe-repositories', '--repository-names', 'nope'), /RepositoryNotFoundException/);

    const arn = created.repositoryArn as string;
    await ecr(cli, 'tag-resource', '--resource-arn', arn, '--tags', 'Key=env,Value=dev');
    await ecr(cli, 'untag-resource', '--resource-arn', arn, '--tag-keys', 'team');
    assert.deepEqual((await ecr(cli, 'list-tags-for-resource', '--resource-arn', arn)).tags, [{ Key: 'env', Value: 'dev' }]);

    const img = tinyImage([10]);
    assert.equal((await pushImage(h, name, img, 'v1')).status, 201);
    assert.match(await ecrFails(cli, 'delete-repository', '--repository-name', name), /RepositoryNotEmptyException/);
    await ecr(cli, 'delete-repository', '--repository-name', name, '--force');
    assert.equal((await fetch(`${h.url}/v2/${name}/manifests/v1`)).status, 404);
  });
}

test('images pushed to /v2/ are listed, described, fetched, re-tagged and deleted through ECR', async () => {
  const repo = 'images/app';
  await ecr('aws', 'create-repository', '--repository-name', repo);
  const one = tinyImage([1000, 2000]);
  const two = tinyImage([500]);
  assert.equal((await pushImage(h, repo, one, 'v1')).status, 201);
  assert.equal((await pushImage(h, repo, two, 'v2')).status, 201);
  assert.equal((await pushImage(h, repo, two, 'latest')).status, 201);

  const ids = (await ecr('aws', 'list-images', '--repository-name', repo)).imageIds as { imageDigest: string; imageTag?: string }[];
  assert.equal(ids.length, 3);
  const details = (await ecr('aws', 'describe-images', '--repository-name', repo, '--image-ids', 'imageTag=v1')).imageDetails as Record<string, unknown>[];
  assert.equal(details[0]?.imageDigest, one.digest);
  assert.equal(details[0]?.imageSizeInBytes, one.config.length + one.layers.reduce((s, l) => s + l.length, 0));
  assert.equal(details[0]?.imageManifestMediaType, one.mediaType);
  assert.equal(details[0]?.artifactMediaType, 'application/vnd.oci.image.config.v1+json');
  assert.equal(typeof details[0]?.imagePushedAt, 'number');
  const both = (await ecr('aws', 'describe-images', '--repository-name', repo, '--image-ids', `imageDigest=${two.digest}`)).imageDetails as { imageTags: string[] }[];
  assert.deepEqual(both[0]?.imageTags.sort(), ['latest', 'v2']);
  assert.match(await ecrFails('aws', 'describe-images', '--repository-name', repo, '--image-ids', 'imageTag=nope'), /ImageNotFoundException/);

  const got = await ecr('aws', 'batch-get-image', '--repository-name', repo, '--image-ids', 'imageTag=v1', 'imageTag=missing');
  const images = got.images as { imageManifest: string }[];
  assert.equal(images[0]?.imageManifest, one.manifest.toString('utf8'));
  assert.deepEqual((got.failures as { failureCode: string }[]).map((f) => f.failureCode), ['ImageNotFound']);

  const put = (await ecr('aws', 'put-image', '--repository-name', repo, '--image-tag', 'release', '--image-manifest', one.manifest.toString('utf8'))).image as { imageId: { imageDigest: string } };
  assert.equal(put.imageId.imageDigest, one.digest);
  assert.match(await ecrFails('aws', 'put-image', '--repository-name', repo, '--image-tag', 'release', '--image-manifest', one.manifest.toString('utf8')), /ImageAlreadyExistsException/);
  assert.equal((await fetch(`${h.url}/v2/${repo}/manifests/release`)).headers.get('docker-content-digest'), one.digest);

  const untagged = (await ecr('aws', 'list-images', '--repository-name', repo, '--filter', 'tagStatus=UNTAGGED')).imageIds as unknown[];
  assert.equal(untagged.length, 0);
  const deleted = await ecr('aws', 'batch-delete-image', '--repository-name', repo, '--image-ids', 'imageTag=v2', `imageDigest=${one.digest}`, 'imageTag=ghost');
  assert.deepEqual((deleted.imageIds as { imageTag?: string }[]).map((i) => i.imageTag).sort(), ['release', 'v1', 'v2']);
  assert.deepEqual((deleted.failures as { failureCode: string }[]).map((f) => f.failureCode), ['ImageNotFound']);
  assert.equal((await fetch(`${h.url}/v2/${repo}/manifests/latest`)).status, 200, 'latest still names the second image');
  // Removing the last tag removes the image, as in ECR.
  await ecr('aws', 'batch-delete-image', '--repository-name', repo, '--image-ids', 'imageTag=latest');
  assert.equal(((await ecr('aws', 'list-images', '--repository-name', repo)).imageIds as unknown[]).length, 0);
});

test('IMMUTABLE tags cannot be moved, through ECR or /v2/', async () => {
  const repo = 'immutable/app';
  await ecr('/usr/bin/aws', 'create-repository', '--repository-name', repo);
  const one = tinyImage([10]);
  const two = tinyImage([10]);
  assert.equal((await pushImage(h, repo, one, 'v1')).status, 201);
  assert.equal((await pushImage(h, repo, two, 'other')).status, 201);
  const r = await ecr('/usr/bin/aws', 'put-image-tag-mutability', '--repository-name', repo, '--image-tag-mutability', 'IMMUTABLE');
  assert.equal(r.imageTagMutability, 'IMMUTABLE');
  const moved = await pushImage(h, repo, two, 'v1');
  assert.equal(moved.status, 400);
  const body = (await moved.json()) as { errors: { code: string; message: string }[] };
  assert.equal(body.errors[0]?.code, 'TAG_INVALID');
  assert.match(body.errors[0]?.message ?? '', /immutable/);
  assert.equal((await pushImage(h, repo, one, 'v1')).status, 201, 'pushing the same image again is fine');
  assert.match(await ecrFails('/usr/bin/aws', 'put-image', '--repository-name', repo, '--image-tag', 'v1', '--image-manifest', two.manifest.toString('utf8')), /ImageTagAlreadyExistsException/);
  assert.equal((await fetch(`${h.url}/v2/${repo}/manifests/v1`)).headers.get('docker-content-digest'), one.digest);
});

test('layers: availability, a download URL that serves the blob, and the ECR upload API', async () => {
  const repo = 'layers/app';
  await ecr('aws', 'create-repository', '--repository-name', repo);
  const img = tinyImage([3000]);
  assert.equal((await pushImage(h, repo, img, 'v1')).status, 201);
  const layer = sha256(img.layers[0]!);
  const avail = await ecr('aws', 'batch-check-layer-availability', '--repository-name', repo, '--layer-digests', layer, sha256('none'));
  assert.deepEqual((avail.layers as { layerAvailability: string }[]).map((l) => l.layerAvailability), ['AVAILABLE', 'UNAVAILABLE']);
  const url = (await ecr('aws', 'get-download-url-for-layer', '--repository-name', repo, '--layer-digest', layer)).downloadUrl as string;
  const down = await fetch(url);
  assert.equal(down.status, 200);
  assert.deepEqual(Buffer.from(await down.arrayBuffer()), img.layers[0]);
  assert.match(await ecrFails('aws', 'get-download-url-for-layer', '--repository-name', repo, '--layer-digest', sha256('none')), /LayersNotFoundException/);

  const data = Buffer.from('0123456789abcdefghij');
  const { uploadId } = (await ecr('aws', 'initiate-layer-upload', '--repository-name', repo)) as { uploadId: string };
  await writeFile(join(dir, 'part1'), data.subarray(0, 12));
  await writeFile(join(dir, 'part2'), data.subarray(12));
  const p1 = await ecr('aws', 'upload-layer-part', '--repository-name', repo, '--upload-id', uploadId, '--part-first-byte', '0', '--part-last-byte', '11', '--layer-part-blob', `fileb://${join(dir, 'part1')}`);
  assert.equal(p1.lastByteReceived, 11);
  assert.match(await ecrFails('aws', 'upload-layer-part', '--repository-name', repo, '--upload-id', uploadId, '--part-first-byte', '5', '--part-last-byte', '12', '--layer-part-blob', `fileb://${join(dir, 'part2')}`), /InvalidLayerPartException/);
  await ecr('aws', 'upload-layer-part', '--repository-name', repo, '--upload-id', uploadId, '--part-first-byte', '12', '--part-last-byte', '19', '--layer-part-blob', `fileb://${join(dir, 'part2')}`);
  const done = await ecr('aws', 'complete-layer-upload', '--repository-name', repo, '--upload-id', uploadId, '--layer-digests', sha256(data));
  assert.equal(done.layerDigest, sha256(data));
  assert.deepEqual(Buffer.from(await (await fetch(`${h.url}/v2/${repo}/blobs/${sha256(data)}`)).arrayBuffer()), data);
  assert.match(await ecrFails('aws', 'complete-layer-upload', '--repository-name', repo, '--upload-id', uploadId, '--layer-digests', sha256(data)), /UploadNotFoundException/);
});

test('lifecycle policies: validated, previewed, and applied after each push', async () => {
  const repo = 'lifecycle/app';
  await ecr('aws', 'create-repository', '--repository-name', repo);
  const policy = JSON.stringify({ rules: [{ rulePriority: 1, description: 'keep the two newest release images', selection: { tagStatus: 'tagged', tagPrefixList: ['release'], countType: 'imageCountMoreThan', countNumber: 2 }, action: { type: 'expire' } }] });
  assert.match(await ecrFails('aws', 'get-lifecycle-policy', '--repository-name', repo), /LifecyclePolicyNotFoundException/);
  assert.match(await ecrFails('aws', 'put-lifecycle-policy', '--repository-name', repo, '--lifecycle-policy-text', JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: 'tagged', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }] })), /InvalidParameterException/);
  const images = [tinyImage([10]), tinyImage([10]), tinyImage([10])];
  for (const [i, img] of images.entries()) {
    assert.equal((await pushImage(h, repo, img, `release-${i}`)).status, 201);
    await new Promise((r) => setTimeout(r, 5));
  }
  await ecr('aws', 'start-lifecycle-policy-preview', '--repository-name', repo, '--lifecycle-policy-text', policy);
  const preview = await ecr('aws', 'get-lifecycle-policy-preview', '--repository-name', repo);
  assert.equal(preview.status, 'COMPLETE');
  assert.deepEqual((preview.previewResults as { imageDigest: string }[]).map((p) => p.imageDigest), [images[0]!.digest]);

  await ecr('aws', 'put-lifecycle-policy', '--repository-name', repo, '--lifecycle-policy-text', policy);
  assert.equal(JSON.parse((await ecr('aws', 'get-lifecycle-policy', '--repository-name', repo)).lifecyclePolicyText as string).rules[0].rulePriority, 1);
  const listed = async () => ((await ecr('aws', 'list-images', '--repository-name', repo)).imageIds as { imageTag: string }[]).map((i) => i.imageTag).sort();
  await waitFor(async () => (await listed()).length === 2);
  assert.deepEqual(await listed(), ['release-1', 'release-2']);
  const newest = tinyImage([10]);
  assert.equal((await pushImage(h, repo, newest, 'release-3')).status, 201);
  await waitFor(async () => !(await listed()).includes('release-1'));
  assert.deepEqual(await listed(), ['release-2', 'release-3']);
  await ecr('aws', 'delete-lifecycle-policy', '--repository-name', repo);
});

test('get-login-password answers a token the registry accepts', async () => {
  const r = await run('/usr/bin/aws', ['--endpoint-url', h.url, 'ecr', 'get-authorization-token', '--output', 'json'], { env: awsEnv(dir) });
  const data = (JSON.parse(r.stdout) as { authorizationData: { authorizationToken: string; proxyEndpoint: string }[] }).authorizationData[0]!;
  assert.equal(data.proxyEndpoint, `http://${h.host}`);
  const [user, token] = Buffer.from(data.authorizationToken, 'base64').toString().split(':');
  assert.equal(user, 'AWS');
  assert.ok(h.registry.core.auth.tokens.verify(token!, Date.now()));
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
