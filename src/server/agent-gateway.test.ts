import type { EncodedEvents } from '../agent/awslogs/batch-frame.ts';
import { decodeEvents, EventBatch } from '../agent/awslogs/event-batch.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { PortForwards } from '../agent/port-forwards.ts';
import { AgentSession } from '../agent/session.ts';
import type { Assignment } from '../agent/protocol.ts';
import { createClusterState } from '../cluster/cluster-state.ts';
import { clusterOp, instanceOp, instanceRecord, putOp, SCOPE, taskRecord } from '../cluster/testing.ts';
import { SECRET_BYTES } from '../core/agent-credentials.ts';
import { FARGATE_POOL_CLUSTER, fargatePoolScope } from '../core/ecs/fargate.ts';
import { keys } from '../core/ecs/keys.ts';
import { ecsArn, type Scope } from '../core/ecs/scope.ts';
import { buildTaskDefinition, type ContainerDefinition } from '../core/ecs/task-definition.ts';
import type { TaskRecord } from '../core/ecs/task.ts';
import { FailureLimiter } from '../core/failure-limiter.ts';
import { getJson } from '../store/json.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { createAgentGateway, taskKeyOf } from './agent-gateway.ts';
import { instanceRefOf, issueSecret } from './instance-credentials.ts';
import { until } from '../../test/support/until.ts';

/** Waits on conditions here are bounds for a loaded machine (CI runs two passes on two cores), not speeds. */
const WAIT_MS = 30_000;
/** The rotations are 50 ms apart: poll at that pace. */
const POLL_MS = 20;

const POOL = fargatePoolScope(SCOPE.region);
const OTHER: Scope = { account: '210987654321', region: SCOPE.region };
const H1 = '1'.repeat(32);
const H2 = '2'.repeat(32);
const hostArn = (id: string) => ecsArn(POOL, `container-instance/${FARGATE_POOL_CLUSTER}/${id}`);
const T1 = 'a'.repeat(32);
const T2 = 'b'.repeat(32);
const T3 = 'c'.repeat(32);

/** A Fargate task of `cluster` (in `scope`) placed on pool host `host`. */
function fargateTask(scope: Scope, cluster: string, id: string, host: string): TaskRecord {
  return { ...taskRecord(cluster, id, { scope, awsvpc: true }), launchType: 'FARGATE', containerInstanceArn: hostArn(host) };
}

function definitionOp(scope: Scope) {
  const td = buildTaskDefinition(scope, { family: 'web', containerDefinitions: [{ name: 'app', image: 'busybox', essential: true } as ContainerDefinition], networkMode: 'awsvpc', cpu: '256', memory: '512' }, 1, 1_700_000_000, `arn:aws:iam::${scope.account}:root`);
  return putOp(keys.taskDefinition(scope, 'web', 1), td);
}

/**
 * A gateway on an in-memory store holding `ops`, listening on a port of its own, torn down
 * after the test with every session the test opened (push them on `sessions`).
 */
async function gatewayUnderTest(t: { after(f: () => Promise<void>): void }, options: Omit<Parameters<typeof createAgentGateway>[0], 'store' | 'state' | 'auth' | 'log'>, ops: Parameters<Store['txn']>[0]['ops']) {
  const store = await openSqliteStore(':memory:');
  const state = createClusterState(store);
  const lines: string[] = [];
  const auth = { checkJoinToken: () => false, limiter: new FailureLimiter(), log: (l: string) => lines.push(l), now: Date.now };
  const gateway = createAgentGateway({ store, state, log: (l) => lines.push(l), auth, ...options });
  const http = createServer();
  http.on('upgrade', (req, socket, head) => gateway.handleUpgrade(req, socket, head));
  const sessions: AgentSession[] = [];
  t.after(async () => {
    for (const s of sessions) s.close();
    await gateway.close();
    await new Promise((done) => http.close(done));
    state.close();
    await store.close();
  });
  await store.txn({ ops });
  await state.ready();
  await gateway.start();
  await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
  return { store, gateway, lines, sessions, endpoint: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

test('taskKeyOf: a task ARN names its own account, region and cluster; anything else names no key', () => {
  assert.equal(taskKeyOf(ecsArn(OTHER, `task/b/${T2}`)), keys.task(OTHER, 'b', T2));
  for (const bad of [undefined, 42, 'task/b/x', ecsArn(OTHER, 'task/b/not-an-id'), ecsArn(OTHER, `cluster/b/${T2}`), `arn:aws:s3:::task/b/${T2}`]) assert.equal(taskKeyOf(bad), undefined, String(bad));
});

test('a pool host\'s session gets the Fargate tasks of every cluster placed on it, and its reports land on each task\'s own key, for its own tasks only', async (t) => {
  const received: { scope: Scope; group: string; stream: string; events?: unknown }[] = [];
  const awslogs = {
    setup: async (scope: Scope, _now: number, group: string, stream: string) => {
      if (group === 'missing') throw Object.assign(new Error('The specified log group does not exist.'), { code: 'ResourceNotFoundException' });
      received.push({ scope, group, stream });
    },
    put: async (scope: Scope, _now: number, b: { group: string; stream: string; events: unknown }) => {
      // A binary frame's events arrive encoded: seen here as the lines they are.
      const events = Array.isArray(b.events) ? b.events : decodeEvents((b.events as EncodedEvents).region, (b.events as EncodedEvents).ends);
      received.push({ scope, group: b.group, stream: b.stream, events });
    },
  };
  const { store, sessions, endpoint } = await gatewayUnderTest(t, { awslogs }, [
    clusterOp(FARGATE_POOL_CLUSTER, POOL), instanceOp(FARGATE_POOL_CLUSTER, H1, { scope: POOL }), instanceOp(FARGATE_POOL_CLUSTER, H2, { scope: POOL }),
    clusterOp('a'), clusterOp('b', OTHER), definitionOp(SCOPE), definitionOp(OTHER),
    putOp(keys.task(SCOPE, 'a', T1), fargateTask(SCOPE, 'a', T1, H1)),
    putOp(keys.task(OTHER, 'b', T2), fargateTask(OTHER, 'b', T2, H1)),
    putOp(keys.task(SCOPE, 'a', T3), fargateTask(SCOPE, 'a', T3, H2)),
  ]);
  const secret = (await issueSecret(store, instanceRefOf(hostArn(H1))!, hostArn(H1), randomBytes(SECRET_BYTES), Date.now()))!;

  const snapshot = Promise.withResolvers<Assignment[]>();
  const changed = Promise.withResolvers<Assignment>();
  const session = new AgentSession(endpoint, { cluster: FARGATE_POOL_CLUSTER, containerInstanceArn: hostArn(H1), agentVersion: 'test' }, secret, {
    onSnapshot: (a) => snapshot.resolve(a),
    onAssignment: (a) => changed.resolve(a),
    log: () => {},
  });
  sessions.push(session);
  session.start();
  const hello = await snapshot.promise;
  assert.deepEqual(hello.map((a) => a.spec.ecs.taskArn).sort(), [ecsArn(SCOPE, `task/a/${T1}`), ecsArn(OTHER, `task/b/${T2}`)], 'both clusters\' tasks on this host, not the other host\'s');
  assert.equal(hello.find((a) => a.spec.ecs.taskArn.includes(T2))!.spec.ecs.family, 'web', 'the definition read from the task\'s own account');

  // Its own tasks' reports land, in each task's own account and cluster.
  session.report({ taskArn: ecsArn(OTHER, `task/b/${T2}`), status: 'RUNNING', containers: [] });
  // Another host's task, and a task ARN naming no task: refused (acknowledged, nothing written).
  session.report({ taskArn: ecsArn(SCOPE, `task/a/${T3}`), status: 'RUNNING', containers: [] });
  session.report({ taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/a/nope', status: 'RUNNING', containers: [] });
  session.report({ taskArn: ecsArn(SCOPE, `task/a/${T1}`), status: 'RUNNING', containers: [] });
  await until('every report acknowledged', async () => session.pending === 0 || undefined, WAIT_MS, POLL_MS);
  assert.equal((await getJson<TaskRecord>(store, keys.task(OTHER, 'b', T2)))!.value.lastStatus, 'RUNNING');
  assert.equal((await getJson<TaskRecord>(store, keys.task(SCOPE, 'a', T1)))!.value.lastStatus, 'RUNNING');
  assert.equal((await getJson<TaskRecord>(store, keys.task(SCOPE, 'a', T3)))!.value.lastStatus, 'PENDING', 'a report for another host\'s task changes nothing');

  // awslogs: in the task's own account and the region its options name; only for this host's tasks; AWS's errors come back.
  const other = { taskArn: ecsArn(OTHER, `task/b/${T2}`), region: 'eu-west-1', group: 'g', stream: 'p/app/t', createGroup: false };
  await session.awslogs({ op: 'setup', ...other });
  await session.awslogs({ op: 'put', ...other, events: [[1, 'hello', 6]] });
  const batch = new EventBatch();
  for (const [i, line] of ['binary', 'frame'].entries()) batch.add(2 + i, Buffer.from(line), 0, line.length, 20 + i);
  await session.awslogsBatch(other, batch);
  assert.deepEqual(received, [
    { scope: { account: OTHER.account, region: 'eu-west-1' }, group: 'g', stream: 'p/app/t' },
    { scope: { account: OTHER.account, region: 'eu-west-1' }, group: 'g', stream: 'p/app/t', events: [{ timestamp: 1, message: 'hello', end: 6 }] },
    { scope: { account: OTHER.account, region: 'eu-west-1' }, group: 'g', stream: 'p/app/t', events: [{ timestamp: 2, message: 'binary', end: 20 }, { timestamp: 3, message: 'frame', end: 21 }] },
  ]);
  await assert.rejects(session.awslogs({ op: 'setup', ...other, group: 'missing' }), { code: 'ResourceNotFoundException', message: 'ResourceNotFoundException: The specified log group does not exist.' });
  await assert.rejects(session.awslogs({ op: 'put', ...other, taskArn: ecsArn(SCOPE, `task/a/${T3}`), events: [[1, 'x', 2]] }), { code: 'AccessDeniedException' });
  await assert.rejects(session.awslogsBatch({ ...other, taskArn: ecsArn(SCOPE, `task/a/${T3}`) }, batch), { code: 'AccessDeniedException' });
  assert.equal(received.length, 3, 'another host\'s task writes nothing');

  // A task placed on the host later reaches it through the watch, whichever cluster it is of.
  const T4 = 'd'.repeat(32);
  await store.txn({ ops: [putOp(keys.task(OTHER, 'b', T4), fargateTask(OTHER, 'b', T4, H1))] });
  assert.equal((await changed.promise).spec.ecs.taskArn, ecsArn(OTHER, `task/b/${T4}`));

  // Scale-in protection asked by a task's container (its protection endpoint): the ECS rule,
  // in the task's own account, for this host's tasks only.
  const T5 = 'e'.repeat(32);
  const t5 = ecsArn(OTHER, `task/b/${T5}`);
  await store.txn({ ops: [putOp(keys.task(OTHER, 'b', T5), { ...fargateTask(OTHER, 'b', T5, H1), group: 'service:web', lastStatus: 'RUNNING' })] });
  const on = await session.protection(t5, true, 30);
  assert.deepEqual(on.protectedTasks?.map((p) => [p.taskArn, p.protectionEnabled]), [[t5, true]]);
  assert.ok(Math.abs(on.protectedTasks![0]!.expirationDate! - (Date.now() / 1000 + 1800)) < 5, 'expires in 30 minutes');
  assert.equal((await getJson<TaskRecord>(store, keys.task(OTHER, 'b', T5)))!.value.protectedUntil, on.protectedTasks![0]!.expirationDate);
  assert.equal((await session.protection(t5)).protectedTasks?.[0]?.protectionEnabled, true, 'read back');
  assert.equal((await session.protection(ecsArn(OTHER, `task/b/${T2}`), true)).failures?.[0]?.reason, 'TASK_NOT_VALID', 'a standalone task');
  assert.equal((await session.protection(ecsArn(SCOPE, `task/a/${T3}`), true)).error?.code, 'ResourceNotFoundException', "another host's task");
  assert.equal((await session.protection(t5, true, 5000)).error?.code, 'InvalidParameterException');
  assert.equal((await session.protection(t5, false)).protectedTasks?.[0]?.protectionEnabled, false);
});

test('a task with a role is sent with its role\'s credentials (the run\'s override first); one without, with none', async (t) => {
  const issued: string[] = [];
  const roleTd = buildTaskDefinition(SCOPE, { family: 'web', taskRoleArn: 'arn:aws:iam::123456789012:role/app', containerDefinitions: [{ name: 'app', image: 'busybox', essential: true, memory: 64 } as ContainerDefinition] }, 1, 1_700_000_000, 'arn:aws:iam::123456789012:root');
  const plainTd = buildTaskDefinition(SCOPE, { family: 'plain', containerDefinitions: [{ name: 'app', image: 'busybox', essential: true, memory: 64 } as ContainerDefinition] }, 1, 1_700_000_000, 'arn:aws:iam::123456789012:root');
  const onHost = (id: string, family: string, o: Partial<TaskRecord> = {}): TaskRecord => ({ ...taskRecord('a', id, { instance: H1, family }), ...o });
  const { store, sessions, endpoint } = await gatewayUnderTest(t, {
    credentialsRotateMs: 50,
    issueCredentials: (role, now) => {
      issued.push(`${role.roleArn} ${role.sessionName}`);
      return { roleArn: role.roleArn, accessKeyId: 'ASIATEST', secretAccessKey: 'secret', sessionToken: role.taskArn, expiration: now + 1000 };
    },
  }, [
    clusterOp('a'), instanceOp('a', H1), putOp(keys.taskDefinition(SCOPE, 'web', 1), roleTd), putOp(keys.taskDefinition(SCOPE, 'plain', 1), plainTd),
    putOp(keys.task(SCOPE, 'a', T1), onHost(T1, 'web')),
    putOp(keys.task(SCOPE, 'a', T2), onHost(T2, 'web', { overrides: { taskRoleArn: 'arn:aws:iam::123456789012:role/override' } })),
    putOp(keys.task(SCOPE, 'a', T3), onHost(T3, 'plain')),
  ]);
  const arn = ecsArn(SCOPE, `container-instance/a/${H1}`);
  const secret = (await issueSecret(store, instanceRefOf(arn)!, arn, randomBytes(SECRET_BYTES), Date.now()))!;
  const snapshot = Promise.withResolvers<Assignment[]>();
  const rotated: [string, string][] = [];
  const session = new AgentSession(endpoint, { cluster: 'a', containerInstanceArn: arn, agentVersion: 'test' }, secret, {
    onSnapshot: (a) => snapshot.resolve(a), onAssignment: () => {}, log: () => {},
    onCredentials: (taskArn, c) => { rotated.push([taskArn.slice(-32), c.roleArn]); },
  });
  sessions.push(session);
  session.start();
  const byId = new Map((await snapshot.promise).map((a) => [a.spec.ecs.taskArn.slice(-32), a]));
  assert.equal(byId.get(T1)!.roleCredentials?.roleArn, 'arn:aws:iam::123456789012:role/app');
  assert.equal(byId.get(T1)!.roleCredentials?.sessionToken, ecsArn(SCOPE, `task/a/${T1}`), 'issued for this task');
  assert.equal(byId.get(T2)!.roleCredentials?.roleArn, 'arn:aws:iam::123456789012:role/override');
  assert.equal(byId.get(T3)!.roleCredentials, undefined);
  // Issued for each task with a role, as the task's own session; never for the one without. (A set:
  // the 50 ms rotation may already have issued again by now on a loaded machine.)
  assert.deepEqual([...new Set(issued)].sort(), [`arn:aws:iam::123456789012:role/app ${T1}`, `arn:aws:iam::123456789012:role/override ${T2}`]);

  // Rotation: fresh credentials for each task with a role, and none for the one without.
  await until('both tasks rotated', async () => (rotated.some(([id]) => id === T1) && rotated.some(([id]) => id === T2)) || undefined, WAIT_MS, POLL_MS);
  assert.deepEqual([...new Set(rotated.map(([id, role]) => `${id} ${role}`))].sort(), [`${T1} arn:aws:iam::123456789012:role/app`, `${T2} arn:aws:iam::123456789012:role/override`]);
  // A task that stops leaves the rotation. The gateway learns of the stop through its watch, at
  // no set time: wait until rotations go on without T1 (three in a row: over two rounds, each of
  // which would have named it), then every later one must be T2's alone.
  await store.txn({ ops: [putOp(keys.task(SCOPE, 'a', T1), onHost(T1, 'web', { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' }))] });
  const lastThreeAreT2 = () => rotated.length >= 3 && rotated.slice(-3).every(([id]) => id === T2);
  await until('rotations without the stopped task', async () => lastThreeAreT2() || undefined, WAIT_MS, POLL_MS);
  rotated.length = 0;
  await until('three more rotations', async () => rotated.length >= 3 || undefined, WAIT_MS, POLL_MS);
  assert.ok(rotated.every(([id]) => id === T2), `rotated after the stop: ${JSON.stringify(rotated)}`);
});

test('a task with an execution role is sent its session too, rotated apart from the task role\'s; tags answer only for the session\'s own tasks', async (t) => {
  const td = buildTaskDefinition(SCOPE, { family: 'web', taskRoleArn: 'arn:aws:iam::123456789012:role/app', executionRoleArn: 'arn:aws:iam::123456789012:role/exec', containerDefinitions: [{ name: 'app', image: 'busybox', essential: true, memory: 64 } as ContainerDefinition] }, 1, 1_700_000_000, 'arn:aws:iam::123456789012:root');
  const tagged = { ...taskRecord('a', T1, { instance: H1 }), tags: [{ key: 'team', value: 'web' }] };
  const instance = putOp(keys.containerInstance(SCOPE, 'a', H1), { ...instanceRecord('a', H1), tags: [{ key: 'rack', value: 'r1' }] });
  const { store, sessions, endpoint } = await gatewayUnderTest(t, {
    credentialsRotateMs: 50,
    issueCredentials: (role, now) => ({ roleArn: role.roleArn, accessKeyId: 'ASIATEST', secretAccessKey: 'secret', sessionToken: role.taskArn, expiration: now + 1000 }),
  }, [clusterOp('a'), instance, putOp(keys.taskDefinition(SCOPE, 'web', 1), td), putOp(keys.task(SCOPE, 'a', T1), tagged), putOp(keys.task(SCOPE, 'a', T2), taskRecord('a', T2, { instance: H2 }))]);
  const arn = ecsArn(SCOPE, `container-instance/a/${H1}`);
  const secret = (await issueSecret(store, instanceRefOf(arn)!, arn, randomBytes(SECRET_BYTES), Date.now()))!;
  const snapshot = Promise.withResolvers<Assignment[]>();
  const rotated: string[] = [];
  const session = new AgentSession(endpoint, { cluster: 'a', containerInstanceArn: arn, agentVersion: 'test' }, secret, {
    onSnapshot: (a) => snapshot.resolve(a), onAssignment: () => {}, log: () => {},
    onCredentials: (_taskArn, c, execution) => { rotated.push(`${execution ? 'execution' : 'task'} ${c.roleArn}`); },
  });
  sessions.push(session);
  session.start();
  const [a] = await snapshot.promise;
  assert.equal(a!.roleCredentials?.roleArn, 'arn:aws:iam::123456789012:role/app');
  assert.equal(a!.executionRoleCredentials?.roleArn, 'arn:aws:iam::123456789012:role/exec');
  assert.equal(a!.executionRoleCredentials?.sessionToken, ecsArn(SCOPE, `task/a/${T1}`), 'issued for this task');
  await until('both sessions rotated', async () => new Set(rotated).size >= 2 || undefined, WAIT_MS, POLL_MS);
  assert.deepEqual([...new Set(rotated)].sort(), ['execution arn:aws:iam::123456789012:role/exec', 'task arn:aws:iam::123456789012:role/app']);

  const tags = await session.tags(ecsArn(SCOPE, `task/a/${T1}`));
  assert.deepEqual([tags.taskTags, tags.containerInstanceTags, tags.errors], [[{ key: 'team', value: 'web' }], [{ key: 'rack', value: 'r1' }], undefined]);
  const other = await session.tags(ecsArn(SCOPE, `task/a/${T2}`));
  assert.deepEqual([other.taskTags, other.errors?.[0]?.field], [undefined, 'TaskTags'], "another host's task");
});

test('a forwarded port: bytes both ways through the task\'s agent, the port\'s close and a refusal with the dialler\'s words', async (t) => {
  // No task needs to be stored: the gateway sends to the session of the task's instance, and the agent's end decides.
  const { store, gateway, sessions, endpoint } = await gatewayUnderTest(t, {}, [clusterOp('a'), instanceOp('a', H1)]);
  const arn = ecsArn(SCOPE, `container-instance/a/${H1}`);
  const secret = (await issueSecret(store, instanceRefOf(arn)!, arn, randomBytes(SECRET_BYTES), Date.now()))!;
  // The agent's end, as agent.ts wires it, dialling a local server in place of the task's network.
  const web = createNetServer((s) => { let got = ''; s.on('data', (c: Buffer) => (got += c.toString())); s.on('end', () => s.end(`${got}!`)); });
  await new Promise<void>((done) => web.listen(0, '127.0.0.1', done));
  t.after(() => { web.close(); });
  const ports = new PortForwards();
  const snapshot = Promise.withResolvers<Assignment[]>();
  const session: AgentSession = new AgentSession(endpoint, { cluster: 'a', containerInstanceArn: arn, agentVersion: 'test' }, secret, {
    onSnapshot: (a) => snapshot.resolve(a), onAssignment: () => {}, log: () => {},
    onRequest: (req) => {
      if (req.type === 'portOpen' || req.type === 'portData' || req.type === 'cancel') ports.handle(session, req, () => ({ kind: 'address', host: '127.0.0.1' }), (m) => session.answer(m));
    },
  });
  sessions.push(session);
  session.start();
  await snapshot.promise;
  const task = { taskArn: ecsArn(SCOPE, `task/a/${T1}`), containerInstanceArn: arn };
  const { port } = web.address() as AddressInfo;
  const read = (s: Duplex) => new Promise<string>((resolve, reject) => {
    let out = '';
    s.on('data', (c: Buffer) => (out += c.toString()));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
  const conn = gateway.portForward(task, port);
  conn.end('ping');
  assert.equal(await read(conn), 'ping!');
  const closed = await new Promise<number>((done) => { const s = createNetServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as AddressInfo).port; s.close(() => done(p)); }); });
  const refused = gateway.portForward(task, closed);
  refused.end('x');
  await assert.rejects(read(refused), new RegExp(`dial tcp4 127\\.0\\.0\\.1:${closed}: connect: connection refused`));
  assert.equal(ports.size, 0);
});
