import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskNetwork } from '../runtime/network/types.ts';
import { probeAddress } from './task-network.ts';

const net = (o: Partial<TaskNetwork>): TaskNetwork => ({ taskId: 't', mode: 'awsvpc', hostNetwork: false, containers: [], ...o });

test('a probe reaches the container\'s own address, else the task\'s; host mode and no network: localhost', () => {
  assert.equal(probeAddress(net({ ip: '10.0.0.5' }), 'web'), '10.0.0.5');
  assert.equal(probeAddress(net({ mode: 'bridge', containers: [{ name: 'web', ip: '172.30.240.9', networkBindings: [], networkInterfaces: [] }] }), 'web'), '172.30.240.9');
  assert.equal(probeAddress(net({ mode: 'host', hostNetwork: true }), 'web'), '127.0.0.1');
  assert.equal(probeAddress(undefined, 'web'), '127.0.0.1');
});
