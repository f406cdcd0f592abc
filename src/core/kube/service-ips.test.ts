import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocateClusterIP, allocateNodePort, apiServerIP, dnsServiceIP, parseRange } from './service-ips.ts';

const eks = parseRange('10.100.0.0/16');

test("EKS's well-known addresses: the API server's .1 and cluster DNS's .10", () => {
  assert.equal(apiServerIP(eks), '10.100.0.1');
  assert.equal(dnsServiceIP(eks), '10.100.0.10');
  assert.equal(apiServerIP(parseRange('172.20.7.9/16')), '172.20.0.1');
});

test('a requested cluster IP is given when in range and free, refused with the API server\'s words otherwise', () => {
  assert.deepEqual(allocateClusterIP(eks, new Set(), Math.random, '10.100.0.10'), { ok: '10.100.0.10' });
  assert.deepEqual(allocateClusterIP(eks, new Set(['10.100.0.10']), Math.random, '10.100.0.10'),
    { field: 'spec.clusterIPs', value: ['10.100.0.10'], message: 'failed to allocate IP 10.100.0.10: provided IP is already allocated' });
  for (const bad of ['10.101.0.1', '10.100.0.0', '10.100.255.255', 'nonsense']) {
    const r = allocateClusterIP(eks, new Set(), Math.random, bad);
    assert.ok('message' in r && r.message.endsWith('provided IP is not in the valid range. The range of valid IPs is 10.100.0.0/16'), bad);
  }
});

test('dynamic cluster IPs come from above the static band, and below it only when the rest is full', () => {
  for (const r of [0, 0.3, 0.999]) {
    const a = allocateClusterIP(eks, new Set(), () => r);
    assert.ok('ok' in a);
    const last = Number(a.ok.split('.')[2]) * 256 + Number(a.ok.split('.')[3]);
    assert.ok(last > 256 && last < 65535, a.ok);
  }
  const small = parseRange('10.0.0.0/28');
  const used = new Set<string>();
  for (let i = 0; i < 14; i++) {
    const a = allocateClusterIP(small, used, () => 0.5);
    assert.ok('ok' in a, `address ${i + 1} of 14`);
    used.add(a.ok);
  }
  assert.ok(!used.has('10.0.0.0') && !used.has('10.0.0.15'));
  assert.deepEqual(allocateClusterIP(small, used, () => 0.5), { field: 'spec.clusterIPs', value: [], message: 'failed to allocate a serviceIP: range is full' });
});

test('node ports: asked for within 30000-32767 and free, else a free one', () => {
  assert.deepEqual(allocateNodePort(new Set(), Math.random, 0, 30080), { ok: 30080 });
  assert.deepEqual(allocateNodePort(new Set([30080]), Math.random, 1, 30080), { field: 'spec.ports[1].nodePort', value: 30080, message: 'provided port is already allocated' });
  assert.deepEqual(allocateNodePort(new Set(), Math.random, 0, 8080),
    { field: 'spec.ports[0].nodePort', value: 8080, message: 'provided port is not in the valid range. The range of valid ports is 30000-32767' });
  assert.deepEqual(allocateNodePort(new Set([30000]), () => 0, 0), { ok: 30001 });
});
