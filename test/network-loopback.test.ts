// Touches the host: run under flock /tmp/berth-host.lock (bin/test runs host tests one at a time).
// CVE-2020-8558 class: a task must not reach its host's loopback listeners. A real
// container (crun and runc, Docker's default capabilities, so CAP_NET_RAW) in a bridge and
// an awsvpc task sends from an AF_PACKET socket a TCP SYN to 127.0.0.1 (and ::1) in a frame
// addressed to its gateway's MAC, and completes the handshake by hand if a SYN-ACK comes;
// a listener on the host's loopback must see nothing. It also forges 127.0.0.1 as its
// source, which must not get in either. The host is simulated (a network namespace,
// src/runtime/network/testing/sim-host.ts) so the real host's firewall and sysctls are
// never touched; the ruleset is the one Berth installs. test/network-loopback-berth.test.ts
// runs the same attack against `berth up` itself.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Container, findRuntime, type OciRuntime } from '../src/runtime/container/index.ts';
import { probeOutput, useRuntimeFixture } from '../src/runtime/container/testing/fixtures.ts';
import { createNetworkManager, type NetworkManager, type TaskNetwork } from '../src/runtime/network/index.ts';
import { SimHosts, tearDownNetworkTest, ok } from '../src/runtime/network/testing/sim-host.ts';
import { buildLoopbackProbe } from './support/loopback-probe.ts';

const isRoot = process.getuid?.() === 0;
const PREFIX = `blo${process.pid % 100000}-`;
const BRIDGE_SUBNET = '10.231.48.0/24';
const VPC_SUBNET = '10.231.64.0/24';
/** The host's loopback service the attack aims at (Berth's API listens on 127.0.0.1 the same way). */
const LOOPBACK_PORT = 7801;
/** A listener on every address: the probe's control, reachable from tasks by design (as on Docker). */
const CONTROL_PORT = 7802;
/** A SYN-ACK comes back in well under a millisecond; a loaded 2-core machine gets 1 s. */
const PROBE_WAIT_MS = 1000;
const EXIT_WAIT_MS = 15_000;

const fixture = useRuntimeFixture('berth-test-lo', isRoot);
const sim = new SimHosts(PREFIX);
let stateDir = '';
let probeBinary = '';
let m: NetworkManager;
let listener: ChildProcess;
let heard = '';

/**
 * Listens on 127.0.0.1 and ::1 (LOOPBACK_PORT) and on every address (CONTROL_PORT) inside
 * the simulated host; prints each connection as it is accepted, with its peer.
 */
const LISTENER = `
const net = require('node:net');
let up = 0;
const serve = (host, port) => net.createServer((c) => {
  console.log('accepted ' + host + ':' + port + ' from ' + c.remoteAddress);
  c.on('error', () => {});
  c.resume();
}).listen(port, host, () => ++up === 3 && console.log('ready'));
serve('127.0.0.1', ${LOOPBACK_PORT});
serve('::1', ${LOOPBACK_PORT});
serve('0.0.0.0', ${CONTROL_PORT});
`;
/** A marker connection from the host itself reaches the listener within this (ms). */
const MARKER_WAIT_MS = 5000;
const MARKER_POLL_MS = 20;

/**
 * What the listener accepted since `from` (an offset into `heard`), once it has accepted a
 * marker connection made now from the host's own loopback: anything the probe got accepted
 * earlier is in the kernel's accept queue ahead of it, so it is printed first.
 */
async function acceptedSince(from: number): Promise<string[]> {
  const markers = (): number => heard.slice(from).split('\n').filter((l) => l.endsWith(' from 127.0.0.1')).length;
  const seen = markers();
  await sim.in(sim.host, process.execPath, ['-e', `require('node:net').connect(${LOOPBACK_PORT}, '127.0.0.1', function () { this.end(); })`]);
  for (let waited = 0; markers() === seen && waited < MARKER_WAIT_MS; waited += MARKER_POLL_MS) await sleep(MARKER_POLL_MS);
  assert.equal(markers(), seen + 1, 'the marker connection was accepted');
  return heard.slice(from).split('\n').filter((l) => l.startsWith('accepted ') && !l.endsWith(' from 127.0.0.1'));
}

/**
 * A test-only table in the simulated host counts packets from 127.0.0.0/8 that reach its
 * input path from anywhere but lo: the answer to a spoofed source goes to the host's own
 * lo, so only a counter can tell whether the forged packet got in.
 */
const WATCH = `table inet blo_watch {
  chain input {
    type filter hook input priority filter; policy accept;
    iifname != "lo" ip saddr 127.0.0.0/8 counter
  }
}
`;

async function spoofedArrivals(): Promise<number> {
  const listing = JSON.parse(await ok('ip', ['netns', 'exec', sim.host, 'nft', '-j', 'list', 'table', 'inet', 'blo_watch'])) as { nftables: { rule?: { expr: { counter?: { packets: number } }[] } }[] };
  const counters = listing.nftables.flatMap((o) => o.rule?.expr ?? []).flatMap((e) => (e.counter ? [e.counter.packets] : []));
  assert.equal(counters.length, 1);
  return counters[0]!;
}

before(async () => {
  if (!isRoot) return;
  stateDir = mkdtempSync(join(tmpdir(), 'berth-lo-state-'));
  probeBinary = buildLoopbackProbe(stateDir);
  await sim.create([VPC_SUBNET]);
  // kube-proxy (and Docker without its userland proxy) turn route_localnet on host-wide; then
  // berth-vpc0 accepts 127.0.0.1 as well, and only the ruleset stands in the way. The
  // kernel's other barrier, against a forged local source, is accept_local=0: it is off here
  // (some routing setups turn it on) so the test sees the guard's own drop.
  await ok('ip', ['netns', 'exec', sim.host, 'sysctl', '-qw', 'net.ipv4.conf.all.route_localnet=1', 'net.ipv4.conf.all.accept_local=1']);
  await ok('ip', ['netns', 'exec', sim.host, 'nft', '-f', '-'], WATCH);
  m = await createNetworkManager({
    stateDir, hostNetns: sim.host, netnsPrefix: `${PREFIX}t-`,
    bridge: { subnet: BRIDGE_SUBNET }, vpc: { subnet: VPC_SUBNET }, portsInUse: () => new Set(),
  });
  listener = sim.serve(sim.host, process.execPath, ['-e', LISTENER]);
  await new Promise<void>((resolve, reject) => {
    listener.stdout?.on('data', (c: Buffer) => {
      heard += c.toString();
      if (heard.includes('ready')) resolve();
    });
    listener.once('close', () => reject(new Error('the loopback listener exited')));
  });
});

after(async () => {
  if (!isRoot) return;
  await tearDownNetworkTest(m, sim, stateDir, PREFIX);
});

/** What the probe container printed: `v4 synack=…`, `v6 …`, `v4mapped …`, `control …`, `spoofed …`. */
async function attack(t: { after: (fn: () => Promise<void>) => void }, rt: OciRuntime, name: string, task: TaskNetwork): Promise<Record<string, string>> {
  assert.ok(task.netnsPath && task.ip);
  const netns = task.netnsPath.slice('/run/netns/'.length);
  const gateway = (JSON.parse(await ok('ip', ['-n', netns, '-j', 'route', 'show', 'default'])) as { gateway: string; dev: string }[])[0];
  assert.ok(gateway);
  const bridgeName = (JSON.parse(await ok('ip', ['-n', sim.host, '-j', 'addr', 'show', 'to', gateway.gateway])) as { ifname: string }[])[0]?.ifname;
  assert.ok(bridgeName);
  const bridge = (JSON.parse(await ok('ip', ['-n', sim.host, '-j', 'link', 'show', 'dev', bridgeName])) as { address: string }[])[0];
  assert.ok(bridge);
  const { rootfs, config } = await fixture().rootfs('busybox', 'probe');
  copyFileSync(probeBinary, join(rootfs, 'probe'));
  const probe = (label: string, family: 4 | 6, address: string, port: number, source = '') =>
    `echo "${label} $(/probe ${gateway.dev} ${bridge.address} ${family} ${address} ${port} ${PROBE_WAIT_MS}${source && ` berth-probe ${source}`} 2>&1)"`;
  // The ping makes the host learn the task's MAC, as any traffic would: the host's SYN-ACK
  // from 127.0.0.1 would otherwise wait on an ARP request the task's kernel ignores.
  const script = [
    `ping -c 1 -W 1 ${gateway.gateway} >/dev/null`,
    probe('v4', 4, '127.0.0.1', LOOPBACK_PORT),
    probe('v4mapped', 6, '::ffff:127.0.0.1', LOOPBACK_PORT),
    probe('v6', 6, '::1', LOOPBACK_PORT),
    probe('control', 4, gateway.gateway, CONTROL_PORT),
    probe('spoofed', 4, gateway.gateway, CONTROL_PORT, '127.0.0.1'),
  ].join('; ');
  const c = await Container.create(fixture().options(name, {
    rootfsPath: rootfs, image: config, definition: { command: ['sh', '-c', script] },
    network: { mode: 'namespace', path: task.netnsPath, addresses: [task.ip] },
  }, rt));
  return probeOutput(t, c, EXIT_WAIT_MS, ' ');
}

/** Runs the attack from a fresh task of `mode` and checks nothing answered from loopback. */
async function attackFails(t: { after: (fn: () => Promise<void>) => void }, rt: OciRuntime, taskId: string, mode: 'bridge' | 'awsvpc'): Promise<void> {
  const task = await m.setupTask({ taskId, mode, containers: [{ name: 'probe' }] });
  t.after(() => m.teardownTask(taskId));
  const from = heard.length;
  const spoofedBefore = await spoofedArrivals();
  const p = await attack(t, rt, taskId, task);
  const accepted = (await acceptedSince(from)).filter((l) => !l.startsWith(`accepted 0.0.0.0:${CONTROL_PORT} `));
  assert.deepEqual(accepted, [], 'the loopback listeners accepted nothing from the task');
  assert.equal(await spoofedArrivals(), spoofedBefore, 'no packet with a 127.0.0.1 source reached the host from the task');
  assert.equal(p.control, 'synack=yes', 'the probe works: the host answers it on an address tasks may reach');
  assert.equal(p.v4, 'synack=no', '127.0.0.1 through the gateway');
  assert.equal(p.v4mapped, 'synack=no', '::ffff:127.0.0.1');
  assert.equal(p.v6, 'synack=no', '::1');
}

for (const runtimeName of ['crun', 'runc'] as const) {
  describe(runtimeName, { skip: !isRoot && 'containers and namespaces need root' }, () => {
    let rt: OciRuntime;
    before(async () => {
      rt = await findRuntime({ runDir: fixture().runDir, prefer: runtimeName });
    });
    for (const mode of ['bridge', 'awsvpc'] as const) {
      test(`${mode}: a raw SYN to the host's 127.0.0.1 and ::1 gets no answer, and the loopback listener sees nothing`, (t) => attackFails(t, rt, `${runtimeName}-${mode}`, mode));
    }
  });
}

// Whether bridged frames pass the IP hooks (with the veth as input interface) or reach them
// only as the bridge's own (input interface berth0) depends on br_netfilter: both are guarded.
describe('without br_netfilter', { skip: !isRoot && 'containers and namespaces need root' }, () => {
  let rt: OciRuntime;
  before(async () => {
    rt = await findRuntime({ runDir: fixture().runDir, prefer: 'crun' });
    await ok('ip', ['netns', 'exec', sim.host, 'sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=0', 'net.bridge.bridge-nf-call-ip6tables=0']);
  });
  after(async () => {
    await ok('ip', ['netns', 'exec', sim.host, 'sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=1', 'net.bridge.bridge-nf-call-ip6tables=1']);
  });
  for (const mode of ['bridge', 'awsvpc'] as const) {
    test(`${mode}: the same attack gets no answer`, (t) => attackFails(t, rt, `nobrnf-${mode}`, mode));
  }
});

describe('localhost port maps', { skip: !isRoot && 'namespaces need root' }, () => {
  test('still answer on the host\'s 127.0.0.1 with the guard in place', async (t) => {
    const task = await m.setupTask({ taskId: 'web', containers: [{ name: 'web', portMappings: [{ containerPort: 80 }] }] });
    t.after(async () => {
      await sim.stop(task.netnsPath!.slice('/run/netns/'.length));
      await m.teardownTask('web');
    });
    const hostPort = task.containers[0]?.networkBindings[0]?.hostPort;
    await sim.serveHttp(task.netnsPath!.slice('/run/netns/'.length), 80, 'published');
    assert.equal(await sim.get(sim.host, `http://127.0.0.1:${hostPort}/`), 'published');
  });
});
