/**
 * Runs the agents of the simulated hosts 2..N as child processes of `berth up`, each in its
 * host's network namespace (`nsenter --net`, which keeps the machine's mount namespace, so
 * its mounts and task namespaces are the machine's, as `ip netns exec`'s private mount
 * namespace would not leave them). Their log lines go to `berth up`'s log. A host that is
 * killed or whose agent exits stays down until `start` (berth host start).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { findExecutable } from '../lib/executables.ts';
import { ensureHostNamespace, isZombie, powerOff, processesIn } from './machine.ts';
import { parseHostName, type HostLayout } from './layout.ts';

/** How long an agent may take from spawn to registered (image store open, runtime found, joined). */
const AGENT_START_TIMEOUT_MS = 60_000;
/** How long a stopping agent may take to detach from its containers before SIGKILL. */
const AGENT_STOP_TIMEOUT_MS = 10_000;
/** Last stderr lines kept per host, to say why an agent did not start. */
const TAIL_LINES = 20;

/** `down`: its agent exited or was killed alone (containers run on); `killed`: powered off. */
export type HostState = 'starting' | 'running' | 'down' | 'killed';

/** One host as `berth host ls` shows it. */
export interface HostStatus {
  readonly name: string;
  readonly address: string;
  readonly availabilityZone: string;
  readonly instanceType: string;
  readonly netns: string | null;
  readonly state: HostState | 'machine';
  readonly pid: number | null;
  readonly containerInstanceArn: string | null;
  /** Its instance in the Fargate pool when its agent offers Fargate capacity (shown marked "fargate"). */
  readonly poolInstanceArn: string | null;
}

export interface SupervisorOptions {
  /** Every host, 1..N (host 1 is the machine: listed, never started or killed here). */
  readonly hosts: readonly HostLayout[];
  /** Host 1's instance ARN, from the in-process agent (undefined without one). */
  readonly machineInstanceArn: string | undefined;
  /** Host 1's instance in the Fargate pool, when its agent offers Fargate capacity. */
  readonly machinePoolInstanceArn?: string | undefined;
  /** The control plane as the hosts reach it. */
  readonly endpoint: string;
  readonly joinToken: string;
  /** More `berth agent` options every host gets (reserved memory, pids limit). */
  readonly agentArgs: readonly string[];
  readonly log: (line: string) => void;
}

interface Host {
  readonly layout: HostLayout;
  state: HostState;
  child: ChildProcess | undefined;
  arn: string | undefined;
  poolArn: string | undefined;
  tail: string[];
}

export class HostError extends Error {
  override name = 'HostError';
}

export class HostSupervisor {
  readonly #o: SupervisorOptions;
  readonly #hosts: Host[];

  constructor(o: SupervisorOptions) {
    this.#o = o;
    this.#hosts = o.hosts.filter((h) => h.index > 1).map((layout) => ({ layout, state: 'down', child: undefined, arn: undefined, poolArn: undefined, tail: [] }));
  }

  list(): HostStatus[] {
    const machine = this.#o.hosts.find((h) => h.index === 1)!;
    return [
      { name: machine.name, address: machine.address, availabilityZone: machine.availabilityZone, instanceType: machine.instanceType, netns: null, state: 'machine', pid: process.pid, containerInstanceArn: this.#o.machineInstanceArn ?? null, poolInstanceArn: this.#o.machinePoolInstanceArn ?? null },
      ...this.#hosts.map((h) => ({
        name: h.layout.name, address: h.layout.address, availabilityZone: h.layout.availabilityZone, instanceType: h.layout.instanceType, netns: h.layout.netns ?? null,
        state: h.state, pid: h.child?.pid ?? null, containerInstanceArn: h.arn ?? null, poolInstanceArn: h.poolArn ?? null,
      })),
    ];
  }

  /** Starts every host, in parallel; rejects if one does not come up. */
  async startAll(): Promise<void> {
    await Promise.all(this.#hosts.map((h) => this.#start(h)));
  }

  /** Brings a host that is down (killed, or its agent exited) back. */
  async start(name: string): Promise<void> {
    const h = this.#find(name);
    if (h.state === 'running' || h.state === 'starting') throw new HostError(`${name} is already ${h.state} (agent pid ${h.child?.pid}); 'berth host kill ${name}' first to restart it`);
    await this.#start(h);
  }

  /**
   * Kills only the host's agent (SIGKILL): its containers run on, unwatched, as when an
   * ECS agent dies or loses its network; `start` brings an agent that adopts them.
   */
  async killAgent(name: string): Promise<void> {
    const h = this.#find(name);
    if (h.state !== 'running' && h.state !== 'starting') throw new HostError(`${name} has no agent running (it is ${h.state})`);
    h.state = 'down';
    const child = h.child!;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
    this.#o.log(`${name}: its agent was killed; its containers run on; 'berth host start ${name}' starts one that adopts them`);
  }

  /** Powers a host off: its agent, containers, namespaces and run dir (machine.ts powerOff). */
  async kill(name: string): Promise<number> {
    const h = this.#find(name);
    h.state = 'killed';
    h.child?.kill('SIGKILL');
    const killed = await powerOff(h.layout);
    this.#o.log(`${name}: killed (${killed} processes); 'berth host start ${name}' brings it back`);
    return killed;
  }

  /**
   * Clean shutdown of `berth up`: every agent is stopped (SIGTERM; they detach from their
   * containers), then every host powered off, so nothing of them stays on the machine.
   */
  async shutdown(): Promise<void> {
    await Promise.all(this.#hosts.map(async (h) => {
      const was = h.state;
      h.state = 'killed';
      if (was === 'running' || was === 'starting') await stopChild(h.child);
      await powerOff(h.layout);
    }));
  }

  #find(name: string): Host {
    let index: number;
    try {
      index = parseHostName(name, this.#o.hosts.length);
    } catch (e) {
      throw new HostError((e as Error).message);
    }
    if (index === 1) throw new HostError("host-1 is this machine, where the control plane runs: 'berth up' stops it; kill host-2 and up to simulate a lost host");
    return this.#hosts.find((x) => x.layout.index === index)!;
  }

  async #start(h: Host): Promise<void> {
    const { layout } = h;
    h.state = 'starting';
    h.arn = undefined;
    h.tail = [];
    await ensureHostNamespace(layout, this.#o.hosts);
    // An agent a previous `berth up` left (it was killed -9): stop it, so one agent runs per host.
    await stopOrphanAgents(layout);
    const nsenter = findExecutable('nsenter');
    if (nsenter === undefined) throw new HostError('nsenter (util-linux) is needed to run agents in their hosts\' namespaces');
    const args = [
      `--net=/run/netns/${layout.netns!}`, '--', process.execPath, ...process.execArgv, process.argv[1]!, 'agent',
      '--join', this.#o.endpoint, '--host-index', String(layout.index), '--name', layout.name,
      '--data-dir', layout.dataDir, '--run-dir', layout.runDir, '--availability-zone', layout.availabilityZone, '--instance-type', layout.instanceType, ...this.#o.agentArgs,
    ];
    // Its own process group: a Ctrl-C at the terminal reaches `berth up`, which stops the hosts itself.
    const child = spawn(nsenter, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, BERTH_JOIN_TOKEN: this.#o.joinToken } });
    h.child = child;
    const registered = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new HostError(`${layout.name}: its agent did not register within ${AGENT_START_TIMEOUT_MS / 1000} s`)), AGENT_START_TIMEOUT_MS);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        // The pool line comes first: the agent prints it before it says it runs.
        const pool = /^Agent offers Fargate capacity as (\S+)/.exec(line);
        if (pool) h.poolArn = pool[1];
        const m = /^Agent running as (\S+)/.exec(line);
        if (m) { h.arn = m[1]; h.state = 'running'; clearTimeout(timer); resolve(); }
        this.#o.log(`${layout.name}: ${line}`);
      });
      createInterface({ input: child.stderr! }).on('line', (line) => {
        h.tail.push(line);
        if (h.tail.length > TAIL_LINES) h.tail.shift();
        // The agent stamps its lines with the time and its name already.
        process.stderr.write(`${line}\n`);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (h.child === child && h.state !== 'killed') {
          h.state = 'down';
          this.#o.log(`${layout.name}: its agent exited (${signal ?? `code ${code}`}); 'berth host start ${layout.name}' starts it again`);
        }
        reject(new HostError(`${layout.name}: its agent exited before it registered (${signal ?? `code ${code}`}): ${h.tail.slice(-3).join(' | ')}`));
      });
    });
    await registered;
  }
}

function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), AGENT_STOP_TIMEOUT_MS);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

async function stopOrphanAgents(layout: HostLayout): Promise<void> {
  const ns = `net:[${statSync(`/run/netns/${layout.netns!}`).ino}]`;
  const agents = processesIn(new Set([ns])).filter((pid) => {
    try {
      { const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'); return argv.includes('agent') && argv.includes('--host-index'); }
    } catch {
      return false;
    }
  });
  for (const pid of agents) {
    try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
  }
  const deadline = Date.now() + AGENT_STOP_TIMEOUT_MS;
  while (agents.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const pid of agents.filter(alive)) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
}

/** An orphaned agent is reaped by init, maybe late: a zombie counts as gone. */
function alive(pid: number): boolean {
  return !isZombie(pid);
}
