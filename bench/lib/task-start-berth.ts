/**
 * Berth as the task-start benchmark runs it: `bin/berth up` (with its agent, or with
 * --no-agent beside a standalone `berth agent --join`), the sample images and the
 * benchmark's task definitions, and everything that must happen however the run ends —
 * clean-up steps run last-added first, and a Ctrl-C handler that stops the tasks and
 * cleans the host before exiting.
 */

import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { cleanupAgentHost, settledResidentKiB } from './agent-host.ts';
import { ecsClient, type EcsClient } from './aws-json.ts';
import { listTasks, stopTasks } from './ecs-tasks.ts';
import { cleanupNow, freePort, run, spawnTracked, waitReady, type Service } from './processes.ts';
import { CLUSTER, STOP_ALL_TIMEOUT_MS } from './task-load.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/**
 * berth up with its agent exits 15.0 s after SIGINT (measured; the length of the gateway's
 * DISCONNECT_GRACE_MS timer); processes.ts's stopGracefully SIGKILLs after 10 s, which
 * loses a --cpu-prof profile.
 */
const BERTH_EXIT_TIMEOUT_MS = 30_000;

/** How Berth and its agent are started. */
export interface LaunchOptions {
  /** BERTH_RUNTIME for the agent; undefined: Berth's choice. */
  readonly runtime: 'crun' | 'runc' | undefined;
  /** --cpu-prof directory for the embedded berth up. */
  readonly profileDir: string | undefined;
  /** A main.js to run the standalone agent with instead of bin/berth. */
  readonly agentEntry: string | undefined;
  /** NODE_OPTIONS for the standalone agent. */
  readonly agentNodeOptions: string | undefined;
  readonly image: string;
  readonly memory: number;
}

export const say = (line: string) => process.stderr.write(`task-start: ${line}\n`);

/**
 * Clean-up steps, run last-added first, each on its own (one failing does not skip the
 * others), once: at the end, on an error, or on Ctrl-C.
 */
export class Cleanup {
  readonly #steps: { name: string; fn: () => Promise<unknown> }[] = [];
  #ran: Promise<void> | undefined;

  add(name: string, fn: () => Promise<unknown>): void {
    this.#steps.push({ name, fn });
  }

  run(): Promise<void> {
    this.#ran ??= (async () => {
      for (const s of [...this.#steps].reverse()) {
        try {
          await s.fn();
        } catch (e) {
          say(`clean-up: ${s.name}: ${(e as Error).message}`);
        }
      }
    })();
    return this.#ran;
  }
}

export const cleanup = new Cleanup();
let interrupted = false;

/** True once Ctrl-C (or SIGTERM, SIGHUP) came. */
export function isInterrupted(): boolean {
  return interrupted;
}

/**
 * Ctrl-C: processes.ts's own handler kills children and exits at once, which would leave
 * tasks, namespaces and bridges behind. Replace it with one that stops the tasks and
 * cleans the host first; a second Ctrl-C kills at once.
 */
export function takeOverSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(signal);
    process.once(signal, () => {
      interrupted = true;
      say(`${signal}: stopping tasks and cleaning up the host (again to quit at once)`);
      process.once(signal, () => { cleanupNow(); process.exit(130); });
      void cleanup.run().finally(() => { cleanupNow(); process.exit(130); });
    });
  }
}

/** Throws once the run was interrupted, so that loops stop issuing work. */
export function checkInterrupted(): void {
  if (interrupted) throw new Error('interrupted');
}

export interface Berth {
  service: Service;
  url: string;
  port: number;
  dataDir: string;
  /** The process whose RSS is the agent's: berth up itself, or the standalone berth agent. */
  agentPid: number;
  /** Its RSS once the agent had connected, before any task (KiB). */
  freshRss?: number;
  agent?: Service;
}

export async function startBerth(work: string, name: string, o: LaunchOptions, standalone: boolean): Promise<Berth> {
  const port = await freePort();
  const dataDir = join(work, name);
  const env: NodeJS.ProcessEnv = { ...process.env, ...(o.runtime && { BERTH_RUNTIME: o.runtime }) };
  const upEnv = o.profileDir && !standalone ? { ...env, NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${o.profileDir}`.trim() } : env;
  const args = ['up', '--port', String(port), '--data-dir', dataDir, ...(standalone ? ['--no-agent'] : [])];
  say(`starting Berth: bin/berth ${args.join(' ')}`);
  const service = spawnTracked(join(ROOT, 'bin/berth'), args, { env: upEnv });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(service, `${url}/_berth/health`, 'berth up');
  const berth: Berth = { service, url, port, dataDir, agentPid: service.child.pid! };
  // Stop tasks through the API while Berth is up; then Berth; then what the agent left.
  cleanup.add(`host clean-up after ${name}`, async () => {
    const r = await cleanupAgentHost(join(dataDir, 'agent'));
    if (r.containers || r.mounts) say(`removed ${r.containers} container(s) and ${r.mounts} mount(s) left by ${name}`);
  });
  cleanup.add(`stopping ${name}`, () => stopGracefully(service.child));
  if (standalone) {
    const agentArgs = ['agent', '--join', url, '--cluster', CLUSTER, '--data-dir', join(dataDir, 'agent')];
    const command = o.agentEntry ? [process.execPath, o.agentEntry] : [join(ROOT, 'bin/berth')];
    say(`starting the agent: ${o.agentNodeOptions ? `NODE_OPTIONS='${o.agentNodeOptions}' ` : ''}${command.join(' ')} ${agentArgs.join(' ')}`);
    // The join token berth up made in its data dir, through the environment: the agent's command line is printed.
    const joinToken = readFileSync(join(dataDir, 'join-token'), 'utf8').trim();
    const agentEnv = { ...env, ...(o.agentNodeOptions && { NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} ${o.agentNodeOptions}`.trim() }), BERTH_JOIN_TOKEN: joinToken };
    const agent = spawnTracked(command[0]!, [...command.slice(1), ...agentArgs], { env: agentEnv });
    cleanup.add(`stopping ${name}'s agent`, () => stopGracefully(agent.child));
    berth.agent = agent;
    berth.agentPid = agent.child.pid!;
  }
  cleanup.add(`stopping ${name}'s tasks`, () => stopEverything(berth));
  await waitForInstance(berth);
  berth.freshRss = (await settledResidentKiB(berth.agentPid)).rss;
  return berth;
}

/** Until the cluster has a connected container instance (the agent registered and dialled in). */
async function waitForInstance(b: Berth): Promise<void> {
  const client = ecsClient(b.url);
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      const proc = b.agent ?? b.service;
      if (proc.child.exitCode !== null) throw new Error(`the agent exited:\n${proc.stderrTail()}`);
      const list = await client.call<{ containerInstanceArns?: string[] }>('ListContainerInstances', { cluster: CLUSTER });
      const arns = list.body.containerInstanceArns ?? [];
      if (arns.length) {
        const d = await client.ok<{ containerInstances: { agentConnected: boolean }[] }>('DescribeContainerInstances', { cluster: CLUSTER, containerInstances: arns });
        if (d.containerInstances.some((c) => c.agentConnected)) return;
      }
      if (Date.now() > deadline) throw new Error(`no agent connected within 60 s:\n${proc.stderrTail()}`);
      await sleep(100);
    }
  } finally {
    client.close();
  }
}

/** SIGINT to the child's process group, as Ctrl-C; SIGKILL if it has not exited within BERTH_EXIT_TIMEOUT_MS. */
export async function stopGracefully(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (s: NodeJS.Signals) => { try { process.kill(-child.pid!, s); } catch { /* gone */ } };
  signal('SIGINT');
  const timer = setTimeout(() => signal('SIGKILL'), BERTH_EXIT_TIMEOUT_MS);
  await gone;
  clearTimeout(timer);
}

/** Stops every task of the cluster through the API and waits until they are STOPPED. */
export async function stopEverything(b: Berth): Promise<void> {
  if (b.service.child.exitCode !== null || b.service.child.signalCode !== null) return;
  const client = ecsClient(b.url);
  try {
    const arns = await listTasks(client, CLUSTER, 'RUNNING');
    if (arns.length) {
      say(`stopping ${arns.length} task(s) through the API`);
      await stopTasks(client, CLUSTER, arns, STOP_ALL_TIMEOUT_MS);
    }
  } finally {
    client.close();
  }
}

/** Pushes the sample images and registers `bench-bridge` and `bench-awsvpc` (the image, its memory, stopTimeout 0). */
export async function setUpBerth(b: Berth, o: LaunchOptions): Promise<EcsClient> {
  say('pushing the sample images (bin/berth image samples)');
  await run(join(ROOT, 'bin/berth'), ['image', 'samples', '--endpoint', b.url]);
  const client = ecsClient(b.url);
  const container = { name: 'sleep', image: o.image, memory: o.memory, essential: true, stopTimeout: 0 };
  for (const mode of ['bridge', 'awsvpc'] as const) {
    await client.ok('RegisterTaskDefinition', { family: `bench-${mode}`, networkMode: mode, containerDefinitions: [container] });
  }
  return client;
}
