/**
 * One EKS cluster on real hosts, as a new user makes it, for the host tests that need pods
 * (under flock /tmp/berth-host.lock: namespaces, bridges, nft tables, containers):
 *
 *   cleanupHost ─▶ berth up [--hosts N] --no-fargate (with its agent) ─▶ every host joined
 *   ─▶ berth image samples ─▶ aws eks create-cluster, wait cluster-active
 *   ─▶ create-nodegroup (N hosts), wait nodegroup-active ─▶ update-kubeconfig
 *   ─▶ N nodes with an InternalIP, and the default service account
 *
 * No Fargate pool registrations, so the node group claims the hosts' own instances. `stop()`
 * deletes the pods, stops Berth (once: a test may stop it itself, `stopBerth()`), cleans the
 * host and removes the temp dir, whatever state the test left.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AWS_CLIS, awsEnv } from './aws-cli.ts';
import { ROOT, startBerth, type BerthProcess } from './berth.ts';
import { cleanupHost } from './host-cleanup.ts';
import { run, type RunResult } from './run.ts';
import { until } from './until.ts';

/** Hosts joining, nodes appearing, the default service account: minutes of slack for a loaded CI host. */
export const CLUSTER_WAIT_MS = 180_000;

export interface EksNode {
  readonly name: string;
  readonly internalIP: string;
}

export interface EksHostCluster {
  readonly berth: BerthProcess;
  /** The temp dir: kubeconfig (`config`) and kubectl's cache. */
  readonly dir: string;
  readonly cluster: string;
  /** The nodes, one per host, each with its InternalIP. */
  readonly nodes: readonly EksNode[];
  /** The environment of the aws CLI and kubectl (credentials, region, KUBECONFIG). */
  env(): Record<string, string>;
  /** /usr/bin/aws (v2) against Berth; fails the test on a non-zero exit; JSON answers parsed ({} for none). */
  aws<T = Record<string, unknown>>(...args: string[]): Promise<T>;
  /** kubectl 1.32 with the cluster's kubeconfig; fails the test on a non-zero exit. */
  kubectl(args: readonly string[], input?: string): Promise<string>;
  /** kubectl, its exit status and output whatever they are. */
  kubectlResult(args: readonly string[], input?: string): Promise<RunResult>;
  /** The `berth` command (exec, host, logs…), from the checkout. */
  berthCli(...args: string[]): Promise<RunResult>;
  /** Stops `berth up` if it still runs (its simulated hosts with it). */
  stopBerth(): Promise<void>;
  /** Everything gone: pods, Berth, the host's leftovers, the temp dir. */
  stop(): Promise<void>;
}

export interface EksHostClusterOptions {
  /** `berth up --hosts N`; 1 (the machine alone) by default. */
  readonly hosts?: number;
  /** The EKS cluster's name; `demo` by default. */
  readonly cluster?: string;
}

export async function startEksHostCluster(o: EksHostClusterOptions = {}): Promise<EksHostCluster> {
  const hosts = o.hosts ?? 1;
  const cluster = o.cluster ?? 'demo';
  await cleanupHost();
  const dir = mkdtempSync(join(tmpdir(), 'berth-eks-host-'));
  let berth: BerthProcess | undefined;
  const env = () => ({ ...awsEnv('us-east-1', AWS_CLIS[1]), KUBECONFIG: join(dir, 'config'), KUBECACHEDIR: join(dir, 'cache') });
  const kubectlResult = (args: readonly string[], input?: string) => run('kubectl', args, { env: env(), ...(input !== undefined && { input }) });
  const kubectl = async (args: readonly string[], input?: string): Promise<string> => {
    const r = await kubectlResult(args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const aws = async <T = Record<string, unknown>>(...args: string[]): Promise<T> => {
    const r = await run('/usr/bin/aws', ['--endpoint-url', berth!.endpoint, '--output', 'json', ...args], { env: env() });
    assert.equal(r.code, 0, `aws ${args.join(' ')}: ${r.stderr}`);
    return (r.stdout.trim().startsWith('{') ? JSON.parse(r.stdout) : {}) as T;
  };
  const berthCli = (...args: string[]) => run(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'src/cli/main.ts'), ...args]);
  const stopBerth = async () => {
    const b = berth;
    berth = undefined;
    await b?.stop();
  };
  const stop = async () => {
    if (berth) await kubectlResult(['delete', 'pods', '--all', '--all-namespaces', '--wait=true', '--timeout=60s']).catch(() => undefined);
    await stopBerth().catch(() => undefined);
    await cleanupHost();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    berth = await startBerth([...(hosts > 1 ? ['--hosts', String(hosts)] : []), '--no-fargate'], { agent: true });
    const b = berth;
    // `berth host ls` answers once the simulated hosts have joined.
    if (hosts > 1) {
      await until(`${hosts} hosts joined`, async () => ((await berthCli('host', 'ls', '--data-dir', b.dataDir)).code === 0 ? true : undefined), CLUSTER_WAIT_MS)
        .catch((e: Error) => { throw new Error(`${e.message}; berth up's log ends:\n${b.log().split('\n').slice(-40).join('\n')}`); });
    }
    const samples = await berthCli('image', 'samples', '--endpoint', b.endpoint);
    assert.equal(samples.code, 0, samples.stderr);
    await aws('eks', 'create-cluster', '--name', cluster, '--role-arn', 'arn:aws:iam::000000000000:role/eks', '--resources-vpc-config', 'subnetIds=subnet-a');
    await aws('eks', 'wait', 'cluster-active', '--name', cluster);
    await aws('eks', 'create-nodegroup', '--cluster-name', cluster, '--nodegroup-name', 'workers', '--subnets', 'subnet-a', '--node-role', 'arn:aws:iam::000000000000:role/node',
      '--scaling-config', `minSize=${hosts},maxSize=${hosts},desiredSize=${hosts}`);
    await aws('eks', 'wait', 'nodegroup-active', '--cluster-name', cluster, '--nodegroup-name', 'workers');
    await aws('eks', 'update-kubeconfig', '--name', cluster);
    // Each node with an InternalIP, once its agent has said hello with its address.
    const nodes = await until(`${hosts} nodes with an InternalIP`, async () => {
      const r = await kubectlResult(['get', 'nodes', '-o', 'json']);
      if (r.code !== 0) return undefined;
      const list = JSON.parse(r.stdout) as { items: { metadata: { name: string }; status: { addresses?: { type: string; address: string }[] } }[] };
      const out = list.items.map((n) => ({ name: n.metadata.name, internalIP: n.status.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '' }));
      return out.length === hosts && out.every((n) => n.internalIP !== '') ? out : undefined;
    }, CLUSTER_WAIT_MS);
    await until('the default service account', async () => ((await kubectlResult(['get', 'sa', 'default'])).code === 0 ? true : undefined), CLUSTER_WAIT_MS);
    return {
      get berth() { return b; }, dir, cluster, nodes, env, aws, kubectl, kubectlResult, berthCli, stopBerth, stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
