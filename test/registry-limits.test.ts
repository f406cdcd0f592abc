/**
 * Bodies too big to hold, against `berth up` as its own process: a blob far larger than
 * the server's memory budget streams through without its memory following, and a
 * manifest over the limit is refused with the spec's error, which the client gets to read.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { startBerth } from './support/berth.ts';

/** The process's peak resident memory so far, in MiB. */
function peakRssMiB(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

test('a 512 MiB blob streams through berth up with its peak memory growing by less than a quarter of that', async (t) => {
  const berth = await startBerth(['--no-registry-auth']);
  t.after(() => berth.stop());
  const block = randomBytes(1024 * 1024);
  const blocks = 512;
  const hash = createHash('sha256');
  for (let i = 0; i < blocks; i++) hash.update(block);
  const digest = `sha256:${hash.digest('hex')}`;
  const before = peakRssMiB(berth.pid());
  const body = Readable.from((function* () {
    for (let i = 0; i < blocks; i++) yield block;
  })());
  const res = await fetch(`${berth.endpoint}/v2/big/blob/blobs/uploads/?digest=${digest}`, {
    method: 'POST', body: Readable.toWeb(body) as ReadableStream, duplex: 'half',
    headers: { 'Content-Length': String(blocks * block.length) },
  } as RequestInit);
  assert.equal(res.status, 201, await res.text());
  const growth = peakRssMiB(berth.pid()) - before;
  assert.ok(growth < blocks / 4, `peak RSS grew by ${growth.toFixed(0)} MiB for a ${blocks} MiB blob`);
  const head = await fetch(`${berth.endpoint}/v2/big/blob/blobs/${digest}`, { method: 'HEAD' });
  assert.equal(head.headers.get('content-length'), String(blocks * block.length));

});

test('an oversized manifest gets its 413 while the client is still sending it (declared or chunked); one past what the registry reads to answer is cut off after it', async (t) => {
  const berth = await startBerth(['--no-registry-auth']);
  t.after(() => berth.stop());
  const url = `${berth.endpoint}/v2/big/blob/manifests/huge`;
  const headers = { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' };
  // Answered before the body is read, the client used to get a broken pipe about half the time.
  for (let i = 0; i < 10; i++) {
    const body = Buffer.alloc((i % 2 ? 5 : 12) * 1024 * 1024, 32);
    const chunked = i % 3 === 0;
    const res = await fetch(url, { method: 'PUT', headers, body: chunked ? Readable.toWeb(Readable.from([body])) as ReadableStream : body, duplex: 'half' } as RequestInit);
    assert.equal(res.status, 413, `${body.length} bytes${chunked ? ', chunked' : ''}`);
    assert.equal(((await res.json()) as { errors: { code: string }[] }).errors[0]!.code, 'SIZE_INVALID');
  }
  assert.equal((await fetch(url, { method: 'HEAD' })).status, 404);
  // 64 MiB is more than the registry reads to answer: the connection may close under the client.
  await fetch(url, { method: 'PUT', headers, body: Buffer.alloc(64 * 1024 * 1024, 32) })
    .then((res) => assert.equal(res.status, 413), (err: Error) => assert.match(String((err.cause as Error | undefined)?.message), /EPIPE|ECONNRESET|other side closed/));
  assert.equal((await fetch(`${berth.endpoint}/v2/`)).status, 200, 'the registry goes on');
});
