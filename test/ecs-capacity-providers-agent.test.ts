// A host joins a capacity provider as a user joins it: `berth agent --capacity-provider NAME`;
// DescribeContainerInstances answers the instance's capacityProviderName, a provider that
// does not exist is refused with what to do, and an agent restarted without the option
// leaves the provider. Needs root; run under `flock /tmp/berth-host.lock`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AWS_CLIS, aws } from './support/aws-cli.ts';
import { startBerth, type BerthProcess } from './support/berth.ts';
import { startAgentProcess, stopAgentProcess, type AgentRun } from './support/agent-process.ts';
import { cleanupHost } from './support/host-cleanup.ts';

const cli = AWS_CLIS[1];
const CLUSTER = 'capacity';
let berth: BerthProcess;
let agentDir: string;
const agents: ChildProcess[] = [];
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);

function startAgent(...args: string[]): Promise<AgentRun> {
  return startAgentProcess({ endpoint: berth.endpoint, cluster: CLUSTER, dataDir: agentDir, args, env: { ...process.env, BERTH_JOIN_TOKEN: berth.joinToken() } }).then((r) => { agents.push(r.child); return r; });
}
const stopAgent = stopAgentProcess;

const instance = async (arn: string) =>
  (await ecs<{ containerInstances: { capacityProviderName?: string; status: string }[] }>('describe-container-instances', '--cluster', CLUSTER, '--container-instances', arn)).containerInstances[0]!;

before(async () => {
  await cleanupHost();
  berth = await startBerth();
  agentDir = mkdtempSync(join(tmpdir(), 'berth-capacity-agent-'));
});

after(async () => {
  for (const a of agents) await stopAgent(a);
  await berth.stop();
  rmSync(agentDir, { recursive: true, force: true });
  await cleanupHost();
});

test('berth agent --capacity-provider: the instance carries the provider; an unknown one is refused; restarted without it, the instance leaves it', async () => {
  const unknown = await startAgent('--capacity-provider', 'ghost');
  assert.notEqual(unknown.code, undefined, 'the agent exits');
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.out, /The specified capacity provider was not found: ghost\. Create it first \(aws ecs create-capacity-provider/);

  await ecs('create-capacity-provider', '--name', 'hosts', '--auto-scaling-group-provider', 'autoScalingGroupArn=hosts');
  const joined = await startAgent('--capacity-provider', 'hosts');
  assert.ok(joined.arn, joined.out);
  assert.equal((await instance(joined.arn)).capacityProviderName, 'hosts');
  await ecs('put-cluster-capacity-providers', '--cluster', CLUSTER, '--capacity-providers', 'hosts', '--default-capacity-provider-strategy', 'capacityProvider=hosts,weight=1');
  const described = await ecs<{ clusters: { capacityProviders: string[]; registeredContainerInstancesCount: number }[] }>('describe-clusters', '--clusters', CLUSTER);
  assert.deepEqual([described.clusters[0]!.capacityProviders, described.clusters[0]!.registeredContainerInstancesCount], [['hosts'], 1]);

  await stopAgent(joined.child);
  const again = await startAgent();
  assert.equal(again.arn, joined.arn, 'the same instance, with its own secret');
  assert.equal((await instance(again.arn)).capacityProviderName, undefined);
  await stopAgent(again.child);
  await ecs('deregister-container-instance', '--cluster', CLUSTER, '--container-instance', joined.arn, '--force');
});
