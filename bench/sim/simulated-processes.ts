/**
 * The simulated agent run by a benchmark as one or more processes of its own
 * (bench/sim/simulated-agent-main.ts), instances split evenly between them, so that one
 * event loop's limit can be measured and, past it, the load shared honestly.
 *
 *   benchmark ──spawn──▶ simulated-agent-main (instances 0..k-1)   ──▶ Berth
 *             ──spawn──▶ simulated-agent-main (instances k..2k-1) ──▶ Berth
 *             ◀── JSON lines: ready {timings}, stats {every second}
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { pinned, spawnTracked, stopGracefully, type Service } from '../lib/processes.ts';
import type { SimulatedStats } from './simulated-agent.ts';

const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), 'simulated-agent-main.ts');

export interface Identity {
  readonly index: number;
  readonly containerInstanceArn: string;
  readonly zone: string;
}

export interface ProcessReady extends ProcessStats {
  readonly joinMs: number;
  readonly sessionsMs: number;
}

export interface ProcessStats extends SimulatedStats {
  readonly rssMiB: number;
  readonly cpuMs: number;
}

export interface SimulatedProcessesOptions {
  readonly endpoint: string;
  readonly joinToken: string;
  readonly cluster: string;
  readonly instances: number;
  readonly processes: number;
  readonly cpu: number;
  readonly memory: number;
  readonly reportLatencyMs: number;
  readonly workDir: string;
  /** CPUs the processes are pinned to (taskset list), or undefined. */
  readonly cpus: string | undefined;
  /** How long joining and connecting every instance may take. */
  readonly timeoutMs: number;
}

export interface SimulatedProcesses {
  readonly ready: readonly ProcessReady[];
  /** Every instance, in index order (zones a, b, c in turn). */
  readonly identities: readonly Identity[];
  /** The sum of every process's latest stats line. */
  stats(): ProcessStats;
  /** Polls stats() until `done` holds; fails with `what` after `timeoutMs`. */
  waitFor(what: string, done: (s: ProcessStats) => boolean, timeoutMs: number): Promise<number>;
  stop(): Promise<void>;
}

/** File descriptors a process needs besides its sockets (node, SQLite, pipes, inotify). */
const SPARE_FDS = 512;

/**
 * Every session is a socket in the simulated agent's process and another in Berth's (which
 * inherits this process's limit): past the soft limit on open files, connects fail with
 * EMFILE. Said up front, with what to do.
 */
function checkOpenFiles(perProcess: number, total: number): void {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  const soft = m?.[1] === 'unlimited' ? Infinity : Number(m?.[1] ?? Infinity);
  const need = Math.max(perProcess, total) + SPARE_FDS;
  if (soft < need) throw new Error(`${total} simulated sessions need about ${need} open files per process, and the soft limit here is ${soft}: raise it (ulimit -n ${need}) and run again`);
}

export async function startSimulatedProcesses(o: SimulatedProcessesOptions): Promise<SimulatedProcesses> {
  const per = Math.ceil(o.instances / o.processes);
  checkOpenFiles(per, o.instances);
  const children: { service: Service; ready?: ProcessReady; stats?: ProcessStats; identities: string }[] = [];
  for (let p = 0, first = 0; first < o.instances; p++, first += per) {
    const identities = join(o.workDir, `simulated-${p}.json`);
    const cmd = [...pinned(o.cpus), process.execPath, '--disable-warning=ExperimentalWarning', MAIN,
      '--endpoint', o.endpoint, '--token', o.joinToken, '--cluster', o.cluster, '--instances', String(Math.min(per, o.instances - first)),
      '--cpu', String(o.cpu), '--memory', String(o.memory), '--report-latency-ms', String(o.reportLatencyMs), '--first-index', String(first), '--identities', identities];
    const service = spawnTracked(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    const child: (typeof children)[number] = { service, identities };
    let buffered = '';
    service.child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      buffered += s;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = JSON.parse(buffered.slice(0, nl)) as { event: string } & ProcessReady & ProcessStats;
        buffered = buffered.slice(nl + 1);
        // The ready line carries the stats of that moment too: no stale zero before the first stats line.
        if (line.event === 'ready') child.ready = child.stats = line;
        else if (line.event === 'stats') child.stats = line;
      }
    });
    children.push(child);
  }
  const deadline = Date.now() + o.timeoutMs;
  while (children.some((c) => !c.ready)) {
    const dead = children.find((c) => c.service.child.exitCode !== null || c.service.child.signalCode !== null);
    if (dead) throw new Error(`a simulated agent process exited before its instances were connected:\n${dead.service.stderrTail()}`);
    if (Date.now() > deadline) throw new Error(`the simulated agent did not join and connect ${o.instances} instances within ${o.timeoutMs / 1000} s`);
    await sleep(100);
  }
  const identities = children.flatMap((c) => JSON.parse(readFileSync(c.identities, 'utf8')) as Identity[]);
  const stats = (): ProcessStats => {
    const sum = { instances: 0, connected: 0, runningReports: 0, stoppedReports: 0, unacknowledged: 0, running: 0, snapshots: 0, rssMiB: 0, cpuMs: 0 };
    for (const c of children) for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += c.stats?.[k] ?? 0;
    return sum;
  };
  return {
    ready: children.map((c) => c.ready!),
    identities,
    stats,
    async waitFor(what, done, timeoutMs) {
      const start = performance.now();
      for (;;) {
        if (done(stats())) return performance.now() - start;
        const dead = children.find((c) => c.service.child.exitCode !== null || c.service.child.signalCode !== null);
        if (dead) throw new Error(`a simulated agent process exited while waiting for ${what}:\n${dead.service.stderrTail()}`);
        if (performance.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what} (simulated agent: ${JSON.stringify(stats())})`);
        await sleep(50);
      }
    },
    async stop() {
      await Promise.all(children.map((c) => stopGracefully(c.service.child)));
    },
  };
}
