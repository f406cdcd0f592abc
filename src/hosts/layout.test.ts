import { test } from 'node:test';
import assert from 'node:assert/strict';
import { overlaps, parseSubnet } from '../runtime/network/ipv4.ts';
import { resolveConfig } from '../runtime/network/config.ts';
import { DEFAULT_INSTANCE_TYPE, HOSTS_NETWORK, HostLayoutError, MAX_HOSTS, hostLayout, hostNetworkNames, parseHostName, parseInstanceTypes, podGateway } from './layout.ts';

const all = Array.from({ length: MAX_HOSTS }, (_, i) => hostLayout(i + 1, '/var/lib/berth', 'eu-west-3'));

test('host 1 is the machine with the defaults of one host', () => {
  const h = all[0]!;
  assert.deepEqual([h.name, h.netns, h.dataDir, h.runDir, h.availabilityZone], ['host-1', undefined, '/var/lib/berth/agent', '/run/berth', 'eu-west-3a']);
  assert.deepEqual(hostNetworkNames(1), { bridge: 'berth0', bridgeSubnet: '172.30.240.0/20', vpcBridge: 'berth-vpc0', vpcSubnet: '172.30.224.0/20', nftTable: 'berth', netnsPrefix: 'berth-', vethPrefix: 'bth' });
});

test('zones go a, b, c in turn from the region', () => {
  assert.deepEqual(all.slice(0, 5).map((h) => h.availabilityZone), ['eu-west-3a', 'eu-west-3b', 'eu-west-3c', 'eu-west-3a', 'eu-west-3b']);
});

test('instance types go round the list given, as zones do; berth.host when none is given', () => {
  assert.deepEqual(all.slice(0, 2).map((h) => h.instanceType), [DEFAULT_INSTANCE_TYPE, DEFAULT_INSTANCE_TYPE]);
  const types = parseInstanceTypes('t3.small, m5.large');
  assert.deepEqual([1, 2, 3, 4].map((i) => hostLayout(i, '/d', 'us-east-1', types).instanceType), ['t3.small', 'm5.large', 't3.small', 'm5.large']);
  for (const bad of ['', 't3', 'T3.small', 't3.small,,m5.large', 'a b.c']) assert.throws(() => parseInstanceTypes(bad), HostLayoutError, bad);
});

test('no two hosts share a name, directory, namespace, address, bridge, table or prefix, and every name is valid', () => {
  for (const key of ['name', 'netns', 'address', 'dataDir', 'runDir'] as const) {
    const values = all.map((h) => h[key]).filter((v) => v !== undefined);
    assert.equal(new Set(values).size, values.length, key);
  }
  const names = all.flatMap((h) => [h.network.bridge, h.network.vpcBridge]);
  assert.equal(new Set(names).size, names.length);
  assert.equal(new Set(all.map((h) => h.network.nftTable)).size, MAX_HOSTS);
  for (const a of all) {
    // resolveConfig checks lengths and characters of every name, and that the two subnets are disjoint.
    resolveConfig({ stateDir: '/x', bridge: { name: a.network.bridge, subnet: a.network.bridgeSubnet }, vpc: { name: a.network.vpcBridge, subnet: a.network.vpcSubnet }, nftTable: a.network.nftTable, netnsPrefix: a.network.netnsPrefix, vethPrefix: a.network.vethPrefix });
    for (const b of all) {
      if (a === b) continue;
      assert.ok(!a.network.netnsPrefix.startsWith(b.network.netnsPrefix), `${a.name}'s task namespaces would be swept by ${b.name}`);
      for (const s of [a.network.bridgeSubnet, a.network.vpcSubnet]) {
        for (const t of [b.network.bridgeSubnet, b.network.vpcSubnet]) assert.ok(!overlaps(parseSubnet(s), parseSubnet(t)), `${s} and ${t}`);
      }
    }
    for (const s of [a.network.bridgeSubnet, a.network.vpcSubnet]) assert.ok(!overlaps(parseSubnet(s), parseSubnet(`${HOSTS_NETWORK.prefix}.0/${HOSTS_NETWORK.length}`)), s);
  }
});

test('host names: host-N or N, within the hosts there are', () => {
  assert.equal(parseHostName('host-3', 3), 3);
  assert.equal(parseHostName('2', 3), 2);
  assert.throws(() => parseHostName('host-4', 3), /there is no host 'host-4': the hosts are host-1 to host-3/);
  assert.throws(() => parseHostName('web', 3), HostLayoutError);
  assert.throws(() => hostLayout(MAX_HOSTS + 1, '/d', 'us-east-1'), /from 1 to 16/);
});

test("a host's pod gateway is its awsvpc bridge's first address: host 1's the default bridge's, where every host's pods reach the API servers", () => {
  assert.equal(podGateway(1), '172.30.224.1');
  assert.equal(podGateway(2), '172.30.20.1');
  assert.equal(podGateway(3), `172.30.${8 * 3 + 4}.1`);
});
