// The loopback guard in the base ruleset (CVE-2020-8558): which packets it drops, on which
// interfaces, and where it sits relative to NAT. test/network-loopback.test.ts proves it
// against a raw-socket attack from inside real containers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from './config.ts';
import { baseScript, taskFacingInterfaces } from './nft-plan.ts';
import { emptyState } from './state.ts';

const config = resolveConfig({ stateDir: '/unused' });

/** The body of one chain of the inet table, as its lines. */
function chain(script: string, name: string): string[] {
  const m = new RegExp(`\\n  chain ${name} \\{\\n([\\s\\S]*?)\\n  \\}\\n`).exec(script);
  assert.ok(m, `chain ${name} is in the ruleset`);
  return (m[1] ?? '').split('\n').map((l) => l.trim());
}

test('every interface a task can send on is guarded: both bridges and both veth stems', () => {
  assert.deepEqual(taskFacingInterfaces(config), ['berth0', 'berth-vpc0', 'bthb*', 'bthv*']);
  const custom = resolveConfig({ stateDir: '/unused', bridge: { name: 'tb0' }, vpc: { name: 'tv0' }, vethPrefix: 'zz' });
  assert.deepEqual(taskFacingInterfaces(custom), ['tb0', 'tv0', 'zzb*', 'zzv*']);
  assert.deepEqual(chain(baseScript(custom, emptyState(), []), 'guard_loopback'), [
    'type filter hook prerouting priority dstnat + 10; policy accept;',
    'iifname { "tb0", "tv0", "zzb*", "zzv*" } jump from_task',
  ]);
});

test('from a task, loopback is dropped as destination and as source, IPv4 and IPv6, unless a port mapping DNATed the connection', () => {
  assert.deepEqual(chain(baseScript(config, emptyState(), []), 'from_task'), [
    'ct status dnat return',
    'ip daddr 127.0.0.0/8 drop',
    'ip saddr 127.0.0.0/8 drop',
    'ip6 daddr { ::1, ::ffff:127.0.0.0/104 } drop',
    'ip6 saddr { ::1, ::ffff:127.0.0.0/104 } drop',
  ]);
});

test('the guard runs after NAT prerouting, so a mapped packet already has its task address', () => {
  const s = baseScript(config, emptyState(), []);
  assert.match(chain(s, 'prerouting')[0] ?? '', /priority dstnat;/);
  assert.match(chain(s, 'guard_loopback')[0] ?? '', /hook prerouting priority dstnat \+ 10;/);
});

test('localhost port maps stay: output DNAT, and masquerade of loopback sources leaving the bridge', () => {
  const s = baseScript(config, emptyState(), []);
  assert.ok(chain(s, 'output').includes('fib daddr type local meta l4proto tcp dnat ip to tcp dport map @tcp_ports'));
  assert.ok(chain(s, 'postrouting').includes('oifname "berth0" ip saddr 127.0.0.0/8 masquerade'));
});

test('169.254.170.2:80 from a task goes to the endpoint server on its own bridge\'s gateway, before any port mapping', () => {
  const custom = resolveConfig({ stateDir: '/unused', bridge: { name: 'tb0', subnet: '10.9.0.0/24' }, vpc: { name: 'tv0', subnet: '10.9.1.0/24' }, vethPrefix: 'zz', metadataPort: 40123 });
  const lines = chain(baseScript(custom, emptyState(), []), 'prerouting');
  assert.deepEqual(lines.slice(1, 3), [
    'iifname { "tb0", "zzb*" } ip daddr 169.254.170.2 tcp dport 80 dnat ip to 10.9.0.1:40123',
    'iifname { "tv0", "zzv*" } ip daddr 169.254.170.2 tcp dport 80 dnat ip to 10.9.1.1:40123',
  ]);
  assert.match(lines[3]!, /dnat ip to tcp dport map @tcp_ports/);
  assert.equal(config.metadataPort, 51679, 'the ECS agent\'s credentials port, already reserved from dynamic host ports');
  assert.throws(() => resolveConfig({ stateDir: '/unused', metadataPort: 0 }), /metadataPort 0 is not a port/);
});

/** The body of one chain of the bridge table, as its lines. */
function bridgeChain(script: string, name: string): string[] {
  return chain(script.slice(script.indexOf('\ntable bridge ')), name);
}

test('into an awsvpc task, from other tasks and hosts: replies, and new flows to a published port only', () => {
  const s = baseScript(config, emptyState(), []);
  assert.ok(chain(s, 'forward').includes('oifname "berth-vpc0" jump into_vpc_tasks'));
  assert.deepEqual(chain(s, 'into_vpc_tasks'), [
    'ct state established,related accept',
    'meta l4proto { tcp, udp } ip daddr . meta l4proto . th dport != @vpc_published drop',
    'meta nfproto ipv6 meta l4proto { tcp, udp } drop',
  ]);
});

test('between awsvpc tasks on the bridge (no conntrack there): no SYN to an unpublished port, UDP only to or from a published one', () => {
  const s = baseScript(config, emptyState(), []);
  assert.ok(bridgeChain(s, 'forward').includes('iifname "bthv*" oifname "bthv*" jump between_vpc_tasks'));
  assert.deepEqual(bridgeChain(s, 'between_vpc_tasks'), [
    'tcp flags & (syn | ack) == syn ip daddr . meta l4proto . th dport != @vpc_published drop',
    'meta l4proto udp ip daddr . meta l4proto . th dport != @vpc_published ip saddr . meta l4proto . th sport != @vpc_published drop',
    'meta protocol ip6 meta l4proto { tcp, udp } drop',
  ]);
});
