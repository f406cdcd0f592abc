import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { TaskSpec } from '../../core/workload/spec.ts';
import { containerSpecs } from '../../core/ecs/container-spec.ts';
import { metadataHandler, startMetadataServer, type EndpointTarget, type MetadataBackend, type ProtectionAnswer } from './server.ts';
import type { StatsSample } from './stats.ts';
import type { MetadataTask } from './view.ts';

const ID = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const OTHER = '11111111-2222-3333-4444-555555555555';
const ARN = 'arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef';

const metadata: MetadataTask = {
  spec: { id: ARN.slice(-32), desiredStatus: 'RUNNING', launchType: 'EC2', placement: {}, ecs: { taskArn: ARN, clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/default', group: 'family:f', containerArns: [] } } as unknown as TaskSpec,
  family: 'f', revision: 1, networkMode: 'bridge', knownStatus: 'RUNNING',
  containers: [{ spec: containerSpecs([{ name: 'app', image: 'busybox' }])[0]!, runtimeId: 'rid-app', knownStatus: 'RUNNING' }],
};
const sample = (at: number): StatsSample => ({
  at, cpu: { totalNs: at, userNs: 0, kernelNs: 0, systemNs: 0, onlineCpus: 1, periods: 0, throttledPeriods: 0, throttledNs: 0 },
  memory: { usage: 10, limit: 20, stats: {} }, blkio: [],
});

function backend(ownerAddress: string, protection?: MetadataBackend['protection']): MetadataBackend {
  let clock = 1000;
  const target: EndpointTarget = {
    taskArn: ARN, container: 'app',
    owns: (s) => s.remoteAddress?.replace(/^::ffff:/, '') === ownerAddress,
    metadata: () => metadata,
    stats: () => [{ container: 'app', dockerId: 'rid-app', read: (now) => sample(now) }],
  };
  return { now: () => (clock += 1000), resolve: (id) => (id === ID ? target : undefined), ...(protection && { protection }) };
}

async function serve(b: MetadataBackend, t: { after(f: () => Promise<void>): void }): Promise<string> {
  const s = await startMetadataServer(['127.0.0.1'], 0, metadataHandler(b));
  t.after(() => s.close());
  return `http://127.0.0.1:${(s.addresses[0] as AddressInfo).port}`;
}

test('the owning task gets its container, task and stats; precpu_stats come from its previous request', async (t) => {
  const base = await serve(backend('127.0.0.1'), t);
  const c = await (await fetch(`${base}/v4/${ID}`)).json() as Record<string, unknown>;
  assert.deepEqual([c.Name, c.DockerId], ['app', 'rid-app']);
  const task = await (await fetch(`${base}/v3/${ID}/task`)).json() as Record<string, unknown>;
  assert.equal(task.TaskARN, ARN);
  const s1 = await (await fetch(`${base}/v4/${ID}/stats`)).json() as { read: string; precpu_stats: { cpu_usage: { total_usage: number } } };
  const s2 = await (await fetch(`${base}/v4/${ID}/stats`)).json() as { preread: string };
  assert.equal(s2.preread, s1.read);
  const all = await (await fetch(`${base}/v4/${ID}/task/stats`)).json() as Record<string, unknown>;
  assert.deepEqual(Object.keys(all), ['rid-app']);
});

test('another address, another id, a bad path: 404 alike, saying nothing of whether the id exists', async (t) => {
  const base = await serve(backend('10.9.9.9'), t);
  const mine = await fetch(`${base}/v4/${ID}/task`);
  const unknown = await fetch(`${base}/v4/${OTHER}/task`);
  const bad = await fetch(`${base}/v4/nope`);
  assert.deepEqual([mine.status, unknown.status, bad.status], [404, 404, 404]);
  assert.equal(await mine.text(), await unknown.text());
});

test('the protection endpoint: PUT checked, then the ECS call; answers in the agent\'s shapes', async (t) => {
  const calls: unknown[] = [];
  const answer = (a: ProtectionAnswer) => async (...args: unknown[]) => { calls.push(args); return a; };
  const ok: ProtectionAnswer = { protectedTasks: [{ taskArn: ARN, protectionEnabled: true, expirationDate: 1700000000 }] };
  const base = await serve(backend('127.0.0.1', { get: answer(ok), update: answer(ok) }), t);
  const url = `${base}/api/${ID}/task-protection/v1/state`;
  const put = await fetch(url, { method: 'PUT', body: JSON.stringify({ ProtectionEnabled: true, ExpiresInMinutes: 60 }) });
  assert.equal(put.status, 200);
  assert.deepEqual(await put.json(), { protection: { ExpirationDate: '2023-11-14T22:13:20.000Z', ProtectionEnabled: true, TaskArn: ARN } });
  assert.deepEqual(calls, [[ARN, true, 60]]);
  const get = await fetch(url);
  assert.equal(get.status, 200);
  for (const body of ['{}', 'not json', '{"ProtectionEnabled":"yes"}', '{"ProtectionEnabled":true,"ExpiresInMinutes":1.5}']) {
    const r = await fetch(url, { method: 'PUT', body });
    assert.equal(r.status, 400, body);
    assert.equal(((await r.json()) as { error: { Code: string } }).error.Code, 'InvalidParameterException');
  }
  assert.equal(calls.length, 2, 'a refused request calls nothing');
});

test('the protection endpoint passes ECS\'s failures and errors on', async (t) => {
  let next: ProtectionAnswer = { failures: [{ arn: ARN, reason: 'TASK_NOT_VALID', detail: 'The task is not part of a service' }] };
  const base = await serve(backend('127.0.0.1', { get: async () => next, update: async () => next }), t);
  const url = `${base}/api/${ID}/task-protection/v1/state`;
  const f = await fetch(url);
  assert.deepEqual([f.status, await f.json()], [200, { failure: { Arn: ARN, Reason: 'TASK_NOT_VALID', Detail: 'The task is not part of a service' } }]);
  next = { error: { code: 'ServerException', message: 'the control plane is unreachable' } };
  const e = await fetch(url);
  assert.deepEqual([e.status, await e.json()], [500, { error: { Arn: ARN, Code: 'ServerException', Message: 'the control plane is unreachable' } }]);
});

test('the task role credentials: to the owning task only, AWS container credential shape; a task without a role gets the ECS agent\'s not-found', async (t) => {
  const creds = { roleArn: 'arn:aws:iam::123456789012:role/app', accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token', expiration: Date.UTC(2026, 11, 7, 12) };
  const withRole = { ...backend('127.0.0.1'), credentials: (arn: string) => (arn === ARN ? creds : undefined) };
  const base = await serve(withRole, t);
  const r = await fetch(`${base}/v2/credentials/${ID}`);
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { RoleArn: creds.roleArn, AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: 'secret', Token: 'token', Expiration: '2026-12-07T12:00:00Z' });
  assert.equal((await fetch(`${base}/v2/credentials/${OTHER}`)).status, 404);
  const none = await serve({ ...backend('127.0.0.1'), credentials: () => undefined }, t);
  const missing = await fetch(`${none}/v2/credentials/${ID}`);
  assert.equal(missing.status, 400);
  assert.equal(((await missing.json()) as { code: string }).code, 'InvalidIdInRequest');
  const stranger = await serve({ ...backend('10.9.9.9'), credentials: () => creds }, t);
  assert.equal((await fetch(`${stranger}/v2/credentials/${ID}`)).status, 404, 'another task asking for this one\'s credentials');
});

test('an answer is made once per task version: the same bytes while the version holds, a new answer when it moves', async (t) => {
  let made = 0;
  let version: string | undefined = 'v1';
  let status: 'RUNNING' | 'STOPPED' = 'RUNNING';
  const target: EndpointTarget = {
    taskArn: ARN, container: 'app', owns: () => true, stats: () => [], version: () => version,
    metadata: () => { made++; return { ...metadata, knownStatus: status }; },
  };
  const base = await serve({ now: Date.now, resolve: (id) => (id === ID ? target : undefined) }, t);
  const get = async (path: string) => (await (await fetch(`${base}${path}`)).json()) as { KnownStatus: string };
  assert.equal((await get(`/v4/${ID}/task`)).KnownStatus, 'RUNNING');
  assert.equal((await get(`/v4/${ID}/task`)).KnownStatus, 'RUNNING');
  assert.equal(made, 1, 'the second answer was the first one\'s bytes');
  await get(`/v3/${ID}/task`);
  await get(`/v4/${ID}`);
  assert.equal(made, 3, 'each kind of answer is its own');
  status = 'STOPPED';
  assert.equal((await get(`/v4/${ID}/task`)).KnownStatus, 'RUNNING', 'same version, same answer');
  version = 'v2';
  assert.equal((await get(`/v4/${ID}/task`)).KnownStatus, 'STOPPED');
  version = undefined;
  await get(`/v4/${ID}/task`);
  await get(`/v4/${ID}/task`);
  assert.equal(made, 6, 'no version: made anew every time');
});

test('taskWithTags: the task answer with its tags, for the owning task only', async (t) => {
  const asked: string[] = [];
  const tags = async (arn: string) => { asked.push(arn); return { taskTags: [{ key: 'team', value: 'web' }], containerInstanceTags: [{ key: 'rack', value: 'r1' }] }; };
  const base = await serve({ ...backend('127.0.0.1'), tags }, t);
  const r = await fetch(`${base}/v4/${ID}/taskWithTags`);
  assert.equal(r.status, 200);
  const body = await r.json() as Record<string, unknown>;
  assert.equal(body.TaskARN, ARN);
  assert.deepEqual([body.TaskTags, body.ContainerInstanceTags], [{ team: 'web' }, { rack: 'r1' }]);
  assert.deepEqual(asked, [ARN]);
  const stranger = await serve({ ...backend('10.9.9.9'), tags }, t);
  assert.equal((await fetch(`${stranger}/v4/${ID}/taskWithTags`)).status, 404);
  assert.deepEqual(asked, [ARN], 'nothing asked for a stranger');
  const broken = await serve({ ...backend('127.0.0.1'), tags: () => Promise.reject(new Error('session down')) }, t);
  const e = await (await fetch(`${broken}/v4/${ID}/taskWithTags`)).json() as { TaskARN: string; Errors: { ErrorCode: string; StatusCode: number }[] };
  assert.equal(e.TaskARN, ARN, 'the task answer still comes');
  assert.deepEqual(e.Errors.map((x) => [x.ErrorCode, x.StatusCode]), [['ServerException', 500]]);
});
