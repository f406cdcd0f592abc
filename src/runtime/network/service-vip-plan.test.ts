import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { dropServiceTableScript, fullServiceScript, serviceChainId, serviceChangeScript, type VirtualService } from './service-vip-plan.ts';

const svc = (endpoints: VirtualService['endpoints'], nodePort?: number): VirtualService => ({
  id: 'k3j2', ip: '10.100.0.7', protocol: 'tcp', port: 80, ...(nodePort !== undefined && { nodePort }), endpoints,
});
const two = [{ ip: '172.30.1.2', port: 8080 }, { ip: '172.30.1.3', port: 8080 }];

test('a new service adds its endpoint chains before the chain that picks among them, and its map element last', () => {
  const lines = serviceChangeScript(undefined, svc(two, 30080)).trim().split('\n');
  const at = (needle: string) => lines.findIndex((l) => l.includes(needle));
  assert.ok(at('add chain ip berth_svc svc_k3j2_1') < lines.indexOf('add chain ip berth_svc svc_k3j2'));
  assert.ok(lines.includes('add rule ip berth_svc svc_k3j2 numgen random mod 2 vmap { 0 : goto svc_k3j2_0, 1 : goto svc_k3j2_1 }'));
  assert.ok(lines.includes('add rule ip berth_svc svc_k3j2_0 meta l4proto tcp dnat to 172.30.1.2:8080'));
  assert.ok(at('services {') > at('add rule ip berth_svc svc_k3j2 numgen'));
  assert.ok(lines.includes('add element ip berth_svc node_ports { tcp . 30080 : goto svc_k3j2_np }'));
});

test('removal deletes what refers before what is referred to, so one transaction applies it', () => {
  const lines = serviceChangeScript(svc(two, 30080), undefined).trim().split('\n');
  assert.deepEqual(lines, [
    'delete element ip berth_svc services { 10.100.0.7 . tcp . 80 }',
    'delete element ip berth_svc node_ports { tcp . 30080 }',
    'delete chain ip berth_svc svc_k3j2_np',
    'delete chain ip berth_svc svc_k3j2',
    'delete chain ip berth_svc svc_k3j2_0',
    'delete chain ip berth_svc svc_k3j2_1',
  ]);
});

test('a service without endpoints is only an element of the refusing set', () => {
  assert.equal(serviceChangeScript(undefined, svc([])), 'add element ip berth_svc no_endpoints { 10.100.0.7 . tcp . 80 }\n');
  assert.equal(serviceChangeScript(svc([]), undefined), 'delete element ip berth_svc no_endpoints { 10.100.0.7 . tcp . 80 }\n');
  assert.equal(serviceChangeScript(undefined, undefined), '');
});

test('one endpoint needs no random choice', () => {
  assert.match(serviceChangeScript(undefined, svc(two.slice(0, 1))), /add rule ip berth_svc svc_k3j2 goto svc_k3j2_0\n/);
});

test('chain ids are stable, short and safe, and a bad one is refused', () => {
  const a = serviceChainId(createHash('sha256').update('default/web:http').digest('hex'));
  assert.equal(a, serviceChainId(createHash('sha256').update('default/web:http').digest('hex')));
  assert.match(a, /^[a-z0-9]{16}$/);
  assert.notEqual(a, serviceChainId(createHash('sha256').update('default/web:https').digest('hex')));
  assert.throws(() => serviceChangeScript(undefined, { ...svc(two), id: 'no spaces' }), /not 1-16 of \[a-z0-9\]/);
});

test("a node's table: its own name, its task subnets masqueraded between each other, the cluster DNS address sent to its resolver", () => {
  const script = fullServiceScript({ table: 'berth_h2_svc', taskSubnets: ['172.30.84.0/22', '172.30.88.0/22'], dns: { ip: '10.100.0.10', to: '172.30.88.1:10053' } }, [svc(two)]);
  const lines = script.split('\n').map((l) => l.trim());
  assert.equal(lines[0], 'table ip berth_h2_svc {}', 'made afresh: whatever was there goes in the same transaction');
  assert.equal(lines[1], 'delete table ip berth_h2_svc');
  assert.ok(lines.includes('set task_subnets { type ipv4_addr; flags interval; elements = { 172.30.84.0/22, 172.30.88.0/22 }; }'));
  assert.ok(lines.includes('ct status dnat ip saddr @task_subnets ip daddr @task_subnets masquerade'));
  // From tasks (prerouting) and from the host (output) alike.
  assert.equal(lines.filter((l) => l === 'ip daddr 10.100.0.10 meta l4proto { tcp, udp } th dport 53 dnat ip to 172.30.88.1:10053').length, 2);
  assert.ok(lines.includes('add element ip berth_h2_svc services { 10.100.0.7 . tcp . 80 : goto svc_k3j2 }'), 'its services follow in the same script');
  assert.equal(dropServiceTableScript('berth_h2_svc'), 'table ip berth_h2_svc {}\ndelete table ip berth_h2_svc\n');
});
