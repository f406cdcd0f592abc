// Service tables from a real cluster API server (no host touched): a follower of the cluster
// (as an agent session of one of its nodes is) gets the whole table, then, as kubectl creates a
// Service and its EndpointSlice, changes an endpoint and deletes the Service, a delta each, each
// from the version before it; the controllers keep the `kube-dns` Service at the range's 10th address.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startKubeControllers } from '../src/controllers/kube/controller-loop.ts';
import { withServiceTables } from '../src/svcnet/controllers.ts';
import { clusterKey, ServiceTables } from '../src/svcnet/publisher.ts';
import { applyDelta, type ServiceEntry, type TableUpdate } from '../src/svcnet/table.ts';
import { startKubeTestServer, type KubeTestServer } from './support/kube.ts';
import { until } from './support/until.ts';

const tables = new ServiceTables();
let kube: KubeTestServer;
const updates: TableUpdate[] = [];
let unfollow: () => void;

before(async () => {
  kube = await startKubeTestServer({ controllers: withServiceTables(startKubeControllers, tables) });
  unfollow = tables.follow(clusterKey({ account: '000000000000', region: 'us-east-1', name: 'test' }), (u) => updates.push(u));
});
after(async () => {
  unfollow();
  await kube.close();
});

/** The table a follower holds after every update so far, checking each delta follows the version before it. */
function held(): { version: number; entries: ServiceEntry[] } {
  let version = 0;
  let entries: ServiceEntry[] = [];
  for (const u of updates) {
    if (u.kind === 'full') {
      version = u.version;
      entries = [...(u.table?.entries ?? [])];
    } else {
      assert.equal(u.from, version, 'a delta follows the version held');
      entries = applyDelta(entries, u);
      version = u.version;
    }
  }
  return { version, entries };
}
const entry = (key: string) => held().entries.find((e) => `${e.namespace}/${e.name}` === key);

const web = (ips: string[]) => JSON.stringify({
  apiVersion: 'v1', kind: 'List', items: [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }] } },
    { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }], endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })) },
  ],
});

test('a follower gets the whole table first, with the cluster DNS address, and the kube-dns Service is kept there', async () => {
  assert.equal(updates[0]?.kind, 'full');
  const first = updates.find((u) => u.kind === 'full' && u.table !== null);
  assert.ok(first && first.kind === 'full');
  assert.deepEqual(first.table!.dns, { ip: '10.100.0.10', domain: 'cluster.local' });
  const dns = await until('the kube-dns Service', async () => entry('kube-system/kube-dns'), 10_000);
  assert.deepEqual(dns.clusterIPs, ['10.100.0.10']);
  assert.deepEqual(dns.ports.map((p) => `${p.name} ${p.port}/${p.protocol}`), ['dns 53/UDP', 'dns-tcp 53/TCP']);
  const shown = JSON.parse(await kube.kubectl(['get', 'service', '-n', 'kube-system', 'kube-dns', '-o', 'json'])) as { spec: { clusterIP: string } };
  assert.equal(shown.spec.clusterIP, '10.100.0.10');
});

test('a Service and its EndpointSlice made with kubectl reach the follower as deltas; an endpoint removed, then the Service', async () => {
  await kube.kubectl(['apply', '--server-side', '--validate=false', '-f', '-'], web(['172.30.224.5', '172.30.224.6']));
  const both = await until('the web entry with two targets', async () => {
    const e = entry('default/web');
    return e?.ports[0]?.targets.length === 2 ? e : undefined;
  }, 10_000);
  assert.equal(both.clusterIPs.length, 1);
  assert.match(both.clusterIPs[0]!, /^10\.100\.\d+\.\d+$/);
  assert.deepEqual(both.ports[0], { name: 'http', protocol: 'TCP', port: 80, nodePort: 30080, targets: [{ ip: '172.30.224.5', port: 8080 }, { ip: '172.30.224.6', port: 8080 }] });

  await kube.kubectl(['apply', '--server-side', '--validate=false', '-f', '-'], web(['172.30.224.6']));
  await until('one target left', async () => (entry('default/web')?.ports[0]?.targets.length === 1 ? true : undefined), 10_000);
  assert.deepEqual(entry('default/web')!.ports[0]!.targets, [{ ip: '172.30.224.6', port: 8080 }]);

  await kube.kubectl(['delete', 'service', 'web']);
  await until('the entry gone', async () => (entry('default/web') === undefined ? true : undefined), 10_000);
  assert.ok(updates.slice(1).every((u) => u.kind === 'delta' || (u.kind === 'full' && u.table !== null)), 'after the first table, changes came as deltas');
});
