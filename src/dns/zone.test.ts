import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answer, RECORD_TTL, reverseToIp, type DnsService } from './zone.ts';
import { zoneIndex } from './zone-index.ts';

const web: DnsService = {
  namespace: 'default', name: 'web', clusterIPs: ['10.100.12.7'],
  ports: [{ name: 'http', protocol: 'TCP', port: 80 }, { name: 'metrics', protocol: 'TCP', port: 9100 }],
  endpoints: [{ ip: '172.30.1.4', ready: true }],
};
const db: DnsService = {
  namespace: 'data', name: 'db', clusterIPs: [],
  ports: [{ name: 'pg', protocol: 'TCP', port: 5432 }],
  endpoints: [
    { ip: '172.30.2.10', hostname: 'db-0', ready: true },
    { ip: '172.30.2.11', hostname: 'db-1', ready: true },
    { ip: '172.30.2.12', hostname: 'db-2', ready: false },
  ],
};
const external: DnsService = { namespace: 'default', name: 'search', clusterIPs: [], externalName: 'search.example.com.', ports: [], endpoints: [] };
const single: DnsService = { namespace: 'default', name: 'plain', clusterIPs: ['10.100.0.20'], ports: [{ name: '', protocol: 'TCP', port: 8080 }], endpoints: [] };
const zone = zoneIndex('cluster.local', [web, db, external, single], ['kube-system', 'empty']);
const ask = (name: string, type = 'A') => answer(zone, name, type, 7);

test('a ClusterIP service answers its cluster IP, whatever the case and trailing dot', () => {
  for (const name of ['web.default.svc.cluster.local', 'WEB.Default.svc.cluster.local.']) {
    const a = ask(name);
    assert.equal(a.kind, 'found');
    assert.deepEqual(a.kind === 'found' && a.answers.map((r) => [r.type, r.data, r.ttl]), [['A', '10.100.12.7', RECORD_TTL]]);
  }
});

test('a headless service answers each ready endpoint, and each named one by its hostname', () => {
  const a = ask('db.data.svc.cluster.local');
  assert.deepEqual(a.kind === 'found' && a.answers.map((r) => r.data), ['172.30.2.10', '172.30.2.11']);
  const host = ask('db-1.db.data.svc.cluster.local');
  assert.deepEqual(host.kind === 'found' && host.answers.map((r) => r.data), ['172.30.2.11']);
  // Not ready: not published.
  assert.equal(ask('db-2.db.data.svc.cluster.local').kind, 'nxdomain');
});

test('SRV records name each named port; a headless service points each at its endpoint', () => {
  const one = ask('_http._tcp.web.default.svc.cluster.local', 'SRV');
  assert.deepEqual(one.kind === 'found' && one.answers.map((r) => r.data), [{ priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' }]);
  const all = ask('web.default.svc.cluster.local', 'SRV');
  assert.deepEqual(all.kind === 'found' && all.answers.map((r) => r.type === 'SRV' && r.data.port), [80, 9100]);
  const headless = ask('_pg._tcp.db.data.svc.cluster.local', 'SRV');
  assert.deepEqual(headless.kind === 'found' && headless.answers.map((r) => r.type === 'SRV' && r.data.target),
    ['db-0.db.data.svc.cluster.local', 'db-1.db.data.svc.cluster.local']);
  // An unnamed port has no SRV record; an unknown port name is no name at all.
  assert.equal(ask('plain.default.svc.cluster.local', 'SRV').kind, 'nodata');
  assert.equal(ask('_grpc._tcp.web.default.svc.cluster.local', 'SRV').kind, 'nxdomain');
  assert.equal(ask('_tcp.web.default.svc.cluster.local', 'SRV').kind, 'nodata');
});

test('an ExternalName service is a CNAME, answered to an A question too', () => {
  const a = ask('search.default.svc.cluster.local');
  assert.deepEqual(a.kind === 'found' && a.answers.map((r) => [r.type, r.data]), [['CNAME', 'search.example.com']]);
});

test('names that exist without the asked type are NODATA; names that do not are NXDOMAIN; both carry the SOA', () => {
  const nodata = ask('web.default.svc.cluster.local', 'AAAA');
  assert.equal(nodata.kind, 'nodata');
  assert.equal(nodata.kind === 'nodata' && nodata.soa.data.serial, 7);
  assert.equal(ask('default.svc.cluster.local').kind, 'nodata');
  assert.equal(ask('empty.svc.cluster.local').kind, 'nodata');
  assert.equal(ask('svc.cluster.local').kind, 'nodata');
  const nx = ask('nope.default.svc.cluster.local');
  assert.equal(nx.kind, 'nxdomain');
  assert.equal(nx.kind === 'nxdomain' && nx.soa.name, 'cluster.local');
  assert.equal(ask('missing.svc.cluster.local').kind, 'nxdomain');
  assert.equal(ask('x.y.z.web.default.svc.cluster.local').kind, 'nxdomain');
  assert.equal(ask('web.default.cluster.local').kind, 'nxdomain');
});

test('the apex answers its SOA, the schema version its TXT', () => {
  const soa = ask('cluster.local', 'SOA');
  assert.deepEqual(soa.kind === 'found' && soa.answers.map((r) => r.type), ['SOA']);
  const v = ask('dns-version.cluster.local', 'TXT');
  assert.deepEqual(v.kind === 'found' && v.answers.map((r) => r.data), ['1.1.0']);
});

test('pod names in dashed form answer their address; other forms are NXDOMAIN', () => {
  const a = ask('172-30-1-4.default.pod.cluster.local');
  assert.deepEqual(a.kind === 'found' && a.answers.map((r) => r.data), ['172.30.1.4']);
  assert.equal(ask('172-30-1-400.default.pod.cluster.local').kind, 'nxdomain');
  assert.equal(ask('web.default.pod.cluster.local').kind, 'nxdomain');
});

test('reverse names of cluster IPs and named endpoints point back; others go upstream', () => {
  const ptr = ask('7.12.100.10.in-addr.arpa', 'PTR');
  assert.deepEqual(ptr.kind === 'found' && ptr.answers.map((r) => r.data), ['web.default.svc.cluster.local']);
  const ep = ask('10.2.30.172.in-addr.arpa', 'PTR');
  assert.deepEqual(ep.kind === 'found' && ep.answers.map((r) => r.data), ['db-0.db.data.svc.cluster.local']);
  assert.equal(ask('8.8.8.8.in-addr.arpa', 'PTR').kind, 'outside');
});

test('names outside the zone are not ours', () => {
  assert.equal(ask('example.com').kind, 'outside');
  assert.equal(ask('notcluster.local').kind, 'outside');
});

test('reverse names parse back to addresses, IPv6 in its canonical form', () => {
  assert.equal(reverseToIp('4.3.2.1.in-addr.arpa'), '1.2.3.4');
  assert.equal(reverseToIp('4.3.2.in-addr.arpa'), undefined);
  const v6 = [...'20010db8000000000000000000000001'].reverse().join('.') + '.ip6.arpa';
  assert.equal(reverseToIp(v6), '2001:db8::1');
  assert.equal(reverseToIp('1.0.ip6.arpa'), undefined);
});
