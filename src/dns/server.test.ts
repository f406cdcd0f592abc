// The server against a real resolver: Node's own (c-ares), over UDP and, when an answer is
// too big for UDP, over TCP as resolvers retry; names outside the zone relayed upstream.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { startDnsServer, type DnsServer } from './server.ts';
import { createUpstream } from './upstream.ts';
import { zoneIndex } from './zone-index.ts';
import type { DnsService } from './zone.ts';

const many: DnsService = {
  namespace: 'default', name: 'many', clusterIPs: [], ports: [],
  // 60 A records are ~1 KB: more than a classic 512-byte UDP answer holds.
  endpoints: Array.from({ length: 60 }, (_, i) => ({ ip: `172.30.9.${i + 1}`, ready: true })),
};
const web: DnsService = {
  namespace: 'default', name: 'web', clusterIPs: ['10.100.12.7'],
  ports: [{ name: 'http', protocol: 'TCP', port: 80 }], endpoints: [],
};
const servers: DnsServer[] = [];
after(async () => { await Promise.all(servers.map((s) => s.close())); });

async function cluster(upstreams: { host: string; port: number }[] = []) {
  const outer = await startDnsServer({
    host: '127.0.0.1', port: 0,
    zone: () => ({ data: zoneIndex('cluster.local', [web, many], ['default']), serial: 1 }),
    upstream: createUpstream(upstreams),
  });
  servers.push(outer);
  const resolver = new Resolver({ timeout: 3000, tries: 1 });
  resolver.setServers([`127.0.0.1:${outer.port}`]);
  return resolver;
}

test('a resolver gets a service address, its SRV records and the way back', async () => {
  const r = await cluster();
  assert.deepEqual(await r.resolve4('web.default.svc.cluster.local'), ['10.100.12.7']);
  assert.deepEqual(await r.resolveSrv('_http._tcp.web.default.svc.cluster.local'), [{ name: 'web.default.svc.cluster.local', port: 80, priority: 0, weight: 100, type: 'SRV' }]);
  assert.deepEqual(await r.reverse('10.100.12.7'), ['web.default.svc.cluster.local']);
  assert.deepEqual(await r.resolveTxt('dns-version.cluster.local'), [['1.1.0']]);
});

test('a name the cluster does not have is NXDOMAIN, one without the type NODATA', async () => {
  const r = await cluster();
  await assert.rejects(r.resolve4('nope.default.svc.cluster.local'), { code: 'ENOTFOUND' });
  await assert.rejects(r.resolve6('web.default.svc.cluster.local'), { code: 'ENODATA' });
});

test('an answer too big for UDP comes truncated, and whole over TCP', async () => {
  const r = await cluster();
  const ips = await r.resolve4('many.default.svc.cluster.local');
  assert.equal(ips.length, 60);
  assert.deepEqual(new Set(ips), new Set(many.endpoints.map((e) => e.ip)));
});

test('names outside the zone are relayed upstream, and fail as SERVFAIL when no upstream answers', async () => {
  const upstream = await startDnsServer({
    host: '127.0.0.1', port: 0,
    zone: () => ({ data: zoneIndex('upstream.test', [{ ...web, clusterIPs: ['192.0.2.80'] }], []), serial: 1 }),
    upstream: createUpstream([]),
  });
  servers.push(upstream);
  const r = await cluster([{ host: '127.0.0.1', port: upstream.port }]);
  assert.deepEqual(await r.resolve4('web.default.svc.upstream.test'), ['192.0.2.80']);
  await assert.rejects(r.resolve4('nothing.example'), { code: 'ESERVFAIL' });
});
