// Touches the host: run under flock /tmp/berth-host.lock (bin/test runs host tests one at a time).
// Per-task networking with real namespaces, veths, bridges and nftables, on a simulated
// host (a network namespace) with a second simulated host beside it: bridge tasks with
// static, dynamic and UDP port mappings; awsvpc tasks on their own IP; none; host; the
// isolation policy between tasks; teardown leaving nothing behind; restart and repair.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cgroup2Mount, makeCgroup2 } from '../src/runtime/container/cgroup2.ts';
import { createNetworkManager, type NetworkManager, type NetworkManagerOptions, type TaskNetwork, TaskConflictError, HostPortConflictError } from '../src/runtime/network/index.ts';
import { HOST_IP, PEER_IP, PROBE_TIMEOUT_S, SimHosts, tearDownNetworkTest, namespacesWithPrefix, ok } from '../src/runtime/network/testing/sim-host.ts';

const PREFIX = `bt${process.pid % 100000}-`;
const TASK_PREFIX = `${PREFIX}t-`;
const BRIDGE_SUBNET = '10.231.16.0/24';
const VPC_SUBNET = '10.231.32.0/24';
/** The kernel destroys a deleted namespace's devices in a worker, within milliseconds. */
const SETTLE_TRIES = 40;
const SETTLE_POLL_MS = 50;
const sim = new SimHosts(PREFIX);
/** The host-mode test's cgroup level, its own so as not to touch an agent's /berth. */
const HOST_CGROUP_TOP = `${PREFIX}cg`;
const stateDir = mkdtempSync(join(tmpdir(), 'berth-net-state-'));
const options: NetworkManagerOptions = {
  stateDir,
  hostNetns: sim.host,
  netnsPrefix: TASK_PREFIX,
  bridge: { subnet: BRIDGE_SUBNET },
  vpc: { subnet: VPC_SUBNET, region: 'eu-west-1' },
  portsInUse: () => new Set(),
};
let m: NetworkManager;

before(async () => {
  await sim.create([VPC_SUBNET]);
  m = await createNetworkManager(options);
});

after(async () => {
  await tearDownNetworkTest(m, sim, stateDir, PREFIX, HOST_CGROUP_TOP);
});

function web(taskId: string, ports: { containerPort: number; hostPort?: number; protocol?: string }[], mode: 'bridge' | 'awsvpc' = 'bridge'): Promise<TaskNetwork> {
  return m.setupTask({ taskId, mode, containers: [{ name: 'web', portMappings: ports }] });
}

function ns(t: TaskNetwork): string {
  assert.ok(t.netnsPath);
  return t.netnsPath.slice('/run/netns/'.length);
}

async function gatewayOf(t: TaskNetwork): Promise<string> {
  const routes = JSON.parse(await ok('ip', ['-n', ns(t), '-j', 'route', 'show', 'default'])) as { gateway: string }[];
  return routes[0]?.gateway ?? '';
}

/** Host veths once the kernel's asynchronous namespace cleanup has caught up (or 2 s). */
async function hostVethsSettled(): Promise<string[]> {
  let names: string[] = [];
  for (let i = 0; i < SETTLE_TRIES; i++) {
    const veths = JSON.parse(await ok('ip', ['-n', sim.host, '-j', 'link', 'show', 'type', 'veth'])) as { ifname: string }[];
    names = veths.map((v) => v.ifname);
    if (names.length === 1) break;
    await sleep(SETTLE_POLL_MS);
  }
  return names;
}

describe('bridge mode', () => {
  let a: TaskNetwork;
  test('a static and a dynamic TCP port answer on localhost, the host address and from another host', async () => {
    a = await web('web-a', [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81 }]);
    assert.match(a.ip ?? '', /^10\.231\.16\.\d+$/);
    const bindings = a.containers[0]?.networkBindings;
    assert.deepEqual(bindings, [
      { bindIP: '0.0.0.0', containerPort: 80, hostPort: 8080, protocol: 'tcp' },
      { bindIP: '0.0.0.0', containerPort: 81, hostPort: 32768, protocol: 'tcp' },
    ]);
    await sim.serveHttp(ns(a), 80, 'static');
    await sim.serveHttp(ns(a), 81, 'dynamic');
    for (const [port, body] of [[8080, 'static'], [32768, 'dynamic']] as const) {
      assert.equal(await sim.get(sim.host, `http://127.0.0.1:${port}/`), body, `localhost:${port}`);
      assert.equal(await sim.get(sim.host, `http://${HOST_IP}:${port}/`), body, `host address:${port}`);
      assert.equal(await sim.get(sim.peer, `http://${HOST_IP}:${port}/`), body, `other host → ${port}`);
    }
  });

  test('a UDP mapping answers on localhost and from another host', async () => {
    const u = await m.setupTask({ taskId: 'dns-a', containers: [{ name: 'dns', portMappings: [{ containerPort: 5353, protocol: 'udp' }] }] });
    const hostPort = u.containers[0]?.networkBindings[0]?.hostPort ?? 0;
    assert.equal(u.containers[0]?.networkBindings[0]?.protocol, 'udp');
    await sim.serveUdpEcho(ns(u), 5353);
    assert.equal(await sim.udp(sim.host, '127.0.0.1', hostPort, 'a'), 'pong:a');
    assert.equal(await sim.udp(sim.peer, HOST_IP, hostPort, 'b'), 'pong:b');
  });

  test('a task reaches the outside through NAT, as the host', async () => {
    await sim.serveHttp(sim.peer, 8000, 'peer');
    assert.equal(await sim.get(ns(a), `http://${PEER_IP}:8000/`), 'peer');
  });

  test('bridge tasks reach each other only through published ports', async () => {
    const b = await web('web-b', [{ containerPort: 80 }]);
    const bPort = b.containers[0]?.networkBindings[0]?.hostPort ?? 0;
    await sim.serveHttp(ns(b), 80, 'b');
    assert.equal(await sim.get(ns(a), `http://${b.ip}/`, PROBE_TIMEOUT_S), undefined, 'not directly');
    assert.equal(await sim.get(ns(a), `http://${HOST_IP}:${bPort}/`), 'b', 'through the host address');
    assert.equal(await sim.get(ns(a), `http://${await gatewayOf(a)}:${bPort}/`), 'b', 'through the gateway');
    assert.equal(await sim.get(ns(a), `http://${HOST_IP}:8080/`), 'static', 'its own published port (hairpin)');
    assert.equal(await sim.get(sim.peer, `http://${b.ip}/`, PROBE_TIMEOUT_S), undefined, 'another host cannot route to a bridge task');
  });

  test("isolation 'container' gives each container its own namespace; siblings reach each other", async () => {
    const t = await m.setupTask({
      taskId: 'linked', isolation: 'container',
      containers: [{ name: 'app', portMappings: [{ containerPort: 80 }] }, { name: 'db' }],
    });
    const [app, db] = t.containers;
    assert.ok(app?.netnsPath && db?.netnsPath && app.netnsPath !== db.netnsPath && app.ip !== db.ip);
    assert.equal(t.netnsPath, undefined);
    const appNs = app.netnsPath.slice('/run/netns/'.length);
    const dbNs = db.netnsPath.slice('/run/netns/'.length);
    await sim.serveHttp(appNs, 80, 'app');
    assert.equal(await sim.get(dbNs, `http://${app.ip}/`), 'app', 'sibling directly');
    assert.equal(await sim.get(sim.host, `http://127.0.0.1:${app.networkBindings[0]?.hostPort}/`), 'app', 'published');
    assert.equal(await sim.get(ns(a), `http://${app.ip}/`, PROBE_TIMEOUT_S), undefined, 'another task: not directly');
  });

  test('without br_netfilter the same policy holds', async () => {
    await ok('ip', ['netns', 'exec', sim.host, 'sh', '-c', 'echo 0 > /proc/sys/net/bridge/bridge-nf-call-iptables']);
    try {
      const b = m.getTask('web-b');
      assert.ok(b);
      const bPort = b.containers[0]?.networkBindings[0]?.hostPort ?? 0;
      assert.equal(await sim.get(ns(a), `http://${b.ip}/`, PROBE_TIMEOUT_S), undefined, 'not directly');
      assert.equal(await sim.get(ns(a), `http://${HOST_IP}:${bPort}/`), 'b', 'through the host address');
      assert.equal(await sim.get(ns(a), `http://${HOST_IP}:8080/`), 'static', 'hairpin');
      assert.equal(await sim.get(sim.peer, `http://${HOST_IP}:8080/`), 'static', 'from another host');
    } finally {
      await ok('ip', ['netns', 'exec', sim.host, 'sh', '-c', 'echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables']);
    }
  });

  test('a static host port held by another task is refused; the same task id with other settings too', async () => {
    await assert.rejects(web('web-c', [{ containerPort: 80, hostPort: 8080 }]), HostPortConflictError);
    await assert.rejects(web('web-a', [{ containerPort: 80, hostPort: 9090 }]), TaskConflictError);
    assert.equal(m.getTask('web-c'), undefined, 'nothing kept of the refused task');
  });
});

describe('awsvpc mode', () => {
  let v1: TaskNetwork;
  test('the task has its own IP, reachable from the host and from another host, and an ENI attachment', async () => {
    v1 = await web('vpc-1', [{ containerPort: 80 }], 'awsvpc');
    assert.match(v1.ip ?? '', /^10\.231\.32\.\d+$/);
    assert.deepEqual(v1.containers[0]?.networkBindings, []);
    const eni = v1.eniAttachment;
    assert.ok(eni);
    assert.equal(eni.type, 'ElasticNetworkInterface');
    assert.equal(eni.status, 'ATTACHED');
    assert.match(eni.id, /^[0-9a-f-]{36}$/);
    const d = Object.fromEntries(eni.details.map((x) => [x.name, x.value]));
    assert.deepEqual(Object.keys(d), ['subnetId', 'networkInterfaceId', 'macAddress', 'privateDnsName', 'privateIPv4Address']);
    assert.match(d.networkInterfaceId ?? '', /^eni-[0-9a-f]{17}$/);
    assert.match(d.subnetId ?? '', /^subnet-[0-9a-f]{17}$/);
    assert.equal(d.privateIPv4Address, v1.ip);
    assert.equal(d.privateDnsName, `ip-${v1.ip?.replaceAll('.', '-')}.eu-west-1.compute.internal`);
    const link = JSON.parse(await ok('ip', ['-n', ns(v1), '-j', 'link', 'show', 'eth0'])) as { address: string }[];
    assert.equal(link[0]?.address, d.macAddress, 'the reported MAC is the real one');
    assert.deepEqual(v1.containers[0]?.networkInterfaces, [{ attachmentId: eni.id, privateIpv4Address: v1.ip }]);
    await sim.serveHttp(ns(v1), 80, 'vpc-1');
    assert.equal(await sim.get(sim.host, `http://${v1.ip}/`), 'vpc-1', 'from the host');
    assert.equal(await sim.get(sim.peer, `http://${v1.ip}/`), 'vpc-1', 'from another host, routed');
  });

  test('awsvpc tasks reach each other by IP; bridge tasks reach them, not the other way', async () => {
    const v2 = await web('vpc-2', [], 'awsvpc');
    assert.equal(await sim.get(ns(v2), `http://${v1.ip}/`), 'vpc-1', 'awsvpc → awsvpc');
    const a = m.getTask('web-a');
    assert.ok(a);
    assert.equal(await sim.get(ns(a), `http://${v1.ip}/`), 'vpc-1', 'bridge → awsvpc');
    assert.equal(await sim.get(ns(v2), `http://${a.ip}/`, PROBE_TIMEOUT_S), undefined, 'awsvpc → bridge task address');
  });
});

describe('none and host modes', () => {
  test('none: a namespace with only lo, up', async () => {
    const t = await m.setupTask({ taskId: 'quiet', mode: 'none', containers: [{ name: 'job' }] });
    const links = JSON.parse(await ok('ip', ['-n', ns(t), '-j', 'link'])) as { ifname: string; flags: string[] }[];
    assert.deepEqual(links.map((l) => l.ifname), ['lo']);
    assert.ok(links[0]?.flags.includes('UP'));
    assert.equal(t.ip, undefined);
  });

  test("host: no namespace, the task's cgroup in the loopback guard until teardown; bindings echo the container ports", async () => {
    const cgroup = `/${HOST_CGROUP_TOP}/hosty`;
    const guard = async () => (await ok('nsenter', [`--net=/run/netns/${sim.host}`, 'nft', 'list', 'set', 'inet', 'berth', 'host_task_pairs'])).replace(/\s+/g, ' ');
    await assert.rejects(m.setupTask({ taskId: 'hosty', mode: 'host', cgroup, containers: [{ name: 'srv' }] }), /cgroup [\w-]+\/hosty does not exist/, 'a cgroup that does not exist is refused');
    assert.equal(m.getTask('hosty'), undefined, 'and leaves nothing behind');
    makeCgroup2(cgroup);
    const t = await m.setupTask({ taskId: 'hosty', mode: 'host', cgroup, containers: [{ name: 'srv', portMappings: [{ containerPort: 7070 }] }] });
    assert.equal(t.hostNetwork, true);
    assert.equal(t.netnsPath, undefined);
    assert.deepEqual(t.containers[0]?.networkBindings, [{ bindIP: '0.0.0.0', containerPort: 7070, hostPort: 7070, protocol: 'tcp' }]);
    assert.match(await guard(), new RegExp(`elements = \\{ 0x00200000 \\. "${HOST_CGROUP_TOP}/hosty" \\}`));
    // The rebuilt ruleset of a restarted manager keeps it.
    await m.close();
    m = await createNetworkManager(options);
    assert.match(await guard(), new RegExp(`0x00200000 \\. "${HOST_CGROUP_TOP}/hosty"`));
    // A stopped task's cgroup is gone (its last container took it) before its network teardown.
    rmdirSync(`${cgroup2Mount()}${cgroup}`);
    await m.teardownTask('hosty');
    assert.doesNotMatch(await guard(), /elements/);
  });
});

describe('lifecycle', () => {
  test('setup is idempotent and the allocation survives a restart of the manager', async () => {
    const first = await web('again', [{ containerPort: 80 }]);
    assert.deepEqual(await web('again', [{ containerPort: 80 }]), first);
    await m.close();
    m = await createNetworkManager(options);
    assert.deepEqual(m.getTask('again'), first);
    assert.deepEqual(await web('again', [{ containerPort: 80 }]), first);
  });

  test('after a restart, reattach rebuilds a task whose namespace vanished and removes orphans', async () => {
    const t = await web('fragile', [{ containerPort: 80 }]);
    await ok('ip', ['netns', 'del', ns(t)]);
    await ok('ip', ['netns', 'add', `${TASK_PREFIX}orphan`]);
    await m.close();
    m = await createNetworkManager(options);
    const report = await m.reattach();
    assert.deepEqual(report.repaired, ['fragile']);
    assert.deepEqual(report.removed.netns, [`${TASK_PREFIX}orphan`]);
    const addr = JSON.parse(await ok('ip', ['-n', ns(t), '-j', 'addr', 'show', 'eth0'])) as { addr_info: { local: string }[] }[];
    assert.equal(addr[0]?.addr_info[0]?.local, t.ip);
  });

  test('teardown of a half-removed task still removes its veth and nft elements', async () => {
    const t = await web('half', [{ containerPort: 80, hostPort: 8181 }]);
    await ok('ip', ['netns', 'del', ns(t)]);
    await m.teardownTask('half');
    await m.teardownTask('half'); // again: a no-op
    const map = await ok('ip', ['netns', 'exec', sim.host, 'nft', 'list', 'map', 'inet', 'berth', 'tcp_ports']);
    assert.doesNotMatch(map, /8181/);
  });

  test('teardown removes namespaces, veths and nft elements of every task', async () => {
    await sim.stop(); // the workloads hold their namespaces, as containers would
    for (const t of m.listTasks()) await m.teardownTask(t.taskId);
    assert.deepEqual(m.listTasks(), []);
    assert.deepEqual(await namespacesWithPrefix(TASK_PREFIX), []);
    assert.deepEqual(await hostVethsSettled(), ['up0'], 'veths go with their namespaces');
    for (const what of ['map inet berth tcp_ports', 'map inet berth udp_ports', 'set inet berth peer_ips', 'set bridge berth peer_ports']) {
      const listing = await ok('ip', ['netns', 'exec', sim.host, 'nft', 'list', ...what.split(' ')]);
      assert.doesNotMatch(listing, /elements/, `${what} is empty`);
    }
  });

  test('cleanupAll removes the bridges and the tables; the next setup brings them back', async () => {
    await m.cleanupAll();
    const bridges = JSON.parse(await ok('ip', ['-n', sim.host, '-j', 'link', 'show', 'type', 'bridge'])) as unknown[];
    assert.deepEqual(bridges, []);
    assert.equal((await ok('ip', ['netns', 'exec', sim.host, 'nft', 'list', 'tables'])).trim(), '');
    const t = await web('phoenix', [{ containerPort: 80 }]);
    await sim.serveHttp(ns(t), 80, 'back');
    assert.equal(await sim.get(sim.peer, `http://${HOST_IP}:${t.containers[0]?.networkBindings[0]?.hostPort}/`), 'back');
    await sim.stop();
    await m.teardownTask('phoenix');
  });

  test('a veth outliving its namespace (a process still held it) is removed by reattach, or by the next setup needing its name', async () => {
    assert.deepEqual(await hostVethsSettled(), ['up0']);
    const held = await web('held', [{ containerPort: 80 }]);
    const veth = (): Promise<string[]> => ok('ip', ['-n', sim.host, '-j', 'link', 'show', 'type', 'veth']).then((o) => (JSON.parse(o) as { ifname: string }[]).map((v) => v.ifname));
    const holder = sim.serve(ns(held), 'sleep', ['60']);
    await sleep(SETTLE_POLL_MS);
    const before = await veth();
    await m.teardownTask('held');
    await sleep(SETTLE_POLL_MS * 4);
    assert.deepEqual(await veth(), before, 'still there while held');
    const report = await m.reattach();
    assert.equal(report.removed.veths.length, 1);
    assert.deepEqual(await hostVethsSettled(), ['up0']);
    holder.kill('SIGKILL');

    // Two managers with fresh state pick the same first address, hence the same veth name.
    const dirs: string[] = [];
    const fresh = (): Promise<NetworkManager> => createNetworkManager({ ...options, stateDir: dirs[dirs.push(mkdtempSync(join(tmpdir(), 'berth-net-fresh-'))) - 1] as string });
    const m2 = await fresh();
    const first = await m2.setupTask({ taskId: 'first', containers: [{ name: 'a' }] });
    sim.serve(ns(first), 'sleep', ['60']);
    await sleep(SETTLE_POLL_MS);
    await m2.teardownTask('first');
    const m3 = await fresh();
    const second = await m3.setupTask({ taskId: 'second', containers: [{ name: 'a' }] });
    assert.equal(second.ip, first.ip);
    await sim.serveHttp(ns(second), 80, 'second');
    assert.equal(await sim.get(sim.host, `http://${second.ip}/`), 'second');
    await m3.teardownTask('second');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
});
