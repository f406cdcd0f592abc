import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestingStream, digestOf, digestStream, isDigest, parseDigest, toDigest, verifyDigest } from './digest.ts';
import { DigestMismatchError, InvalidDigestError } from './errors.ts';

const EMPTY_SHA256 = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

test('digests bytes with sha256 by default and sha512 on request', () => {
  assert.equal(digestOf(new Uint8Array()), EMPTY_SHA256);
  assert.match(digestOf('abc', 'sha512'), /^sha512:ddaf35a193617aba[0-9a-f]{112}$/);
});

test('parses a canonical sha256 and sha512 digest', () => {
  assert.deepEqual(parseDigest(EMPTY_SHA256), { algorithm: 'sha256', hex: EMPTY_SHA256.slice(7) });
  const d512 = digestOf('x', 'sha512');
  assert.equal(parseDigest(d512).algorithm, 'sha512');
  assert.equal(toDigest(d512), d512);
});

for (const [name, value] of [
  ['uppercase hex', EMPTY_SHA256.toUpperCase().replace('SHA256', 'sha256')],
  ['an uppercase algorithm', EMPTY_SHA256.replace('sha256', 'SHA256')],
  ['a short hex', EMPTY_SHA256.slice(0, -1)],
  ['a long hex', EMPTY_SHA256 + '0'],
  ['a sha512 of sha256 length', EMPTY_SHA256.replace('sha256', 'sha512')],
  ['an unknown algorithm', EMPTY_SHA256.replace('sha256', 'md5')],
  ['path characters', 'sha256:../../etc/passwd'],
  ['a slash inside', EMPTY_SHA256.slice(0, 20) + '/' + EMPTY_SHA256.slice(21)],
  ['a trailing newline', EMPTY_SHA256 + '\n'],
  ['no algorithm', EMPTY_SHA256.slice(7)],
  ['an empty string', ''],
] as const) {
  test(`rejects a digest with ${name}`, () => {
    assert.throws(() => parseDigest(value), InvalidDigestError);
    assert.equal(isDigest(value), false);
  });
}

test('isDigest is false for non-strings', () => {
  assert.equal(isDigest(42), false);
  assert.equal(isDigest(undefined), false);
});

test('digests a stream and counts its bytes', async () => {
  const result = await digestStream(Readable.from([Buffer.from('ab'), Buffer.from('c')]));
  assert.deepEqual(result, { digest: digestOf('abc'), size: 3 });
});

test('a digesting stream passes content through and reports its digest', async () => {
  const d = new DigestingStream();
  const out: Buffer[] = [];
  await pipeline(Readable.from([Buffer.from('hello')]), d, async (source: AsyncIterable<Buffer>) => {
    for await (const c of source) out.push(c);
  });
  assert.equal(Buffer.concat(out).toString(), 'hello');
  assert.equal(d.digest, digestOf('hello'));
  assert.equal(d.size, 5);
});

test('a digesting stream with an expected digest fails on different content', async () => {
  const d = new DigestingStream({ expected: digestOf('hello') });
  await assert.rejects(pipeline(Readable.from([Buffer.from('hellO')]), d, async (s: AsyncIterable<Buffer>) => {
    for await (const _ of s);
  }), DigestMismatchError);
});

test('a digesting stream with an expected size fails as soon as content runs over', async () => {
  const d = new DigestingStream({ expected: digestOf('hello'), expectedSize: 5 });
  await assert.rejects(pipeline(Readable.from([Buffer.from('hello'), Buffer.from('!')]), d, async (s: AsyncIterable<Buffer>) => {
    for await (const _ of s);
  }), DigestMismatchError);
});

test('verifyDigest accepts matching bytes and rejects others', () => {
  verifyDigest(Buffer.from('abc'), digestOf('abc'));
  assert.throws(() => verifyDigest(Buffer.from('abd'), digestOf('abc')), DigestMismatchError);
});
