import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerSpec } from '../core/workload/spec.ts';
import { containerReports, type Slot } from './task-slot.ts';

const spec = (o: Partial<ContainerSpec> = {}): ContainerSpec => ({ name: 'web', image: 'i', essential: false, env: [], ports: [], resources: { cpu: 0 }, mounts: [], ...o });
const slot = (o: Partial<Slot> = {}): Slot => ({ spec: spec(), essential: false, state: 'running', health: 'UNKNOWN', unhealthy: false, restarts: { count: 0 }, ...o });

test('an ECS container without a restart policy or probes reports as before: no pod facts', () => {
  const [r] = containerReports([slot({ state: 'exited', exit: { exitCode: 2, oomKilled: false } })], undefined, 'RUNNING');
  assert.deepEqual(r, { name: 'web', status: 'STOPPED', exitCode: 2, healthStatus: 'UNKNOWN' });
});

test('a container waiting to restart is RUNNING with its last termination and waiting reason, no exit code; STOPPED once the task is', () => {
  const timer = setTimeout(() => {}, 0);
  clearTimeout(timer);
  const waiting = slot({
    spec: spec({ restart: { policy: 'Always' } }), state: 'exited', exit: { exitCode: 1, oomKilled: false }, restartTimer: timer,
    restarts: { count: 2, backoffSeconds: 40 }, lastTermination: { exitCode: 1, reason: 'Error', startedAt: 1, finishedAt: 2 }, waitingReason: 'CrashLoopBackOff',
  });
  const [r] = containerReports([waiting], undefined, 'RUNNING');
  assert.deepEqual(r, {
    name: 'web', status: 'RUNNING', healthStatus: 'UNKNOWN', restartCount: 2,
    lastTermination: { exitCode: 1, reason: 'Error', startedAt: 1, finishedAt: 2 }, waiting: { reason: 'CrashLoopBackOff' },
  });
  const [stopped] = containerReports([waiting], undefined, 'STOPPED');
  assert.deepEqual([stopped!.status, stopped!.exitCode, stopped!.waiting], ['STOPPED', 1, null]);
});

test('probes: started and ready only while it runs', () => {
  const probe = { handler: { tcpSocket: { port: 80 } }, initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 1 };
  const probed = slot({ spec: spec({ probes: { readiness: probe } }), started: true, ready: true });
  assert.deepEqual(containerReports([probed], undefined, 'RUNNING').map((r) => [r.started, r.ready, r.restartCount, r.waiting]), [[true, true, 0, null]]);
  assert.deepEqual(containerReports([{ ...probed, state: 'exited' }], undefined, 'RUNNING').map((r) => [r.started, r.ready]), [[false, false]]);
});
