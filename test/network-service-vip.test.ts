// Touches the host: run under flock /tmp/berth-host.lock (bin/test runs host tests one at a time).
// Service virtual IPs with real nftables, in namespaces of their own: a simulated host with
// two endpoint namespaces and a client namespace behind it. Connections to the service IP (from
// a client, from the host itself, from an endpoint to itself) and to its node port reach its
// endpoints; endpoint changes apply at once; a service without endpoints refuses at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { exec, ok, SimHosts } from '../src/runtime/network/testing/sim-host.ts';
import { dropServiceTableScript, serviceChainId, serviceChangeScript, serviceTableScript, type VirtualService } from '../src/runtime/network/service-vip-plan.ts';

const PREFIX = `bv${process.pid % 100000}-`;
const HOST = `${PREFIX}host`;
const CLIENT = `${PREFIX}cli`;
const EP = [`${PREFIX}ep1`, `${PREFIX}ep2`];
/** Each namespace's link to the host: host side .1, namespace side .2. */
const NETS = { [EP[0]!]: '10.232.1', [EP[1]!]: '10.232.2', [CLIENT]: '10.232.3' };
const VIP = '10.232.200.10';
const sim = new SimHosts(PREFIX);

const id = serviceChainId(createHash('sha256').update('default/web:http').digest('hex'));
const endpoint = (ns: string) => ({ ip: `${NETS[ns]}.2`, port: 8080 });
const web = (endpoints: VirtualService['endpoints']): VirtualService => ({ id, ip: VIP, protocol: 'tcp', port: 80, nodePort: 30080, endpoints });

async function nft(script: string): Promise<void> {
  const r = await exec('nsenter', [`--net=/run/netns/${HOST}`, 'nft', '-f', '-'], script);
  assert.equal(r.code, 0, `nft: ${r.stderr}\n${script}`);
}

/** Bodies of `count` GETs from `ns`, each a fresh connection. */
async function gets(ns: string, url: string, count: number): Promise<(string | undefined)[]> {
  const out: (string | undefined)[] = [];
  for (let i = 0; i < count; i++) out.push(await sim.get(ns, url, 2));
  return out;
}

before(async () => {
  await ok('ip', ['-batch', '-'], [HOST, CLIENT, ...EP].map((n) => `netns add ${n}`).join('\n') + '\n');
  const hostLines = ['link set dev lo up'];
  for (const [ns, net] of Object.entries(NETS)) {
    const dev = `v${ns.slice(-3)}`;
    hostLines.push(`link add ${dev} type veth peer name eth0 netns ${ns}`, `addr add ${net}.1/24 dev ${dev}`, `link set dev ${dev} up`);
  }
  // A host has a default route; a locally made connection to a service IP needs one before the output hook can DNAT it.
  hostLines.push(`route add default via ${NETS[CLIENT]}.2`);
  await ok('ip', ['-n', HOST, '-batch', '-'], hostLines.join('\n') + '\n');
  for (const [ns, net] of Object.entries(NETS)) {
    await ok('ip', ['-n', ns, '-batch', '-'], ['link set dev lo up', `addr add ${net}.2/24 dev eth0`, 'link set dev eth0 up', `route add default via ${net}.1`].join('\n') + '\n');
  }
  await ok('ip', ['netns', 'exec', HOST, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  await sim.serveHttp(EP[0]!, 8080, 'ep1');
  await sim.serveHttp(EP[1]!, 8080, 'ep2');
  await nft(serviceTableScript());
});

after(async () => {
  await sim.stop();
  await exec('nsenter', [`--net=/run/netns/${HOST}`, 'nft', '-f', '-'], dropServiceTableScript());
  await exec('ip', ['-force', '-batch', '-'], [HOST, CLIENT, ...EP].map((n) => `netns del ${n}`).join('\n') + '\n');
});

test('connections to the service IP are spread over its endpoints, from a client and from the host', async () => {
  await nft(serviceChangeScript(undefined, web([endpoint(EP[0]!), endpoint(EP[1]!)])));
  const fromClient = await gets(CLIENT, `http://${VIP}/`, 24);
  assert.deepEqual(new Set(fromClient), new Set(['ep1', 'ep2']), `24 connections reach both endpoints: ${fromClient.join(',')}`);
  const fromHost = await gets(HOST, `http://${VIP}/`, 24);
  assert.deepEqual(new Set(fromHost), new Set(['ep1', 'ep2']));
});

test('an endpoint reaches itself through its own service (hairpin)', async () => {
  await nft(serviceChangeScript(web([endpoint(EP[0]!), endpoint(EP[1]!)]), web([endpoint(EP[0]!)])));
  assert.deepEqual(await gets(EP[0]!, `http://${VIP}/`, 3), ['ep1', 'ep1', 'ep1']);
});

test('the node port on the host address reaches the endpoints', async () => {
  assert.deepEqual(await gets(CLIENT, `http://${NETS[CLIENT]}.1:30080/`, 3), ['ep1', 'ep1', 'ep1']);
});

test('an endpoint change applies to new connections at once', async () => {
  await nft(serviceChangeScript(web([endpoint(EP[0]!)]), web([endpoint(EP[1]!)])));
  assert.deepEqual(await gets(CLIENT, `http://${VIP}/`, 4), ['ep2', 'ep2', 'ep2', 'ep2']);
});

test('a service without endpoints refuses at once, and is gone once removed', async () => {
  await nft(serviceChangeScript(web([endpoint(EP[1]!)]), web([])));
  const refused = await sim.in(CLIENT, 'curl', ['-sS', '--max-time', '5', `http://${VIP}/`]);
  // curl's exit 7 "Couldn't connect to server" is the ICMP port-unreachable the reject sends;
  // a dropped SYN would end in 28, "Operation timed out", at --max-time.
  assert.equal(refused.code, 7, `refused, not timed out: ${refused.stderr}`);
  assert.match(refused.stderr, /refused|unreachable|couldn't connect/i);
  await nft(serviceChangeScript(web([]), undefined));
  const listed = await exec('nsenter', [`--net=/run/netns/${HOST}`, 'nft', '-j', 'list', 'table', 'ip', 'berth_svc'], '');
  assert.doesNotMatch(listed.stdout, new RegExp(`svc_${id}`));
  assert.doesNotMatch(listed.stdout, /10\.232\.200\.10/);
});
