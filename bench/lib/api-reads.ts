/**
 * One read operation of the ECS API under wrk, Berth beside the bare server answering the
 * exact bytes Berth answered to the first request (the ecs-api benchmark's method, for
 * the scheduler benchmark's reads: ListTasks and DescribeServices with 100,000 tasks stored).
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ECS_TARGET_PREFIX, ecsClient, ecsHeaders } from './aws-json.ts';
import { ownCpuMs } from './cpu-usage.ts';
import { freePort, killHard, pinned, spawnTracked, waitReady } from './processes.ts';
import type { Check, Row } from './report.ts';
import { runWrk, type WrkResult } from './wrk.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The target for reads with 100,000 tasks stored. */
export const READ_P99_TARGET_MS = 5;
/** What an operation this build does not have answers (JSON protocols; Query's InvalidAction). */
const MISSING = new Set(['UnknownOperationException', 'InvalidAction']);

export interface ReadCase {
  readonly label: string;
  readonly operation: string;
  /** Inputs wrk cycles through (the first one's answer is what the bare server sends). */
  readonly inputs: readonly unknown[];
}

export interface ReadRun {
  readonly berthUrl: string;
  readonly berthPid: number;
  readonly workDir: string;
  readonly connections: number;
  readonly threads: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly serverCpus: string | undefined;
  readonly wrkCpus: string | undefined;
}

/** The row of one case, or the line saying this build does not have the operation. */
export async function measureRead(run: ReadRun, c: ReadCase): Promise<{ row: Row } | { unavailable: string }> {
  const client = ecsClient(run.berthUrl);
  const first = await client.call<{ __type?: string; message?: string }>(c.operation, c.inputs[0]);
  client.close();
  if (first.status !== 200) {
    const type = first.body.__type?.split('#').pop() ?? '';
    if (MISSING.has(type)) return { unavailable: `${c.label}: not available in this build (${c.operation} answered ${type})` };
    throw new Error(`${c.label}: ${c.operation} answered ${first.status} ${type}: ${first.body.message ?? first.raw.toString('utf8')}`);
  }
  const responses = join(run.workDir, `bare-${c.operation}.json`);
  await writeFile(responses, JSON.stringify({ [`${ECS_TARGET_PREFIX}.${c.operation}`]: first.raw.toString('base64') }));
  const barePort = await freePort();
  const cmd = [...pinned(run.serverCpus), process.execPath, '--disable-warning=ExperimentalWarning', join(ROOT, 'bench/lib/bare-server.ts'), '--port', String(barePort), '--responses', responses];
  const bare = spawnTracked(cmd[0]!, cmd.slice(1));
  const bareUrl = `http://127.0.0.1:${barePort}`;
  try {
    await waitReady(bare, bareUrl, 'bare server');
    const host = new URL(run.berthUrl).host;
    const requests = c.inputs.map((input) => {
      const body = JSON.stringify(input);
      return { headers: ecsHeaders(host, c.operation, body), body };
    });
    const base = { requests, connections: run.connections, threads: run.threads, cpus: run.wrkCpus, workDir: run.workDir };
    const tag = c.label.replace(/[^A-Za-z0-9]+/g, '-');
    await runWrk({ ...base, url: run.berthUrl, seconds: run.warmupSeconds, name: `${tag}-berth-warmup` });
    await runWrk({ ...base, url: bareUrl, seconds: run.warmupSeconds, name: `${tag}-bare-warmup` });
    const cpuBefore = ownCpuMs(run.berthPid);
    const berth = await runWrk({ ...base, url: run.berthUrl, seconds: run.seconds, name: `${tag}-berth` });
    const cpuMs = ownCpuMs(run.berthPid) - cpuBefore;
    const baseline = await runWrk({ ...base, url: bareUrl, seconds: run.seconds, name: `${tag}-bare` });
    return {
      row: {
        operation: c.label, berth, baseline, target: `p99 < ${READ_P99_TARGET_MS} ms`, ...(berth.requests > 0 && { cpuUsPerRequest: (cpuMs * 1000) / berth.requests }),
        checks: [
          // wrk reports no latency at all when nothing was answered (every request slower than its timeout): that is no pass.
          berth.requests === 0
            ? { name: 'p99', pass: false, detail: `no answer within the ${run.seconds} s run (wrk gives up on a request after 5 s)` }
            : { name: 'p99', pass: berth.latencyMs.p99 < READ_P99_TARGET_MS, detail: `${berth.latencyMs.p99.toFixed(2)} ms (target < ${READ_P99_TARGET_MS} ms)` },
          errors(berth),
        ],
      },
    };
  } finally {
    await killHard(bare.child);
  }
}

function errors(r: WrkResult): Check {
  const s = r.socketErrors;
  const bad = r.errorStatus + s.connect + s.read + s.write + s.timeout;
  return { name: 'errors', pass: bad === 0, detail: `${r.errorStatus} non-2xx, socket errors connect ${s.connect} read ${s.read} write ${s.write} timeout ${s.timeout}` };
}
