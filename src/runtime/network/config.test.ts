import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetworkConfigError, resolveConfig } from './config.ts';

test('defaults', () => {
  const c = resolveConfig({ stateDir: '/s' });
  assert.equal(c.bridge.bridge, 'berth0');
  assert.equal(c.bridge.gateway, '172.30.240.1');
  assert.equal(c.vpc.bridge, 'berth-vpc0');
  assert.equal(c.vpc.subnet.cidr, '172.30.224.0/20');
  assert.match(c.vpc.subnetId, /^subnet-[0-9a-f]{17}$/);
  assert.equal(resolveConfig({ stateDir: '/t' }).vpc.subnetId, c.vpc.subnetId, 'stable per subnet');
  assert.deepEqual([c.hostPorts.first, c.hostPorts.last], [32768, 61000]);
  assert.ok(c.hostPorts.reserved.has(51678));
});

test('bad options say what to fix', () => {
  const bad: [object, RegExp][] = [
    [{ bridge: { subnet: '10.0.0.0/24' }, vpc: { subnet: '10.0.0.0/16' } }, /overlaps/],
    [{ bridge: { name: 'a-very-long-bridge-name' } }, /must be 1-15/],
    [{ vpc: { name: 'berth0' } }, /different bridge names/],
    [{ bridge: { subnet: '10.0.0.1/24' } }, /bridge.subnet: .*host bits/],
    [{ hostPorts: { first: 5, last: 4 } }, /not a port range/],
    [{ nftTable: 'no-dashes' }, /nftTable/],
    [{ vethPrefix: 'toolong7' }, /vethPrefix/],
  ];
  for (const [o, msg] of bad) assert.throws(() => resolveConfig({ stateDir: '/s', ...o }), (e: Error) => e instanceof NetworkConfigError && msg.test(e.message));
});
