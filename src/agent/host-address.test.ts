import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { hostAddress } from './host-address.ts';

const nic = (address: string, internal = false): NetworkInterfaceInfo =>
  ({ address, netmask: '255.255.255.0', family: address.includes(':') ? 'IPv6' : 'IPv4', mac: '00:00:00:00:00:00', internal, cidr: null }) as NetworkInterfaceInfo;
const machine = { lo: [nic('127.0.0.1', true)], berth0: [nic('172.30.240.1')], 'berth-vpc0': [nic('172.30.224.1')], eth0: [nic('fe80::1'), nic('192.0.2.2')] };

test('a host that dials the control plane over the network is known by the address it dials from', () => {
  assert.equal(hostAddress('172.30.208.3', machine), '172.30.208.3');
  assert.equal(hostAddress('::ffff:172.30.208.3', machine), '172.30.208.3', 'an IPv4-mapped address is the IPv4 one');
});

test('an agent beside its control plane (loopback) takes the host\'s first IPv4 address that is not loopback nor one of Berth\'s bridges', () => {
  assert.equal(hostAddress('127.0.0.1', machine), '192.0.2.2');
  assert.equal(hostAddress(undefined, machine), '192.0.2.2');
  assert.equal(hostAddress('127.0.0.1', { lo: [nic('127.0.0.1', true)], berth0: [nic('172.30.240.1')] }), undefined, 'nothing to name');
});
