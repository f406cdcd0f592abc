/**
 * Registry throughput, Berth against the reference registry (Debian's docker-registry,
 * distribution 2.8) on the same machine and disk, in one run (issue 3):
 *
 *   bin/bench registry-bench [TOTAL_MB=200] [LAYERS=4] [--rounds 7]
 *
 * - Both registries run as their own processes (bench/lib/registry-servers.ts): Berth as
 *   users run it, `bin/berth up`.
 * - Each round builds a fresh image (random layers, so every push uploads every byte:
 *   nothing to skip or mount), pushes it to both registries with skopeo and pulls it
 *   back; Berth goes first in odd rounds, the reference in even ones. A round's ratio
 *   compares two measurements taken seconds apart, so it survives a machine whose load
 *   changes between rounds; the summary is the median round.
 * - Beside the MB/s, each server's own CPU time per push and pull (/proc), which noise
 *   from other processes hardly moves.
 * - Then manifest GETs per second with concurrent keep-alive clients.
 * Targets: ≥ 1.0× the reference both ways, ≥ 1,000 manifest GETs/s. Exit code 0 when all
 * are met, 1 when one is not, 2 when the benchmark itself failed.
 */

import { open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { tinyImage } from '../test/registry-harness.ts';
import { ok, writeLayout } from '../test/registry-tools.ts';
import { backgroundCores } from './lib/machine.ts';
import { cleanupNow, tempDir } from './lib/processes.ts';
import { startBerth, startReference, type RegistryServer } from './lib/registry-servers.ts';

/** Concurrent clients for the manifest GET measurement: about what a busy node pulls with. */
const GET_CONCURRENCY = 32;
/** How long manifest GETs are measured. */
const GET_SECONDS = 3;
/**
 * Rounds per run. Single rounds swing by ±15–25% on this VM (the kernel's memory reclaim,
 * DAMON, makes page-cache writes dearer for a while after a gigabyte or so has been
 * written, and the reference's pulls run at ~250 or ~390 MB/s by round): 7 rounds give a
 * steadier median.
 */
const DEFAULT_ROUNDS = 7;
/** Background CPU (cores) before a round above which the round is marked as disturbed. */
const BUSY_CORES = 0.2;
/** Issue 3's targets. */
const RATIO_TARGET = 1.0;
const MANIFEST_GETS_TARGET = 1_000;

const HELP = `Usage: bin/bench registry-bench [TOTAL_MB=200] [LAYERS=4] [--rounds N]

Push and pull of a TOTAL_MB image of LAYERS layers with skopeo, Berth (bin/berth up)
against Debian's docker-registry, N rounds (default ${DEFAULT_ROUNDS}), then manifest GETs/s.
Needs skopeo and docker-registry (apt-get install skopeo docker-registry).`;

interface Measured {
  readonly push: number;
  readonly pull: number;
  readonly pushCpuMs: number;
  readonly pullCpuMs: number;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const totalMb = Number(positionals[0] ?? 200);
  const layerCount = Number(positionals[1] ?? 4);
  const rounds = Number(values.rounds ?? DEFAULT_ROUNDS);
  if (!(totalMb > 0) || !Number.isInteger(layerCount) || layerCount < 1 || !Number.isInteger(rounds) || rounds < 1) {
    console.error(HELP);
    return 2;
  }
  // On disk, as the comparison asks (/var/tmp: /tmp is a tmpfs on Debian 13).
  const work = tempDir('berth-registry-bench-', '/var/tmp');
  const servers = [await startBerth(join(work, 'berth-data')), await startReference(work)];
  const results = new Map<string, Measured[]>(servers.map((s) => [s.name, []]));
  console.log(`${rounds} rounds of push + pull, ${totalMb} MB in ${layerCount} layers, with skopeo (MB/s; server CPU per operation in parentheses)`);
  for (let round = 1; round <= rounds; round++) {
    const background = await backgroundCores();
    const image = tinyImage(Array(layerCount).fill(Math.floor((totalMb * 1024 * 1024) / layerCount)));
    const source = join(work, `image-${round}`);
    await writeLayout(source, image);
    await fsyncTree(source);
    const order = round % 2 === 1 ? servers : [...servers].reverse();
    const parts: string[] = [];
    for (const server of order) {
      const m = await pushAndPull(server, source, join(work, `pulled-${round}`), `bench/app${round}:v1`, totalMb);
      results.get(server.name)!.push(m);
      parts.push(`${server.name} push ${m.push.toFixed(1)} (${m.pushCpuMs.toFixed(0)} ms) pull ${m.pull.toFixed(1)} (${m.pullCpuMs.toFixed(0)} ms)`);
    }
    await rm(source, { recursive: true, force: true });
    const b = results.get('berth')!.at(-1)!;
    const r = results.get('reference')!.at(-1)!;
    const busy = background > BUSY_CORES ? `  [disturbed: ${background.toFixed(2)} cores busy before the round]` : '';
    console.log(`round ${round} (${order[0]!.name} first): ${parts.join(' | ')} | ratio push ${(b.push / r.push).toFixed(2)}x pull ${(b.pull / r.pull).toFixed(2)}x${busy}`);
  }
  const gets = new Map<string, number>();
  for (const server of servers) gets.set(server.name, await manifestGets(`http://${server.host}/v2/bench/app1/manifests/v1`));
  for (const server of servers) await server.stop();

  const berth = results.get('berth')!;
  const reference = results.get('reference')!;
  const pushRatios = berth.map((b, i) => b.push / reference[i]!.push);
  const pullRatios = berth.map((b, i) => b.pull / reference[i]!.pull);
  console.log(`\nmedian of ${rounds} rounds:`);
  for (const [name, m] of results) {
    console.log(`${name.padEnd(9)} push ${median(m.map((x) => x.push)).toFixed(1)} MB/s (server CPU ${median(m.map((x) => x.pushCpuMs)).toFixed(0)} ms)   pull ${median(m.map((x) => x.pull)).toFixed(1)} MB/s (server CPU ${median(m.map((x) => x.pullCpuMs)).toFixed(0)} ms)   manifest GETs ${gets.get(name)!.toFixed(0)}/s`);
  }
  const push = median(pushRatios);
  const pull = median(pullRatios);
  const berthGets = gets.get('berth')!;
  console.log(`ratio     push ${push.toFixed(2)}x (rounds ${list(pushRatios)})   pull ${pull.toFixed(2)}x (rounds ${list(pullRatios)})   manifest GETs ${(berthGets / gets.get('reference')!).toFixed(2)}x`);
  const pass = push >= RATIO_TARGET && pull >= RATIO_TARGET && berthGets >= MANIFEST_GETS_TARGET;
  console.log(`targets   push ≥ ${RATIO_TARGET.toFixed(1)}x, pull ≥ ${RATIO_TARGET.toFixed(1)}x, ≥ ${MANIFEST_GETS_TARGET} manifest GETs/s: ${pass ? 'PASS' : 'FAIL'}`);
  return pass ? 0 : 1;
}

/** One push of the layout at `source` and one pull of it back into `pulled` (removed after). */
async function pushAndPull(server: RegistryServer, source: string, pulled: string, ref: string, totalMb: number): Promise<Measured> {
  const push = await measured(server, () => ok('skopeo', ['copy', '--dest-tls-verify=false', `oci:${source}:latest`, `docker://${server.host}/${ref}`]));
  const pull = await measured(server, () => ok('skopeo', ['copy', '--src-tls-verify=false', `docker://${server.host}/${ref}`, `oci:${pulled}:latest`]));
  await rm(pulled, { recursive: true, force: true });
  return { push: totalMb / push.seconds, pull: totalMb / pull.seconds, pushCpuMs: push.cpuMs, pullCpuMs: pull.cpuMs };
}

async function measured(server: RegistryServer, fn: () => Promise<unknown>): Promise<{ seconds: number; cpuMs: number }> {
  const cpu = server.cpuMs();
  const start = performance.now();
  await fn();
  const seconds = (performance.now() - start) / 1000;
  return { seconds, cpuMs: server.cpuMs() - cpu };
}

async function manifestGets(url: string): Promise<number> {
  let count = 0;
  const deadline = performance.now() + GET_SECONDS * 1000;
  await Promise.all(Array.from({ length: GET_CONCURRENCY }, async () => {
    while (performance.now() < deadline) {
      const r = await fetch(url, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`manifest GET answered ${r.status}`);
      count++;
    }
  }));
  return count / GET_SECONDS;
}

/**
 * Writes the source image to disk before it is pushed: left dirty, its 200 MB would be
 * written back by the kernel ~30 s later, in the middle of a later round's measurement.
 */
async function fsyncTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const handle = await open(join(entry.parentPath, entry.name), 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function list(values: readonly number[]): string {
  return values.map((v) => v.toFixed(2)).join(' ');
}

let code = 2;
try {
  code = await main();
} catch (err) {
  console.error(`registry-bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
} finally {
  cleanupNow();
}
process.exit(code);
