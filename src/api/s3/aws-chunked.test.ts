import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { AwsChunkedDecoder } from './aws-chunked.ts';
import { S3Error } from './errors.ts';

/** Feeds `encoded` to a decoder in pieces of `step` bytes; the payload and the trailers. */
async function decode(encoded: Buffer, signed: boolean, step = encoded.length): Promise<{ payload: Buffer; trailers: Map<string, string> }> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < encoded.length; i += step) pieces.push(encoded.subarray(i, i + step));
  const d = new AwsChunkedDecoder(signed);
  const out: Buffer[] = [];
  for await (const chunk of Readable.from(pieces).pipe(d) as AsyncIterable<Buffer>) out.push(chunk);
  return { payload: Buffer.concat(out), trailers: d.trailers };
}

test("decodes botocore's own aws-chunked encoder (unsigned, CRC32 trailer), however the bytes arrive", async () => {
  // botocore's AwsChunkedWrapper is what boto3 and the aws CLI send as STREAMING-UNSIGNED-PAYLOAD-TRAILER.
  const script = `
import io, sys
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum
w = AwsChunkedWrapper(io.BytesIO(b'hello aws-chunked world, in small chunks'), checksum_cls=Crc32Checksum, checksum_name='x-amz-checksum-crc32', chunk_size=7)
sys.stdout.buffer.write(w.read())
`;
  const encoded = execFileSync('python3', ['-c', script]);
  assert.match(encoded.toString('latin1'), /^7\r\nhello a/);
  for (const step of [encoded.length, 1, 3, 8]) {
    const { payload, trailers } = await decode(encoded, false, step);
    assert.equal(payload.toString(), 'hello aws-chunked world, in small chunks', `step ${step}`);
    assert.deepEqual([...trailers], [['x-amz-checksum-crc32', 'HXtfOA==']]);
  }
});

test('decodes signed chunks (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), with and without trailers', async () => {
  const sig = (c: string) => c.repeat(64);
  const signed = Buffer.from(`5;chunk-signature=${sig('a')}\r\nhello\r\n6;chunk-signature=${sig('b')}\r\n world\r\n0;chunk-signature=${sig('c')}\r\n\r\n`);
  assert.equal((await decode(signed, true, 5)).payload.toString(), 'hello world');
  const withTrailer = Buffer.from(`3;chunk-signature=${sig('a')}\r\nabc\r\n0;chunk-signature=${sig('b')}\r\nx-amz-checksum-crc32:NSRBwg==\r\nx-amz-trailer-signature:${sig('d')}\r\n\r\n`);
  const { payload, trailers } = await decode(withTrailer, true, 2);
  assert.equal(payload.toString(), 'abc');
  assert.equal(trailers.get('x-amz-checksum-crc32'), 'NSRBwg==');
});

test('an empty payload is one zero-size chunk', async () => {
  assert.equal((await decode(Buffer.from('0\r\n\r\n'), false)).payload.length, 0);
});

for (const [what, body, signed] of [
  ['a body cut off in a chunk', '5\r\nhel', false],
  ['a body without its final chunk', '5\r\nhello\r\n', false],
  ['a chunk longer than its size', '3\r\nhello\r\n0\r\n\r\n', false],
  ['a size that is not hex', 'zz\r\nhello\r\n0\r\n\r\n', false],
  ['a line ending in LF alone', '5\nhello\r\n0\r\n\r\n', false],
  ['a signed chunk without its signature', '5\r\nhello\r\n0\r\n\r\n', true],
  ['an unsigned chunk with an extension', '5;chunk-signature=ab\r\nhello\r\n0\r\n\r\n', false],
  ['a trailer that is not name:value', '0\r\nnot a trailer\r\n\r\n', false],
  ['bytes after the end', '0\r\n\r\nextra', false],
  ['an endless header line', 'f'.repeat(5000), false],
] as const) {
  test(`refuses ${what} as IncompleteBody`, async () => {
    await assert.rejects(decode(Buffer.from(body), signed), (e: unknown) => e instanceof S3Error && e.code === 'IncompleteBody' && e.status === 400);
  });
}
