import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidAddressError, addressAt, formatIp, macForIp, offsetOf, overlaps, parseIp, parseSubnet, parseTaskSubnet, taskOffsetRange } from './ipv4.ts';

test('addresses round-trip through numbers', () => {
  for (const ip of ['0.0.0.0', '10.0.0.1', '172.30.240.17', '255.255.255.255']) assert.equal(formatIp(parseIp(ip)), ip);
  for (const bad of ['1.2.3', '1.2.3.256', '01.2.3.4', 'a.b.c.d', '1.2.3.4.5']) assert.throws(() => parseIp(bad), InvalidAddressError);
});

test('a subnet must be a network address with a sane prefix', () => {
  const s = parseSubnet('172.30.240.0/20');
  assert.equal(s.size, 4096);
  assert.equal(addressAt(s, 1), '172.30.240.1');
  assert.equal(offsetOf(s, '172.30.255.254'), 4094);
  assert.equal(offsetOf(s, '172.31.0.0'), undefined);
  assert.throws(() => parseSubnet('172.30.240.1/20'), /host bits set; the network address is 172.30.240.0\/20/);
  assert.throws(() => parseTaskSubnet('10.0.0.0/8'), /between \/12 and \/29/);
  assert.throws(() => parseTaskSubnet('10.0.0.0/30'), /between \/12 and \/29/);
});

test('task offsets skip the network address, the gateway and broadcast', () => {
  assert.deepEqual(taskOffsetRange(parseSubnet('10.1.2.0/24')), { first: 2, last: 254 });
});

test('overlap', () => {
  assert.ok(overlaps(parseSubnet('10.0.0.0/16'), parseSubnet('10.0.4.0/24')));
  assert.ok(!overlaps(parseSubnet('10.0.0.0/24'), parseSubnet('10.0.1.0/24')));
});

test('MACs are locally administered, tagged and carry the address', () => {
  assert.equal(macForIp('172.30.240.2', 0xb5), '02:b5:ac:1e:f0:02');
});
