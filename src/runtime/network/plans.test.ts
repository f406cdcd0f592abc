// The planners: what ip and nft are told for a task, without running anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocateTask } from './allocate.ts';
import { resolveConfig } from './config.ts';
import { bridgeLines, taskLinkPlan, taskUnlinkPlan, staleVethLines } from './link-plan.ts';
import { baseScript, taskAddScript, taskRemoveScript } from './nft-plan.ts';
import { normalizeRequest } from './request.ts';
import { emptyState } from './state.ts';
import type { TaskNetworkRequest } from './types.ts';

const config = resolveConfig({ stateDir: '/unused', bridge: { subnet: '10.9.0.0/24' }, vpc: { subnet: '10.9.1.0/24' } });
const inputs = { busyPorts: new Set<string>(), randomHex: (n: number) => '0'.repeat(n), randomUuid: () => 'u' };
const record = (r: TaskNetworkRequest) => allocateTask(emptyState(), config, normalizeRequest(r), inputs).record;

test('a bridge task: veth created with its peer inside, on the bridge, hairpin; address, lo and default route inside', () => {
  const plan = taskLinkPlan(config, record({ taskId: 't', containers: [{ name: 'c', portMappings: [{ containerPort: 80 }] }] }));
  assert.deepEqual(plan.netnsAdd, ['netns add berth-t']);
  assert.deepEqual(plan.host, [
    'link add bthb2 type veth peer name eth0 address 02:b5:0a:09:00:02 netns berth-t',
    'link set dev bthb2 master berth0 up',
    'link set dev bthb2 type bridge_slave hairpin on',
  ]);
  assert.deepEqual(plan.inside, [{ netns: 'berth-t', lines: ['link set dev lo up', 'addr add 10.9.0.2/24 dev eth0', 'link set dev eth0 up', 'route add default via 10.9.0.1 dev eth0'] }]);
});

test('an awsvpc task goes on the vpc bridge without hairpin; none has lo only', () => {
  const v = taskLinkPlan(config, record({ taskId: 'v', mode: 'awsvpc', containers: [{ name: 'c' }] }));
  assert.deepEqual(v.host, ['link add bthv2 type veth peer name eth0 address 02:b5:0a:09:01:02 netns berth-v', 'link set dev bthv2 master berth-vpc0 up']);
  const n = taskLinkPlan(config, record({ taskId: 'n', mode: 'none', containers: [{ name: 'c' }] }));
  assert.deepEqual(n.host, []);
  assert.deepEqual(n.inside, [{ netns: 'berth-n', lines: ['link set dev lo up'] }]);
});

test('teardown deletes namespaces only; stale veths are a separate, rarer step', () => {
  const r = record({ taskId: 'l', isolation: 'container', containers: [{ name: 'a' }, { name: 'b' }] });
  assert.deepEqual(taskUnlinkPlan(r).netnsDel, ['netns del berth-l.0', 'netns del berth-l.1']);
  assert.deepEqual(staleVethLines(r), ['link del dev bthb2', 'link del dev bthb3']);
});

test('bridges get a fixed MAC and their gateway address', () => {
  assert.deepEqual(bridgeLines(config.bridge, true), ['link add berth0 type bridge', 'link set dev berth0 address 02:b4:0a:09:00:01', 'addr replace 10.9.0.1/24 dev berth0', 'link set dev berth0 up']);
  assert.equal(bridgeLines(config.bridge, false).length, 3);
});

test('a task publishes by adding map elements; removal adds then deletes so missing elements are fine', () => {
  const r = record({ taskId: 't', containers: [{ name: 'c', portMappings: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 53, protocol: 'udp' }] }] });
  assert.equal(taskAddScript(config, r), 'add element inet berth tcp_ports { 8080 : 10.9.0.2 . 80 }\nadd element inet berth udp_ports { 32768 : 10.9.0.2 . 53 }\n');
  const rm = taskRemoveScript(config, r)?.split('\n') ?? [];
  assert.deepEqual(rm.slice(0, 4), [
    'add element inet berth tcp_ports { 8080 : 10.9.0.2 . 80 }', 'add element inet berth udp_ports { 32768 : 10.9.0.2 . 53 }',
    'delete element inet berth tcp_ports { 8080 : 10.9.0.2 . 80 }', 'delete element inet berth udp_ports { 32768 : 10.9.0.2 . 53 }',
  ]);
  assert.equal(taskAddScript(config, record({ taskId: 'v', mode: 'awsvpc', containers: [{ name: 'c' }] })), undefined, 'an awsvpc task that publishes nothing needs no nft');
});

test('an awsvpc task publishes its port mappings\' container ports on its own address, in both tables; nothing else is reachable', () => {
  const v = record({ taskId: 'v', mode: 'awsvpc', containers: [{ name: 'a', portMappings: [{ containerPort: 80 }, { containerPort: 53, protocol: 'udp' }] }, { name: 'b', portMappings: [{ containerPort: 8080 }] }] });
  assert.equal(taskAddScript(config, v), [
    'add element inet berth vpc_published { 10.9.1.2 . tcp . 80, 10.9.1.2 . udp . 53, 10.9.1.2 . tcp . 8080 }',
    'add element bridge berth vpc_published { 10.9.1.2 . tcp . 80, 10.9.1.2 . udp . 53, 10.9.1.2 . tcp . 8080 }', '',
  ].join('\n'));
  assert.match(taskRemoveScript(config, v) ?? '', /delete element bridge berth vpc_published \{ 10\.9\.1\.2 \. tcp \. 80, 10\.9\.1\.2 \. udp \. 53, 10\.9\.1\.2 \. tcp \. 8080 \}/);
  const s = baseScript(config, { ...emptyState(), tasks: { v } }, []);
  assert.match(s, /set vpc_published \{ type ipv4_addr \. inet_proto \. inet_service; elements = \{ 10\.9\.1\.2 \. tcp \. 80, 10\.9\.1\.2 \. udp \. 53, 10\.9\.1\.2 \. tcp \. 8080 \}; \}/);
});

test('containers of one task in separate namespaces are allowed to talk, both ways, at L2 and L3', () => {
  const r = record({ taskId: 'l', isolation: 'container', containers: [{ name: 'a' }, { name: 'b' }] });
  assert.equal(taskAddScript(config, r), [
    'add element inet berth peer_ips { 10.9.0.2 . 10.9.0.3, 10.9.0.3 . 10.9.0.2 }',
    'add element bridge berth peer_ports { "bthb2" . "bthb3", "bthb3" . "bthb2" }', '',
  ].join('\n'));
});

test('the base ruleset replaces the tables atomically and carries every task’s elements', () => {
  const r = record({ taskId: 't', containers: [{ name: 'c', portMappings: [{ containerPort: 80, hostPort: 8080 }] }] });
  const s = baseScript(config, { ...emptyState(), tasks: { t: r } }, []);
  assert.match(s, /^add table inet berth\ndelete table inet berth\nadd table bridge berth\ndelete table bridge berth\n/);
  assert.match(s, /map tcp_ports \{ type inet_service : ipv4_addr \. inet_service; elements = \{ 8080 : 10\.9\.0\.2 \. 80 \}; \}/);
  assert.match(s, /oifname "berth0" ip saddr 127\.0\.0\.0\/8 masquerade/);
  assert.match(s, /iifname "bthb\*" oifname "bthb\*" jump between_bridge_tasks/);
  assert.match(s, /set vpc_routed \{ type ipv4_addr; flags interval; elements = \{ 10\.9\.1\.0\/24 \}; \}/);
});
