import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExhaustedError, HostPortConflictError, TaskConflictError, allocateTask, nextFree, type AllocationInputs } from './allocate.ts';
import { resolveConfig } from './config.ts';
import { normalizeRequest } from './request.ts';
import { MAX_HOST_GUARDED_TASKS } from './host-guard.ts';
import { emptyState, withoutTask, type NetworkState, type TaskRecord } from './state.ts';
import type { TaskNetworkRequest } from './types.ts';

const config = resolveConfig({ stateDir: '/unused', bridge: { subnet: '10.9.0.0/29' }, hostPorts: { first: 40000, last: 40003, reserved: [40001] } });
const inputs: AllocationInputs = { busyPorts: new Set(['tcp/40002']), randomHex: (n) => 'a'.repeat(n), randomUuid: () => '00000000-0000-4000-8000-000000000000' };

function alloc(state: NetworkState, r: TaskNetworkRequest) {
  return allocateTask(state, config, normalizeRequest(r), inputs);
}

test('a bridge task gets the next address, a veth named after it and a dynamic port skipping reserved and busy ones', () => {
  const { record } = alloc(emptyState(), { taskId: 't1', containers: [{ name: 'web', portMappings: [{ containerPort: 80 }, { containerPort: 81 }] }] });
  assert.deepEqual(record.endpoints, [{ netns: 'berth-t1', network: 'bridge', hostVeth: 'bthb2', ip: '10.9.0.2', mac: '02:b5:0a:09:00:02', containers: ['web'] }]);
  assert.deepEqual(record.ports.map((p) => p.hostPort), [40000, 40003]);
  assert.equal(record.phase, 'allocated');
});

test('allocation is idempotent per task id and refuses other settings', () => {
  const req = { taskId: 't1', containers: [{ name: 'web', portMappings: [{ containerPort: 80 }] }] };
  const first = alloc(emptyState(), req);
  const again = alloc(first.state, req);
  assert.equal(again.state, first.state);
  assert.equal(again.record, first.record);
  assert.throws(() => alloc(first.state, { ...req, mode: 'awsvpc' }), TaskConflictError);
});

test('addresses and ports are handed out round-robin and reused only after wrapping', () => {
  let s = alloc(emptyState(), { taskId: 'a', containers: [{ name: 'c' }] }).state;
  s = alloc(s, { taskId: 'b', containers: [{ name: 'c' }] }).state;
  s = withoutTask(s, 'a');
  const c = alloc(s, { taskId: 'c', containers: [{ name: 'c' }] });
  assert.equal(c.record.endpoints[0]?.ip, '10.9.0.4', 'not the just-released .2');
});

test('a /29 holds five tasks; the sixth is refused', () => {
  let s = emptyState();
  for (let i = 0; i < 5; i++) s = alloc(s, { taskId: `t${i}`, containers: [{ name: 'c' }] }).state;
  assert.throws(() => alloc(s, { taskId: 'more', containers: [{ name: 'c' }] }), ExhaustedError);
});

test('static host ports conflict across tasks, also with host-mode tasks', () => {
  const s = alloc(emptyState(), { taskId: 'h', mode: 'host', cgroup: '/berth/h', containers: [{ name: 'c', portMappings: [{ containerPort: 8080 }] }] }).state;
  assert.throws(() => alloc(s, { taskId: 'b', containers: [{ name: 'c', portMappings: [{ containerPort: 80, hostPort: 8080 }] }] }), /8080\/tcp is already taken by task h/);
  assert.throws(() => alloc(s, { taskId: 'b', containers: [{ name: 'c', portMappings: [{ containerPort: 80, hostPort: 8080 }] }] }), HostPortConflictError);
  alloc(s, { taskId: 'u', containers: [{ name: 'c', portMappings: [{ containerPort: 80, hostPort: 8080, protocol: 'udp' }] }] });
});

test('awsvpc tasks hold no host port: two of them listen on the same port, and a bridge task may still take it on the host', () => {
  const vpc = resolveConfig({ stateDir: '/unused', bridge: { subnet: '10.9.0.0/29' }, vpc: { subnet: '10.9.1.0/29' } });
  const a = (s: NetworkState, r: TaskNetworkRequest) => allocateTask(s, vpc, normalizeRequest(r), inputs);
  let s = a(emptyState(), { taskId: 'v1', mode: 'awsvpc', containers: [{ name: 'web', portMappings: [{ containerPort: 80 }] }] }).state;
  s = a(s, { taskId: 'v2', mode: 'awsvpc', containers: [{ name: 'web', portMappings: [{ containerPort: 80 }] }] }).state;
  assert.deepEqual(Object.keys(s.tasks).sort(), ['v1', 'v2']);
  const b = a(s, { taskId: 'b', containers: [{ name: 'web', portMappings: [{ containerPort: 80, hostPort: 80 }] }] });
  assert.equal(b.record.ports[0]?.hostPort, 80);
});

test('per-container isolation makes one endpoint per container; ports target their container', () => {
  const { record } = alloc(emptyState(), { taskId: 'l', isolation: 'container', containers: [{ name: 'app', portMappings: [{ containerPort: 80 }] }, { name: 'db' }] });
  assert.deepEqual(record.endpoints.map((e) => [e.netns, e.ip, e.containers]), [['berth-l.0', '10.9.0.2', ['app']], ['berth-l.1', '10.9.0.3', ['db']]]);
  assert.equal(record.ports[0]?.targetIp, '10.9.0.2');
});

test('awsvpc gets an ENI identity; none a bare namespace; host nothing', () => {
  const v = alloc(emptyState(), { taskId: 'v', mode: 'awsvpc', containers: [{ name: 'c' }] }).record;
  assert.deepEqual(v.eni, { attachmentId: '00000000-0000-4000-8000-000000000000', eniId: `eni-${'a'.repeat(17)}` });
  assert.equal(v.endpoints[0]?.hostVeth, 'bthv2');
  assert.deepEqual(alloc(emptyState(), { taskId: 'n', mode: 'none', containers: [{ name: 'c' }] }).record.endpoints, [{ netns: 'berth-n', network: 'none', containers: ['c'] }]);
  assert.deepEqual(alloc(emptyState(), { taskId: 'h', mode: 'host', cgroup: '/berth/h', containers: [{ name: 'c' }] }).record.endpoints, []);
});

test('host-mode tasks get the lowest free loopback-guard mark, in its bit range; a freed one is reused', () => {
  let s = emptyState();
  for (const id of ['h1', 'h2', 'h3']) s = alloc(s, { taskId: id, mode: 'host', cgroup: `/berth/${id}`, containers: [{ name: 'c' }] }).state;
  assert.deepEqual(Object.values(s.tasks).map((t) => t.hostGuard), [
    { cgroup: 'berth/h1', mark: 0x00200000 },
    { cgroup: 'berth/h2', mark: 0x00400000 },
    { cgroup: 'berth/h3', mark: 0x00600000 },
  ]);
  s = withoutTask(s, 'h2');
  assert.equal(alloc(s, { taskId: 'h4', mode: 'host', cgroup: '/berth/h4', containers: [{ name: 'c' }] }).record.hostGuard?.mark, 0x00400000);
  assert.equal(alloc(s, { taskId: 'b', containers: [{ name: 'c' }] }).record.hostGuard, undefined);
});

test('the guard refuses a host-mode task when every mark is taken', () => {
  const tasks: Record<string, TaskRecord> = {};
  for (let i = 1; i <= MAX_HOST_GUARDED_TASKS; i++) {
    tasks[`h${i}`] = { taskId: `h${i}`, mode: 'host', isolation: 'task', fingerprint: '', phase: 'ready', containers: ['c'], endpoints: [], ports: [], hostGuard: { cgroup: `berth/h${i}`, mark: (i << 21) >>> 0 } };
  }
  assert.equal(MAX_HOST_GUARDED_TASKS, 1023);
  assert.throws(() => alloc({ ...emptyState(), tasks }, { taskId: 'more', mode: 'host', cgroup: '/berth/more', containers: [{ name: 'c' }] }), /1023 host-mode tasks already run here/);
});

test('nextFree wraps once from the cursor', () => {
  assert.equal(nextFree(1, 5, 4, (n) => n === 4), 5);
  assert.equal(nextFree(1, 5, 5, (n) => n === 5), 1);
  assert.equal(nextFree(1, 3, 0, () => true), undefined);
});
