import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { answer } from '../dns/zone.ts';
import { zoneIndex } from '../dns/zone-index.ts';
import { dnsServices, virtualServices } from './node-plan.ts';
import type { ServiceTable } from './table.ts';

const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const table: ServiceTable = {
  cluster: 'uid-1', dns: { ip: '10.100.0.10', domain: 'cluster.local' },
  entries: [
    { namespace: 'data', name: 'db', clusterIPs: [], ports: [{ name: 'pg', protocol: 'TCP', port: 5432, targets: [{ ip: '172.30.224.9', port: 5432 }] }],
      endpoints: [{ ip: '172.30.224.9', hostname: 'db-0', ready: true }] },
    { namespace: 'default', name: 'web', clusterIPs: ['10.100.3.4'], ports: [
      { name: 'http', protocol: 'TCP', port: 80, nodePort: 30080, targets: [{ ip: '172.30.224.7', port: 8080 }] },
      { name: 'sig', protocol: 'SCTP', port: 90, targets: [] },
    ], endpoints: [{ ip: '172.30.224.7', ready: true }] },
    { namespace: 'kube-system', name: 'kube-dns', clusterIPs: ['10.100.0.10'], ports: [{ name: 'dns', protocol: 'UDP', port: 53, targets: [] }], endpoints: [] },
  ],
};

test('each TCP or UDP port of a cluster IP is a virtual service; headless, SCTP and the cluster DNS address are not', () => {
  const vs = virtualServices(table, sha);
  assert.equal(vs.length, 1);
  assert.deepEqual({ ...vs[0]!, id: undefined }, { id: undefined, ip: '10.100.3.4', protocol: 'tcp', port: 80, nodePort: 30080, endpoints: [{ ip: '172.30.224.7', port: 8080 }] });
  assert.match(vs[0]!.id, /^[a-z0-9]{16}$/);
  assert.equal(virtualServices(table, sha)[0]!.id, vs[0]!.id, 'the same id on every node and after a restart');
});

test('the zone answers the table: a cluster IP, a headless endpoint, SRV, and NXDOMAIN for an unknown name', () => {
  const zone = zoneIndex('cluster.local', dnsServices(table), ['default']);
  const a = answer(zone, 'web.default.svc.cluster.local', 'A', 1);
  assert.deepEqual(a.kind === 'found' && a.answers.map((r) => r.data), ['10.100.3.4']);
  const h = answer(zone, 'db-0.db.data.svc.cluster.local', 'A', 1);
  assert.deepEqual(h.kind === 'found' && h.answers.map((r) => r.data), ['172.30.224.9']);
  const srv = answer(zone, '_http._tcp.web.default.svc.cluster.local', 'SRV', 1);
  assert.deepEqual(srv.kind === 'found' && srv.answers.map((r) => r.data), [{ priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' }]);
  assert.equal(answer(zone, 'nope.default.svc.cluster.local', 'A', 1).kind, 'nxdomain');
  assert.equal(answer(zone, 'example.com', 'A', 1).kind, 'outside');
});
