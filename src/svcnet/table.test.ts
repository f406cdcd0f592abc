import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDelta, diffTable, serviceTable, type ServiceObject, type SliceObject } from './table.ts';

const svc = (name: string, spec: ServiceObject['spec'], namespace = 'default'): ServiceObject => ({ metadata: { namespace, name }, spec });
const slice = (service: string, name: string, ports: SliceObject['ports'], endpoints: SliceObject['endpoints'], namespace = 'default'): SliceObject => ({
  metadata: { namespace, name, labels: { 'kubernetes.io/service-name': service } }, addressType: 'IPv4', ports, endpoints,
});

const web = svc('web', { type: 'NodePort', clusterIP: '10.100.3.4', clusterIPs: ['10.100.3.4'], ports: [{ name: 'http', protocol: 'TCP', port: 80, nodePort: 30080 }, { name: 'dns', protocol: 'UDP', port: 53 }] });
const webSlices = [
  slice('web', 'web-a', [{ name: 'http', protocol: 'TCP', port: 8080 }, { name: 'dns', protocol: 'UDP', port: 5353 }], [
    { addresses: ['172.30.224.7'], conditions: { ready: true } },
    { addresses: ['172.30.224.3'], conditions: { ready: false } },
  ]),
  // A second slice (pods whose named port resolved to another number): same service port, other target.
  slice('web', 'web-b', [{ name: 'http', protocol: 'TCP', port: 9090 }], [{ addresses: ['172.30.228.2'] }]),
];

test('a ClusterIP port forwards to the ready endpoints of every slice, at the slice port of its name and protocol', () => {
  const [entry] = serviceTable([web], webSlices);
  assert.deepEqual(entry!.clusterIPs, ['10.100.3.4']);
  assert.deepEqual(entry!.ports, [
    // A nil ready condition is ready (discovery/v1); the not-ready endpoint is left out.
    { name: 'http', protocol: 'TCP', port: 80, nodePort: 30080, targets: [{ ip: '172.30.224.7', port: 8080 }, { ip: '172.30.228.2', port: 9090 }] },
    { name: 'dns', protocol: 'UDP', port: 53, targets: [{ ip: '172.30.224.7', port: 5353 }] },
  ]);
  // DNS sees every endpoint with its readiness.
  assert.deepEqual(entry!.endpoints, [{ ip: '172.30.224.3', ready: false }, { ip: '172.30.224.7', ready: true }, { ip: '172.30.228.2', ready: true }]);
});

test('publishNotReadyAddresses forwards to endpoints not ready too', () => {
  const [entry] = serviceTable([svc('web', { ...web.spec, publishNotReadyAddresses: true })], webSlices);
  assert.deepEqual(entry!.ports[0]!.targets.map((t) => t.ip), ['172.30.224.3', '172.30.224.7', '172.30.228.2']);
  assert.equal(entry!.publishNotReadyAddresses, true);
});

test('a headless Service has no cluster IP but its endpoints, with hostnames; an ExternalName one its name only', () => {
  const db = svc('db', { clusterIP: 'None', clusterIPs: ['None'], ports: [{ name: 'pg', port: 5432 }] }, 'data');
  const dbSlice = slice('db', 'db-x', [{ name: 'pg', protocol: 'TCP', port: 5432 }], [{ addresses: ['172.30.224.9'], hostname: 'db-0', conditions: { ready: true } }], 'data');
  const ext = svc('search', { type: 'ExternalName', externalName: 'search.example.com', ports: [{ port: 443, nodePort: 31000 }] });
  const entries = serviceTable([ext, db], [dbSlice]);
  assert.deepEqual(entries.map((e) => `${e.namespace}/${e.name}`), ['data/db', 'default/search'], 'sorted by key');
  assert.deepEqual(entries[0]!.clusterIPs, []);
  assert.deepEqual(entries[0]!.endpoints, [{ ip: '172.30.224.9', hostname: 'db-0', ready: true }]);
  assert.deepEqual(entries[1]!.clusterIPs, []);
  assert.equal(entries[1]!.externalName, 'search.example.com');
  assert.equal(entries[1]!.ports[0]!.nodePort, undefined, 'an ExternalName Service has no node port');
});

test('slices of another namespace, of no Service, or of IPv6 are not endpoints', () => {
  const other = slice('web', 'web-o', [{ name: 'http', protocol: 'TCP', port: 80 }], [{ addresses: ['172.30.230.1'] }], 'other');
  const v6: SliceObject = { ...slice('web', 'web-6', [{ name: 'http', protocol: 'TCP', port: 80 }], [{ addresses: ['fd00::1'] }]), addressType: 'IPv6' };
  const orphan: SliceObject = { metadata: { namespace: 'default', name: 'x' }, ports: [{ name: 'http', port: 80 }], endpoints: [{ addresses: ['172.30.230.2'] }] };
  const [entry] = serviceTable([web], [other, v6, orphan]);
  assert.deepEqual(entry!.ports[0]!.targets, []);
  assert.deepEqual(entry!.endpoints, []);
});

test('a delta carries the changed entries whole and the removed keys, and applying it gives the new table', () => {
  const before = serviceTable([web, svc('api', { clusterIP: '10.100.0.20', ports: [{ port: 80 }] })], webSlices);
  const after = serviceTable([web, svc('cache', { clusterIP: '10.100.0.30', ports: [{ port: 6379 }] })], webSlices.slice(0, 1));
  const delta = diffTable(before, after);
  assert.deepEqual(delta.remove, ['default/api']);
  assert.deepEqual(delta.put.map((e) => e.name).sort(), ['cache', 'web']);
  assert.deepEqual(applyDelta(before, delta), after);
  assert.deepEqual(diffTable(after, after), { put: [], remove: [] });
});
