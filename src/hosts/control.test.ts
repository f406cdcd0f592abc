import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { askHostControl, CONTROL_SOCKET, serveHostControl } from './control.ts';
import { hostLayout } from './layout.ts';
import { HostSupervisor } from './supervisor.ts';

// A supervisor of three hosts that were never started: what answers without touching the machine.
const supervisor = (dataDir: string) => new HostSupervisor({
  hosts: [1, 2, 3].map((i) => hostLayout(i, dataDir, 'us-east-2')), machineInstanceArn: 'arn:aws:ecs:us-east-2:000000000000:container-instance/default/1',
  endpoint: 'http://172.30.208.1:1', joinToken: 'x', agentArgs: [], log: () => undefined,
});

test('berth host over the socket: ls, and the refusals for host-1 and unknown hosts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-hosts-control-'));
  const stop = await serveHostControl(dir, supervisor(dir), () => undefined);
  try {
    assert.equal(statSync(join(dir, CONTROL_SOCKET)).mode & 0o777, 0o600, 'root only');
    const ls = await askHostControl(dir, { op: 'ls' });
    assert.ok('hosts' in ls);
    assert.deepEqual(ls.hosts.map((h) => [h.name, h.state, h.availabilityZone, h.netns]), [
      ['host-1', 'machine', 'us-east-2a', null], ['host-2', 'down', 'us-east-2b', 'bhost-2'], ['host-3', 'down', 'us-east-2c', 'bhost-3'],
    ]);
    assert.deepEqual(await askHostControl(dir, { op: 'kill', name: '1' }), { error: "host-1 is this machine, where the control plane runs: 'berth up' stops it; kill host-2 and up to simulate a lost host" });
    assert.deepEqual(await askHostControl(dir, { op: 'start', name: 'host-4' }), { error: "there is no host 'host-4': the hosts are host-1 to host-3 ('berth host ls' lists them)" });
    assert.deepEqual(await askHostControl(dir, { op: 'reboot' } as never), { error: 'unknown op reboot' });
  } finally {
    await stop();
    assert.ok(!existsSync(join(dir, CONTROL_SOCKET)), 'the socket goes with it');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a socket file a killed berth up left is replaced', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-hosts-control-'));
  try {
    const first = await serveHostControl(dir, supervisor(dir), () => undefined);
    // Not stopped: as if its process was killed, the file stays; a new one takes its place.
    const second = await serveHostControl(dir, supervisor(dir), () => undefined);
    assert.ok('hosts' in await askHostControl(dir, { op: 'ls' }));
    await second();
    await first().catch(() => undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
