// Berth's S3 through the clients people use: the aws CLI v1 (pip, on botocore) and v2
// (Debian's), their high-level `s3` commands and `s3api`, and boto3 — including a 20 MB
// file (multipart upload, ranged download), pagination, the errors, and kill -9 in the
// middle of an upload.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AWS_CLIS, aws, awsEnv, awsFails, type AwsCli, PYTHON3 } from './support/aws-cli.ts';
import { startBerth, type BerthProcess } from './support/berth.ts';
import { run } from './support/run.ts';

let berth: BerthProcess;
let dir: string;
const BIG_BYTES = 20 * 1024 * 1024;
const ENV_TEXT = 'DATABASE_URL=postgres://db:5432/app\nLOG_LEVEL=debug\n';

before(async () => {
  berth = await startBerth();
  dir = mkdtempSync(join(tmpdir(), 'berth-s3-cli-'));
  writeFileSync(join(dir, 'app.env'), ENV_TEXT);
  writeFileSync(join(dir, 'big.bin'), randomBytes(BIG_BYTES));
  for (const k of ['a/1.txt', 'a/2.txt', 'b/3.txt', 'c.txt', 'd.txt']) {
    mkdirSync(join(dir, 'tree', k, '..'), { recursive: true });
    writeFileSync(join(dir, 'tree', k), ENV_TEXT);
  }
});

after(async () => {
  await berth?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const md5 = (path: string) => createHash('md5').update(readFileSync(path)).digest('hex');

/** A high-level `aws s3 …` command (its output is text, not JSON). */
async function s3(cli: AwsCli, ...args: string[]): Promise<string> {
  const r = await run(cli.bin, ['--endpoint-url', berth.endpoint, 's3', ...args], { env: awsEnv(), cwd: dir });
  if (r.code !== 0) throw new Error(`${cli.name} s3 ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function s3Fails(cli: AwsCli, ...args: string[]): Promise<string> {
  const r = await run(cli.bin, ['--endpoint-url', berth.endpoint, 's3', ...args], { env: awsEnv(), cwd: dir });
  assert.notEqual(r.code, 0, `${cli.name} s3 ${args.join(' ')} should fail`);
  return r.stderr;
}

const s3api = <T = Record<string, unknown>>(cli: AwsCli, ...args: string[]) => aws<T>(cli, berth.endpoint, ['s3api', ...args]);

// The two CLIs work on buckets of their own, side by side.
describe('the aws CLIs', { concurrency: true }, () => {
for (const cli of AWS_CLIS) {
  const v = cli.name === 'aws CLI v1' ? 'v1' : 'v2';
  const bucket = `config-${v}`;
  describe(cli.name, () => {
    test('mb, cp up and down (small and 20 MB), ls, rm, rb', async () => {
      assert.match(await s3(cli, 'mb', `s3://${bucket}`), new RegExp(`make_bucket: ${bucket}`));
      await s3(cli, 'cp', 'app.env', `s3://${bucket}/app.env`);
      await s3(cli, 'cp', 'big.bin', `s3://${bucket}/data/big.bin`);
      assert.match(await s3(cli, 'ls'), new RegExp(`\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d ${bucket}\\n`));
      const top = await s3(cli, 'ls', `s3://${bucket}`);
      assert.match(top, /PRE data\/\n/);
      assert.match(top, new RegExp(`\\s${ENV_TEXT.length} app\\.env\\n`));
      assert.match(await s3(cli, 'ls', `s3://${bucket}`, '--recursive'), new RegExp(`\\s${BIG_BYTES} data/big\\.bin\\n`));
      await s3(cli, 'cp', `s3://${bucket}/data/big.bin`, `down-${v}.bin`);
      assert.equal(md5(join(dir, `down-${v}.bin`)), md5(join(dir, 'big.bin')), 'the 20 MB file comes back byte for byte');
      assert.equal(await s3(cli, 'cp', `s3://${bucket}/app.env`, '-'), readFileSync(join(dir, 'app.env'), 'utf8'));
      const head = await s3api<{ ContentLength: number; ETag: string }>(cli, 'head-object', '--bucket', bucket, '--key', 'data/big.bin');
      assert.equal(head.ContentLength, BIG_BYTES);
      assert.match(head.ETag, /^"[0-9a-f]{32}-3"$/, 'a multipart ETag: 8 MB parts, three of them');
      assert.match(await s3Fails(cli, 'rb', `s3://${bucket}`), /BucketNotEmpty/);
      assert.match(await s3(cli, 'rm', `s3://${bucket}`, '--recursive'), /delete: s3:\/\/config-v\d\/data\/big\.bin/);
      assert.match(await s3(cli, 'rb', `s3://${bucket}`), new RegExp(`remove_bucket: ${bucket}`));
      assert.doesNotMatch(await s3(cli, 'ls'), new RegExp(bucket));
    });

    test('s3api: put with metadata, head, get with a range, list-objects-v2 page by page', async () => {
      const b = `pages-${v}`;
      await s3api(cli, 'create-bucket', '--bucket', b);
      await s3(cli, 'cp', 'tree', `s3://${b}/`, '--recursive', '--content-type', 'text/plain', '--metadata', 'team=core');
      const head = await s3api<{ ContentType: string; Metadata: Record<string, string>; ETag: string }>(cli, 'head-object', '--bucket', b, '--key', 'c.txt');
      assert.deepEqual([head.ContentType, head.Metadata, head.ETag], ['text/plain', { team: 'core' }, `"${md5(join(dir, 'app.env'))}"`]);
      const out = join(dir, `range-${v}.txt`);
      const ranged = await s3api<{ ContentRange: string; ContentLength: number }>(cli, 'get-object', '--bucket', b, '--key', 'c.txt', '--range', 'bytes=0-11', out);
      assert.deepEqual([ranged.ContentRange, ranged.ContentLength, readFileSync(out, 'utf8')], [`bytes 0-11/${ENV_TEXT.length}`, 12, 'DATABASE_URL']);
      // --page-size makes the CLI follow continuation tokens; --max-items stops it with a NextToken.
      const all = await s3api<{ Contents: { Key: string }[] }>(cli, 'list-objects-v2', '--bucket', b, '--page-size', '2');
      assert.deepEqual(all.Contents.map((c) => c.Key), ['a/1.txt', 'a/2.txt', 'b/3.txt', 'c.txt', 'd.txt']);
      const first = await s3api<{ Contents: { Key: string }[]; NextToken: string }>(cli, 'list-objects-v2', '--bucket', b, '--page-size', '2', '--max-items', '2');
      assert.deepEqual(first.Contents.map((c) => c.Key), ['a/1.txt', 'a/2.txt']);
      const rest = await s3api<{ Contents: { Key: string }[] }>(cli, 'list-objects-v2', '--bucket', b, '--page-size', '2', '--starting-token', first.NextToken);
      assert.deepEqual(rest.Contents.map((c) => c.Key), ['b/3.txt', 'c.txt', 'd.txt']);
      const folders = await s3api<{ CommonPrefixes: { Prefix: string }[]; Contents: { Key: string }[] }>(cli, 'list-objects-v2', '--bucket', b, '--delimiter', '/', '--start-after', 'a/9');
      assert.deepEqual([folders.CommonPrefixes.map((p) => p.Prefix), folders.Contents.map((c) => c.Key)], [['b/'], ['c.txt', 'd.txt']]);
    });

    test('errors are the ones S3 sends', async () => {
      const b = `errors-${v}`;
      await s3api(cli, 'create-bucket', '--bucket', b);
      await s3api(cli, 'put-object', '--bucket', b, '--key', 'k', '--body', join(dir, 'app.env'));
      const cases: [string[], string, RegExp][] = [
        [['list-objects-v2', '--bucket', 'no-such-bucket'], 'NoSuchBucket', /The specified bucket does not exist/],
        [['get-object', '--bucket', b, '--key', 'missing', join(dir, 'x')], 'NoSuchKey', /The specified key does not exist/],
        [['head-bucket', '--bucket', 'no-such-bucket'], '404', /Not Found/],
        [['create-bucket', '--bucket', 'Bad_Name'], 'InvalidBucketName', /not valid/],
        [['create-bucket', '--bucket', b, '--region', 'eu-west-1', '--create-bucket-configuration', 'LocationConstraint=eu-west-1'], 'BucketAlreadyOwnedByYou', /already own it/],
        [['get-object', '--bucket', b, '--key', 'k', '--range', 'bytes=1000-', join(dir, 'x')], 'InvalidRange', /not satisfiable/],
        [['delete-bucket', '--bucket', b], 'BucketNotEmpty', /not empty/],
      ];
      for (const [args, code, message] of cases) {
        const f = await awsFails(cli, berth.endpoint, ['s3api', ...args]);
        assert.equal(f.code, code, args.join(' '));
        assert.match(f.message, message);
      }
      // botocore retries BadDigest; one attempt is enough to see it.
      const r = await run(cli.bin, ['--endpoint-url', berth.endpoint, 's3api', 'put-object', '--bucket', b, '--key', 'bad', '--body', join(dir, 'app.env'), '--content-md5', 'AAAAAAAAAAAAAAAAAAAAAA=='], { env: { ...awsEnv(), AWS_MAX_ATTEMPTS: '1', AWS_RETRY_MODE: 'standard' } });
      assert.match(r.stderr, /\(BadDigest\).*The Content-MD5 you specified did not match what we received/);
    });
  });
}
});

test('boto3: objects, copies, batch deletes, presigned URLs (SigV2 and SigV4), a multipart upload_file and an aws-chunked upload', async () => {
  const script = `
import boto3, botocore, hashlib, io, os, sys, urllib.request
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
ep = sys.argv[1]
c = boto3.client('s3', endpoint_url=ep)
c.create_bucket(Bucket='boto')
c.put_object(Bucket='boto', Key='dir/a.env', Body=b'A=1\\n', ContentType='text/plain', Metadata={'Owner': 'me'})
o = c.get_object(Bucket='boto', Key='dir/a.env')
assert o['Body'].read() == b'A=1\\n' and o['ContentType'] == 'text/plain' and o['Metadata'] == {'owner': 'me'}, o
c.copy_object(Bucket='boto', Key='copy.env', CopySource={'Bucket': 'boto', 'Key': 'dir/a.env'})
assert c.get_object(Bucket='boto', Key='copy.env')['Body'].read() == b'A=1\\n'
keys = [o['Key'] for p in c.get_paginator('list_objects_v2').paginate(Bucket='boto', PaginationConfig={'PageSize': 1}) for o in p.get('Contents', [])]
assert keys == ['copy.env', 'dir/a.env'], keys
v1 = [o['Key'] for p in c.get_paginator('list_objects').paginate(Bucket='boto', PaginationConfig={'PageSize': 1}) for o in p.get('Contents', [])]
assert v1 == keys, v1
for signer in (None, 's3v4'):
    p = boto3.client('s3', endpoint_url=ep, config=Config(signature_version=signer) if signer else None)
    assert urllib.request.urlopen(p.generate_presigned_url('get_object', Params={'Bucket': 'boto', 'Key': 'dir/a.env'})).read() == b'A=1\\n'
try:
    c.get_object(Bucket='boto', Key='nope')
    raise SystemExit('expected NoSuchKey')
except c.exceptions.NoSuchKey as e:
    assert e.response['ResponseMetadata']['HTTPStatusCode'] == 404
data = os.urandom(6 * 1024 * 1024 + 1)
c.upload_fileobj(io.BytesIO(data), 'boto', 'multi.bin', Config=TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024))
h = c.head_object(Bucket='boto', Key='multi.bin')
assert h['ContentLength'] == len(data) and h['ETag'].endswith('-2"'), h
out = io.BytesIO()
c.download_fileobj('boto', 'multi.bin', out, Config=TransferConfig(multipart_threshold=1024 * 1024, multipart_chunksize=1024 * 1024))
assert out.getvalue() == data
# botocore sends aws-chunked (STREAMING-UNSIGNED-PAYLOAD-TRAILER with a CRC32 trailer) only
# over https; make its own check see https so its own encoder runs here over http.
import botocore.httpchecksum as hc
real = hc.urlparse
hc.urlparse = lambda u: real(u)._replace(scheme='https')
t = boto3.client('s3', endpoint_url=ep, config=Config(s3={'payload_signing_enabled': False}))
t.put_object(Bucket='boto', Key='chunked.bin', Body=io.BytesIO(data))
g = t.get_object(Bucket='boto', Key='chunked.bin', ChecksumMode='ENABLED')
assert g['Body'].read() == data and g['ETag'] == '"%s"' % hashlib.md5(data).hexdigest() and 'ChecksumCRC32' in g, g
hc.urlparse = real
r = c.delete_objects(Bucket='boto', Delete={'Objects': [{'Key': k} for k in ['copy.env', 'dir/a.env', 'multi.bin', 'chunked.bin']]})
assert len(r['Deleted']) == 4, r
c.delete_bucket(Bucket='boto')
# /v2/… signed for s3 is S3's, not the registry's: the signature says which service.
try:
    c.list_objects_v2(Bucket='v2')
    raise SystemExit('expected NoSuchBucket')
except c.exceptions.NoSuchBucket:
    pass
print('ok')
`;
  const r = await run(PYTHON3, ['-c', script, berth.endpoint], { env: awsEnv() });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'ok');
  const registry = await fetch(`${berth.endpoint}/v2/`);
  assert.equal(registry.headers.get('docker-distribution-api-version'), 'registry/2.0', 'the registry still answers /v2/');
});

test('kill -9 in the middle of an upload: acknowledged objects stay, the partial one never appears', async () => {
  const cli = AWS_CLIS[1];
  await s3api(cli, 'create-bucket', '--bucket', 'durable');
  await s3api(cli, 'put-object', '--bucket', 'durable', '--key', 'kept', '--body', join(dir, 'app.env'));
  // A PUT that sends half of its declared bytes, then waits.
  const auth = `AWS4-HMAC-SHA256 Credential=AKID/20261125/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`;
  const req = request(`${berth.endpoint}/durable/partial`, { method: 'PUT', headers: { authorization: auth, 'content-length': 1024 * 1024, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
  req.on('error', () => { /* the server goes away */ });
  req.write(Buffer.alloc(512 * 1024, 'p'));
  await new Promise((r) => setTimeout(r, 300));
  await berth.kill9();
  req.destroy();
  await berth.restart();
  const kept = await s3api<{ ContentLength: number }>(cli, 'head-object', '--bucket', 'durable', '--key', 'kept');
  assert.equal(kept.ContentLength, ENV_TEXT.length);
  assert.equal((await awsFails(cli, berth.endpoint, ['s3api', 'head-object', '--bucket', 'durable', '--key', 'partial'])).code, '404');
  const listed = await s3api<{ Contents: { Key: string }[] }>(cli, 'list-objects-v2', '--bucket', 'durable');
  assert.deepEqual(listed.Contents.map((c) => c.Key), ['kept']);
});

test('berth reset wipes S3: buckets gone, object files removed from disk', async () => {
  const cli = AWS_CLIS[0];
  await s3api(cli, 'create-bucket', '--bucket', 'wiped');
  await s3api(cli, 'put-object', '--bucket', 'wiped', '--key', 'k', '--body', join(dir, 'app.env'));
  const res = await fetch(new URL('/_berth/reset', berth.endpoint), { method: 'POST' });
  const body = await res.json() as { reset: boolean; s3ObjectsRemoved: number };
  assert.equal(body.reset, true);
  assert.ok(body.s3ObjectsRemoved >= 1, `removed ${body.s3ObjectsRemoved}`);
  const buckets = await s3api<{ Buckets: unknown[] }>(cli, 'list-buckets');
  assert.deepEqual(buckets.Buckets, []);
  const files = readdirSync(join(berth.dataDir, 's3', 'blobs'), { recursive: true }).filter((f) => !String(f).startsWith('.'));
  assert.deepEqual(files.filter((f) => statSync(join(berth.dataDir, 's3', 'blobs', String(f))).isFile()), []);
});
