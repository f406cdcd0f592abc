/**
 * Bodies too big to hold: a blob far larger than the server's memory budget streams
 * through `berth up` without its memory following, and a manifest over the limit is
 * refused with the spec's error.
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

test('a 512 MiB blob streams through berth up with its peak memory growing by less than a quarter of that; a 5 MiB manifest is SIZE_INVALID (413)', async (t) => {
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

  const manifest = await fetch(`${berth.endpoint}/v2/big/blob/manifests/huge`, {
    method: 'PUT', body: Buffer.alloc(5 * 1024 * 1024, 32), headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
  });
  assert.equal(manifest.status, 413);
  assert.equal(((await manifest.json()) as { errors: { code: string }[] }).errors[0]!.code, 'SIZE_INVALID');
  assert.equal((await fetch(`${berth.endpoint}/v2/big/blob/manifests/huge`, { method: 'HEAD' })).status, 404);
});
