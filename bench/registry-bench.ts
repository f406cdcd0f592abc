/**
 * Registry throughput, Berth against the reference registry (Debian's docker-registry,
 * distribution 2.8) on the same disk, in one run:
 *
 *   node bench/registry-bench.ts [TOTAL_MB=200] [LAYERS=4]
 *
 * - push and pull of a multi-layer image with skopeo (MB/s, and Berth ÷ reference);
 * - manifest GETs per second with concurrent keep-alive clients.
 * Targets (issue 3): ≥ 1.0× the reference both ways, ≥ 1,000 manifest GETs/s.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startHarness, tinyImage } from '../test/registry-harness.ts';
import { ok, writeLayout } from '../test/registry-tools.ts';

/** Concurrent clients for the manifest GET measurement: about what a busy node pulls with. */
const GET_CONCURRENCY = 32;
/** How long manifest GETs are measured. */
const GET_SECONDS = 3;
/** How long the reference registry gets to start listening. */
const START_TIMEOUT_MS = 10_000;

const totalMb = Number(process.argv[2] ?? 200);
const layerCount = Number(process.argv[3] ?? 4);

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'berth-registry-bench-'));
  const berth = await startHarness();
  let reference: ChildProcess | undefined;
  try {
    const image = tinyImage(Array(layerCount).fill(Math.floor((totalMb * 1024 * 1024) / layerCount)));
    await writeLayout(join(work, 'src'), image);
    const refPort = await freePort();
    reference = await startReference(work, refPort);
    const targets = { berth: berth.host, reference: `127.0.0.1:${refPort}` };
    const results: Record<string, { push: number; pull: number; gets: number }> = {};
    for (const [name, host] of Object.entries(targets)) {
      const push = await timed(() => ok('skopeo', ['copy', '--dest-tls-verify=false', `oci:${join(work, 'src')}:latest`, `docker://${host}/bench/app:v1`]));
      const pull = await timed(() => ok('skopeo', ['copy', '--src-tls-verify=false', `docker://${host}/bench/app:v1`, `oci:${join(work, `pull-${name}`)}:latest`]));
      const gets = await manifestGets(`http://${host}/v2/bench/app/manifests/v1`, image.mediaType);
      results[name] = { push: totalMb / push, pull: totalMb / pull, gets };
      console.log(`${name.padEnd(9)} push ${results[name].push.toFixed(1)} MB/s   pull ${results[name].pull.toFixed(1)} MB/s   manifest GETs ${gets.toFixed(0)}/s`);
    }
    const b = results.berth!;
    const r = results.reference!;
    console.log(`ratio     push ${(b.push / r.push).toFixed(2)}x   pull ${(b.pull / r.pull).toFixed(2)}x   manifest GETs ${(b.gets / r.gets).toFixed(2)}x  (targets: ≥1.0x, ≥1.0x, ≥1000/s)`);
  } finally {
    reference?.kill();
    await berth.close();
    await rm(work, { recursive: true, force: true });
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

async function manifestGets(url: string, accept: string): Promise<number> {
  let count = 0;
  const deadline = performance.now() + GET_SECONDS * 1000;
  await Promise.all(Array.from({ length: GET_CONCURRENCY }, async () => {
    while (performance.now() < deadline) {
      const r = await fetch(url, { headers: { Accept: accept } });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`manifest GET answered ${r.status}`);
      count++;
    }
  }));
  return count / GET_SECONDS;
}

async function startReference(work: string, port: number): Promise<ChildProcess> {
  const config = join(work, 'reference.yml');
  await writeFile(config, [
    'version: 0.1',
    'log: {level: error}',
    'storage:',
    `  filesystem: {rootdirectory: ${join(work, 'reference-data')}}`,
    '  delete: {enabled: true}',
    `http: {addr: "127.0.0.1:${port}"}`,
  ].join('\n'));
  const child = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/v2/`)).ok) return child;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error('docker-registry did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

await main();
