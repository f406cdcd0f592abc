import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonClient } from '../api/aws/client.ts';
import type { ContainerInstanceRecord } from '../core/ecs/container-instance.ts';
import { hostId, JoinError, register, registerInPool, type AgentConfig, type JoinEndpoint } from './registration.ts';

const TOKEN = `berth_join_${'j'.repeat(43)}`;
const SECRET = `berth_inst_${'s'.repeat(43)}`;
const ARN = 'arn:aws:ecs:us-east-1:000000000000:container-instance/default/0123456789abcdef0123456789abcdef';

const ecs: JsonClient = { call: async <T>() => ({}) as T };

/**
 * A registration endpoint with the control plane's rules: the join token makes a new
 * instance and issues its secret once; the secret re-registers that instance; anything
 * else is refused as the server refuses it.
 */
function controlPlane() {
  const calls: { bearer: string; input: Record<string, unknown> }[] = [];
  let secretValid = true;
  /** An instance registered before join tokens: the token gets it its secret, once. */
  let legacy: string | undefined;
  const join: JoinEndpoint = async (bearer, input) => {
    calls.push({ bearer, input });
    const containerInstance = { containerInstanceArn: ARN, ec2InstanceId: 'i-0123456789abcdef0' } as ContainerInstanceRecord;
    if (bearer === TOKEN && (!input.containerInstanceArn || input.containerInstanceArn === legacy)) return { containerInstance, instanceSecret: SECRET };
    if (bearer === SECRET && secretValid && input.containerInstanceArn === ARN) return { containerInstance };
    throw new JoinError(401, undefined, 'refused');
  };
  return { join, calls, revoke: () => { secretValid = false; }, registeredBefore: (arn: string) => { legacy = arn; } };
}

function config(t: { after(fn: () => void): void }, joinToken?: string): AgentConfig {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-registration-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  return { cluster: 'default', dataDir, availabilityZone: 'local-1a', instanceType: 'berth.host', reservedMemoryMiB: 256, reservedPorts: [], capabilities: [], ...(joinToken && { joinToken }) };
}

test('the first join presents the token; the secret it returns is kept (0600) and a restarted agent presents it instead', async (t) => {
  const cfg = config(t, TOKEN);
  const cp = controlPlane();
  const first = await register(ecs, cp.join, cfg);
  assert.equal(first.instanceSecret, SECRET);
  assert.equal(cp.calls[0]!.bearer, TOKEN);
  assert.equal(cp.calls[0]!.input.containerInstanceArn, undefined);
  const path = join(cfg.dataDir, 'identity.json');
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { cluster: 'default', instanceId: 'i-0123456789abcdef0', containerInstanceArn: ARN, instanceSecret: SECRET });

  const again = await register(ecs, cp.join, { ...cfg, joinToken: undefined });
  assert.equal(again.instanceSecret, SECRET);
  assert.equal(cp.calls[1]!.bearer, SECRET, 'a restart needs no token');
  assert.equal(cp.calls[1]!.input.containerInstanceArn, ARN);
  assert.equal(JSON.parse(cp.calls[1]!.input.instanceIdentityDocument as string).instanceId, 'i-0123456789abcdef0');
});

test('without a token, a host that has not joined is told to pass one, and nothing is asked of the control plane', async (t) => {
  const cp = controlPlane();
  await assert.rejects(register(ecs, cp.join, config(t)), /has not joined default yet: pass --token .*'berth token'/);
  assert.equal(cp.calls.length, 0);
});

test('a revoked secret: with the token the host joins as a new instance, without it the agent says what to do', async (t) => {
  const cfg = config(t, TOKEN);
  const cp = controlPlane();
  await register(ecs, cp.join, cfg);
  cp.revoke();
  await assert.rejects(register(ecs, cp.join, { ...cfg, joinToken: undefined }), /refused \(this host has no join token to do so: pass --token\)/);
  const lines: string[] = [];
  const again = await register(ecs, cp.join, cfg, (l) => lines.push(l));
  assert.equal(again.instanceSecret, SECRET);
  assert.deepEqual(cp.calls.map((c) => c.bearer), [TOKEN, SECRET, SECRET, TOKEN]);
  assert.match(lines[0]!, /can no longer register \(refused\); joining as a new instance/);
});

test('an unreadable identity file stops the agent with what to do, and is left as it was', async (t) => {
  const cfg = config(t, TOKEN);
  const path = join(cfg.dataDir, 'identity.json');
  writeFileSync(path, '');
  await assert.rejects(register(ecs, controlPlane().join, cfg), (err: Error) => {
    assert.match(err.message, new RegExp(`identity file ${path} is unreadable .*: remove it, and this host joins as a new container instance`));
    return true;
  });
  assert.equal(readFileSync(path, 'utf8'), '');
});

test('a host registered before join tokens keeps its instance: the token gets it its secret once; without the token it is told so', async (t) => {
  const cfg = config(t, TOKEN);
  const cp = controlPlane();
  cp.registeredBefore(ARN);
  writeFileSync(join(cfg.dataDir, 'identity.json'), JSON.stringify({ instanceId: 'i-0123456789abcdef0', cluster: 'default', containerInstanceArn: ARN }), { mode: 0o644 });
  await assert.rejects(register(ecs, cp.join, { ...cfg, joinToken: undefined }), /registered as .* before join tokens: pass --token once/);
  const r = await register(ecs, cp.join, cfg);
  assert.equal(r.containerInstance.containerInstanceArn, ARN);
  assert.deepEqual(cp.calls.map((c) => [c.bearer, c.input.containerInstanceArn]), [[TOKEN, ARN]]);
  assert.equal(statSync(join(cfg.dataDir, 'identity.json')).mode & 0o777, 0o600);
  assert.equal((JSON.parse(readFileSync(join(cfg.dataDir, 'identity.json'), 'utf8')) as { instanceSecret: string }).instanceSecret, SECRET);
});

test('joining the Fargate pool is a second registration of the host: its own identity file, the pool\'s cluster, no capacity provider, no CreateCluster', async (t) => {
  const cfg = { ...config(t, TOKEN), capacityProvider: 'mine' };
  const cp = controlPlane();
  let created = 0;
  const counting: JsonClient = { call: async <T>() => { created++; return {} as T; } };
  await register(counting, cp.join, cfg);
  const pool = await registerInPool(cp.join, cfg);
  assert.equal(created, 1, 'only the host\'s own cluster is created by the agent; the control plane makes the pool');
  assert.equal(pool.instanceSecret, SECRET);
  const asked = cp.calls[1]!.input;
  assert.equal(asked.fargate, true);
  assert.equal(asked.cluster, 'fargate');
  assert.equal(asked.capacityProviderName, undefined);
  assert.equal(cp.calls[0]!.input.fargate, undefined, 'the host\'s own registration is not a pool one');
  assert.equal(JSON.parse(readFileSync(join(cfg.dataDir, 'identity-fargate.json'), 'utf8')).cluster, 'fargate');
  assert.equal(JSON.parse(readFileSync(join(cfg.dataDir, 'identity.json'), 'utf8')).cluster, 'default', 'the two identities are kept apart');
  // Restarted: each registration presents its own secret.
  await registerInPool(cp.join, { ...cfg, joinToken: undefined });
  assert.equal(cp.calls[2]!.bearer, SECRET);
  assert.equal(cp.calls[2]!.input.containerInstanceArn, ARN);
});

test('the host id is made once, kept in the data dir (0600) and the same after a restart; a damaged file stops the agent with what to do', (t) => {
  const { dataDir } = config(t);
  const id = hostId(dataDir);
  assert.match(id, /^[a-f0-9]{32}$/);
  assert.equal(hostId(dataDir), id, 'a restarted agent has the same id');
  assert.equal(statSync(join(dataDir, 'host-id')).mode & 0o777, 0o600);
  const other = config(t).dataDir;
  assert.notEqual(hostId(other), id, 'another data dir is another host (berth up --hosts N)');
  writeFileSync(join(dataDir, 'host-id'), 'not an id\n');
  assert.throws(() => hostId(dataDir), /host-id is not 32 hex digits: remove it/);
  assert.equal(readFileSync(join(dataDir, 'host-id'), 'utf8'), 'not an id\n', 'left as it was');
});
