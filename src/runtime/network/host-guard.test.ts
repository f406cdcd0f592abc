// The host-mode loopback guard's plan: which packets are marked, which dropped, and how a
// task's start and stop change it. test/network-loopback-host.test.ts proves it against
// berth up with crun and runc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from './config.ts';
import { freeGuardMark, guardCgroup, guardRewriteScript, HOST_GUARD_MARK_MASK, liveGuards } from './host-guard.ts';
import { baseScript, DNAT_MARK } from './nft-plan.ts';
import { emptyState, type NetworkState, type TaskRecord } from './state.ts';

const config = resolveConfig({ stateDir: '/unused' });

function hostTask(id: string, mark: number): TaskRecord {
  return { taskId: id, mode: 'host', isolation: 'task', fingerprint: '', phase: 'ready', containers: ['c'], endpoints: [], ports: [], hostGuard: { cgroup: `berth/${id}`, mark } };
}
const state = (...tasks: TaskRecord[]): NetworkState => ({ ...emptyState(), tasks: Object.fromEntries(tasks.map((t) => [t.taskId, t])) });

/** The body of one chain of the inet table, as its lines. */
function chain(script: string, name: string): string[] {
  const m = new RegExp(`\\n  chain ${name} \\{\\n([\\s\\S]*?)\\n  \\}\\n`).exec(script);
  assert.ok(m, `chain ${name} is in the ruleset`);
  return (m[1] ?? '').split('\n').map((l) => l.trim());
}

test("the guard's mark bits are its own: clear of the DNAT bit and of kube-proxy's 0x4000/0x8000", () => {
  assert.equal(HOST_GUARD_MARK_MASK & DNAT_MARK, 0);
  assert.equal(HOST_GUARD_MARK_MASK & 0xc000, 0);
  assert.equal(freeGuardMark(emptyState()), 0x00200000);
  assert.equal(freeGuardMark(state(hostTask('a', 0x00200000), hostTask('b', 0x00600000))), 0x00400000);
});

test("a task's loopback packets of its own connections get its mark; replies and other sockets none", () => {
  const s = baseScript(config, emptyState(), []);
  assert.deepEqual(chain(s, 'host_task_out'), [
    'type filter hook output priority filter; policy accept;',
    'ct direction original ip daddr 127.0.0.0/8 meta mark set socket cgroupv2 level 2 map @host_task_marks',
    'ct direction original ip6 daddr { ::1, ::ffff:127.0.0.0/104 } meta mark set socket cgroupv2 level 2 map @host_task_marks',
  ]);
});

test('on lo, a marked new flow passes only into a socket of the same task or to the resolver port; everything else marked is dropped', () => {
  const s = baseScript(config, emptyState(), []);
  assert.deepEqual(chain(s, 'host_task_in'), [
    'type filter hook input priority filter; policy accept;',
    'iif lo meta mark & 0x7fe00000 != 0 jump from_host_task',
  ]);
  assert.deepEqual(chain(s, 'from_host_task'), [
    'ct state established,related accept',
    'meta mark . socket cgroupv2 level 2 @host_task_pairs accept',
    'meta l4proto { tcp, udp } th dport 53 accept',
    'drop',
  ]);
});

test('the rebuilt ruleset holds the guards it is given, each cgroup with its mark both ways', () => {
  const s = baseScript(config, emptyState(), [{ cgroup: 'berth/a', mark: 0x00200000 }, { cgroup: 'berth/b', mark: 0x00400000 }]);
  assert.match(s, /map host_task_marks \{ typeof socket cgroupv2 level 2 : meta mark; elements = \{ "berth\/a" : 0x00200000, "berth\/b" : 0x00400000 \}; \}/);
  assert.match(s, /set host_task_pairs \{ typeof meta mark \. socket cgroupv2 level 2; elements = \{ 0x00200000 \. "berth\/a", 0x00400000 \. "berth\/b" \}; \}/);
  assert.match(baseScript(config, emptyState(), []), /map host_task_marks \{ typeof socket cgroupv2 level 2 : meta mark; \}/);
});

test("only guards whose cgroup exists are loaded (nft resolves each path), in mark order", () => {
  const s = state(hostTask('b', 0x00400000), hostTask('a', 0x00200000), hostTask('gone', 0x00600000), { ...hostTask('old', 0), hostGuard: undefined } as TaskRecord);
  assert.deepEqual(liveGuards(s, (c) => c !== 'berth/gone'), [{ cgroup: 'berth/a', mark: 0x00200000 }, { cgroup: 'berth/b', mark: 0x00400000 }]);
});

test("a start or stop rewrites the guard's elements in one transaction, a stopped task's left out", () => {
  assert.equal(guardRewriteScript('berth', [{ cgroup: 'berth/a', mark: 0x00200000 }]), [
    'flush map inet berth host_task_marks',
    'flush set inet berth host_task_pairs',
    'flush set inet berth host_task_cgroups',
    'add element inet berth host_task_marks { "berth/a" : 0x00200000 }',
    'add element inet berth host_task_pairs { 0x00200000 . "berth/a" }',
    'add element inet berth host_task_cgroups { "berth/a" }',
    '',
  ].join('\n'));
  assert.equal(guardRewriteScript('berth', []), 'flush map inet berth host_task_marks\nflush set inet berth host_task_pairs\nflush set inet berth host_task_cgroups\n');
});

test('a host-mode task\'s 169.254.170.2:80 goes to the endpoint server, for its cgroup\'s sockets only', () => {
  const script = baseScript(config, state(hostTask('a', 0x00200000)), [{ cgroup: 'berth/a', mark: 0x00200000 }]);
  assert.match(script, /set host_task_cgroups \{ typeof socket cgroupv2 level 2; elements = \{ "berth\/a" \}; \}/);
  assert.deepEqual(chain(script, 'host_task_endpoint'), [
    'type nat hook output priority -100; policy accept;',
    'socket cgroupv2 level 2 @host_task_cgroups ip daddr 169.254.170.2 tcp dport 80 dnat ip to 172.30.240.1:51679',
  ]);
});

test('a cgroup is two plain names below the root', () => {
  assert.equal(guardCgroup('/berth/0123abc'), 'berth/0123abc');
  for (const bad of ['berth/t', '/berth', '/berth/t/c', '/berth/..', '/berth/"t', '/berth/t ', '//t']) assert.ok(guardCgroup(bad) instanceof Error, bad);
});
