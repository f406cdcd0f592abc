// A node's side of the table, its nft part recorded (the host test, test/svcnet-host.test.ts,
// applies it for real) and its DNS server real, asked by Node's own resolver.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import type { ServiceVips } from '../runtime/network/service-vips.ts';
import type { VirtualService } from '../runtime/network/service-vip-plan.ts';
import { NodeServices } from './node.ts';
import type { ServiceEntry, ServiceTable } from './table.ts';

const sets: { services: readonly VirtualService[] | null; dns: unknown }[] = [];
const vips: ServiceVips = {
  table: 'berth_svc',
  set: async (services, dns) => { sets.push({ services, dns }); },
  drop: async () => { sets.push({ services: null, dns: undefined }); },
};
let resyncs = 0;
const node = new NodeServices({ vips, dnsHost: '127.0.0.1', dnsPort: 0, resync: () => resyncs++, log: () => undefined });
after(() => node.close());

const web = (targets: string[]): ServiceEntry => ({
  namespace: 'default', name: 'web', clusterIPs: ['10.100.3.4'],
  ports: [{ name: 'http', protocol: 'TCP', port: 80, targets: targets.map((ip) => ({ ip, port: 8080 })) }],
  endpoints: targets.map((ip) => ({ ip, ready: true })),
});
const table: ServiceTable = { cluster: 'uid-1', dns: { ip: '10.100.0.10', domain: 'cluster.local' }, entries: [web(['172.30.224.5', '172.30.224.6'])] };

async function resolver(): Promise<Resolver> {
  const at = await node.dnsAddress();
  assert.ok(at, 'the DNS server runs once a table came');
  const r = new Resolver({ timeout: 2000, tries: 1 });
  r.setServers([`${at.host}:${at.port}`]);
  return r;
}

test('a whole table is applied and answered: its virtual services with the DNS address routed to the node, its names', async () => {
  await node.update({ kind: 'full', version: 3, table });
  const last = sets.at(-1)!;
  assert.deepEqual(last.services!.map((s) => [s.ip, s.port, s.endpoints.map((e) => e.ip)]), [['10.100.3.4', 80, ['172.30.224.5', '172.30.224.6']]]);
  assert.match((last.dns as { ip: string; to: string }).to, /^127\.0\.0\.1:/);
  assert.equal((last.dns as { ip: string }).ip, '10.100.0.10');
  assert.deepEqual(await (await resolver()).resolve4('web.default.svc.cluster.local'), ['10.100.3.4']);
});

test('a delta that follows the version held is applied; one that does not asks for the whole table and changes nothing', async () => {
  await node.update({ kind: 'delta', from: 3, version: 4, put: [web(['172.30.224.6'])], remove: [] });
  assert.deepEqual(sets.at(-1)!.services![0]!.endpoints.map((e) => e.ip), ['172.30.224.6']);
  const count = sets.length;
  await node.update({ kind: 'delta', from: 9, version: 10, put: [], remove: ['default/web'] });
  assert.equal(resyncs, 1);
  assert.equal(sets.length, count, 'nothing applied from a delta out of turn');
  assert.equal(node.table?.entries.length, 1);
});

test('a node of no cluster any more: its services go, and the names with them', async () => {
  await node.update({ kind: 'full', version: 0, table: null });
  assert.equal(sets.at(-1)!.services, null);
  await assert.rejects((await resolver()).resolve4('web.default.svc.cluster.local'), /ENOTFOUND/);
});
