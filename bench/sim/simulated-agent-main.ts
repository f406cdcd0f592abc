/**
 * The simulated agent as a process of its own (for benchmarks only), so that a benchmark
 * can run it beside Berth, or split many instances over several processes:
 *
 *   node bench/sim/simulated-agent-main.ts --endpoint URL --token JOIN_TOKEN --cluster NAME
 *     [--instances N] [--cpu UNITS] [--memory MIB] [--zones a,b,c] [--report-latency-ms MS]
 *     [--first-index I] [--identities FILE]
 *
 * It prints JSON lines on stdout: `{"event":"ready", joinMs, sessionsMs, rssMiB, ...}` once
 * every instance has joined and its session has had its snapshot (after writing the
 * instances' ARNs and zones to --identities FILE, when given), then
 * `{"event":"stats", ...}` every second (SimulatedStats, rssMiB, cpuMs of this process).
 * SIGTERM or SIGINT closes every session and exits 0.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SimulatedAgent } from './simulated-agent.ts';

/** How often the process prints its stats line. */
const STATS_INTERVAL_MS = 1_000;

function emit(event: string, fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
}

function usage(): { rssMiB: number; cpuMs: number } {
  const u = process.cpuUsage();
  return { rssMiB: Math.round(process.memoryUsage.rss() / 1024 / 1024), cpuMs: Math.round((u.user + u.system) / 1000) };
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      endpoint: { type: 'string' }, token: { type: 'string' }, cluster: { type: 'string', default: 'default' },
      instances: { type: 'string', default: '100' }, cpu: { type: 'string', default: '4096' }, memory: { type: 'string', default: '16384' },
      zones: { type: 'string' }, 'report-latency-ms': { type: 'string', default: '0' }, 'first-index': { type: 'string', default: '0' },
      identities: { type: 'string' },
    },
  });
  if (!v.endpoint || !v.token) throw new Error('--endpoint and --token are required');
  const { agent, timings } = await SimulatedAgent.start({
    endpoint: v.endpoint, joinToken: v.token, cluster: v.cluster!, instances: Number(v.instances), cpu: Number(v.cpu), memory: Number(v.memory),
    ...(v.zones && { zones: v.zones.split(',') }), reportLatencyMs: Number(v['report-latency-ms']), firstIndex: Number(v['first-index']),
    log: (line) => process.stderr.write(`simulated agent: ${line}\n`),
  });
  if (v.identities) {
    writeFileSync(v.identities, JSON.stringify(agent.instances.map(({ index, containerInstanceArn, zone }) => ({ index, containerInstanceArn, zone }))));
  }
  emit('ready', { ...timings, ...agent.stats(), ...usage() });
  const timer = setInterval(() => emit('stats', { ...agent.stats(), ...usage() }), STATS_INTERVAL_MS);
  const stop = () => {
    clearInterval(timer);
    agent.close();
    // Sessions close asynchronously; nothing is left to flush.
    setTimeout(() => process.exit(0), 100);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`simulated agent: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
