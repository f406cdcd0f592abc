/**
 * Where an agent's time goes when it starts one task: the pieces of TaskRunner.launch,
 * run one after another with the same modules the agent uses (src/runtime/network,
 * src/images, src/runtime/container), timed one by one, with no control plane and no
 * session. It runs while no agent runs (it needs the host's runtime to itself for clean
 * numbers), on the image store an agent already filled, with its own bridge, subnet, nft
 * table, namespace and veth prefixes and runtime root, so it never touches an agent's.
 *
 *   persist → network (setupTask) → mount (overlay) → bundle (spec + config.json) →
 *   conmon create (conmon + <runtime> create, until the sync pipe answers) → start
 *   then, untimed for the start figure but reported: stop (SIGKILL), delete, unmount, teardown
 */

import { existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CGROUP_PARENT, cgroupsPath, runtimeId, taskLayout } from '../../src/agent/task-layout.ts';
import type { ContainerDefinition } from '../../src/core/ecs/task-definition.ts';
import { ImageStore } from '../../src/images/image-store.ts';
import type { ContainerConfig } from '../../src/oci/media-types.ts';
import { writeBundle } from '../../src/runtime/container/bundle.ts';
import { Container, findRuntime, removeCreateNamespace, removeReadOnlyBinaries } from '../../src/runtime/container/index.ts';
import { createNetworkManager } from '../../src/runtime/network/index.ts';
import { hierarchies } from '../../src/runtime/container/cgroups.ts';
import { summarize, type Summary } from './latency-stats.ts';

/** The cgroup parent of the breakdown's containers: beside Berth's `/berth`. */
const PHASES_CGROUP_PARENT = '/berth-bench-phases';

/** The benchmark's own network names and subnets: beside the agent's (172.30.224.0/19), never overlapping. */
const PHASES_NETWORK = {
  bridge: { name: 'bbench0', subnet: '172.30.192.0/20' },
  vpc: { name: 'bbench-vpc0', subnet: '172.30.208.0/20' },
  nftTable: 'berthbench',
  netnsPrefix: 'bbench-',
  vethPrefix: 'bbx',
  manageIpForward: false,
} as const;

export const START_PHASES = ['persist', 'network', 'mount', 'bundle', 'conmon create', 'start'] as const;
export const STOP_PHASES = ['stop (SIGKILL)', 'delete', 'unmount', 'network teardown'] as const;
export type Phase = typeof START_PHASES[number] | typeof STOP_PHASES[number];

export interface PhaseReport {
  readonly runs: number;
  readonly runtime: string;
  /** Per phase, milliseconds. */
  readonly phases: Record<Phase, Summary>;
  /** The start phases added up, per run. */
  readonly start: Summary;
}

export interface PhaseOptions {
  /** The agent data dir whose image store holds the image (`<berth data>/agent`). */
  readonly agentDataDir: string;
  /** The registry host:port the agent resolved images against. */
  readonly berthRegistry: string;
  readonly image: string;
  readonly memoryMiB: number;
  readonly workDir: string;
  readonly runs: number;
  readonly networkMode: 'bridge' | 'awsvpc';
}

export async function measurePhases(o: PhaseOptions): Promise<PhaseReport> {
  // The runtime as the agent sets it up (src/agent/agent.ts): read-only binary, long-lived create namespace.
  const runDir = join(o.workDir, 'run');
  const runtime = await findRuntime({ runDir, readOnlyBinaryDir: join(runDir, 'bin'), createNamespace: true });
  const images = await ImageStore.open({ root: join(o.agentDataDir, 'images'), berthRegistry: o.berthRegistry, rootfsMountRoot: runtime.rootfsDir });
  const image = images.get(o.image);
  if (!image) throw new Error(`${o.image} is not in ${o.agentDataDir}/images: run a task with it first`);
  const network = await createNetworkManager({ stateDir: join(o.workDir, 'network'), ...PHASES_NETWORK });
  const tasksDir = join(o.workDir, 'tasks');
  const def: ContainerDefinition = { name: 'sleep', image: o.image, memory: o.memoryMiB, essential: true };
  const samples = new Map<Phase, number[]>([...START_PHASES, ...STOP_PHASES].map((p) => [p, []]));
  try {
    for (let i = 0; i < o.runs; i++) {
      const taskId = `bench${String(i).padStart(4, '0')}${Date.now().toString(16)}`;
      const l = taskLayout(tasksDir, taskId);
      let t = performance.now();
      const lap = (p: Phase) => {
        const now = performance.now();
        samples.get(p)!.push(now - t);
        t = now;
      };
      mkdirSync(l.dir, { recursive: true });
      writeFileSync(`${l.assignment}.tmp`, JSON.stringify({ taskId, def }));
      renameSync(`${l.assignment}.tmp`, l.assignment);
      lap('persist');
      const net = await network.setupTask({ taskId, mode: o.networkMode, containers: [{ name: def.name, portMappings: [] }] });
      lap('network');
      const rootfs = await images.mountRootfs(image, l.rootfs(def.name));
      mkdirSync(join(l.dir, 'logs'), { recursive: true });
      lap('mount');
      const input = {
        id: runtimeId(taskId, def.name), rootfsPath: rootfs.rootfs, image: image.config as ContainerConfig, definition: def,
        cgroupsPath: cgroupsPath(taskId, def.name).replace(CGROUP_PARENT, PHASES_CGROUP_PARENT), cgroupParent: PHASES_CGROUP_PARENT,
        network: { mode: 'namespace' as const, path: net.netnsPath!, ...(net.ip && { addresses: [net.ip] }) },
        defaultHostname: taskId.slice(0, 12), mounts: [], stateDir: l.containerState(def.name), runtime, logPath: l.log(def.name),
      };
      // The bundle alone, written to a scratch dir: Container.create writes it again, so
      // "conmon create" below is create's time less this.
      const scratch = join(o.workDir, 'bundle-scratch');
      writeBundle(scratch, input);
      lap('bundle');
      rmSync(scratch, { recursive: true, force: true });
      t = performance.now();
      const container = await Container.create(input);
      const createMs = performance.now() - t;
      samples.get('conmon create')!.push(Math.max(0, createMs - samples.get('bundle')!.at(-1)!));
      t = performance.now();
      await container.start();
      lap('start');
      t = performance.now();
      await container.stop(0);
      lap('stop (SIGKILL)');
      await container.delete();
      lap('delete');
      await images.unmountRootfs(l.rootfs(def.name));
      lap('unmount');
      await network.teardownTask(taskId);
      lap('network teardown');
      rmSync(l.dir, { recursive: true, force: true });
    }
  } finally {
    await network.cleanupAll().catch(() => undefined);
    await network.close();
    await removeCreateNamespace(runDir).catch(() => undefined);
    await removeReadOnlyBinaries(join(runDir, 'bin')).catch(() => undefined);
    for (const h of hierarchies()) {
      const parent = join(h, PHASES_CGROUP_PARENT);
      if (!existsSync(parent)) continue;
      for (const d of readdirSync(parent, { withFileTypes: true }).filter((x) => x.isDirectory())) {
        try { rmdirSync(join(parent, d.name)); } catch { /* in use */ }
      }
      try { rmdirSync(parent); } catch { /* in use */ }
    }
  }
  const phases = Object.fromEntries([...samples].map(([p, s]) => [p, summarize(s)])) as Record<Phase, Summary>;
  const perRun = Array.from({ length: o.runs }, (_, i) => START_PHASES.reduce((sum, p) => sum + samples.get(p)![i]!, 0));
  return { runs: o.runs, runtime: `${runtime.name} ${runtime.version}`, phases, start: summarize(perRun) };
}
