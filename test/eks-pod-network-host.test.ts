// What a pod knows of where it runs, on real hosts (issue 17): `berth up --hosts 2` (as root,
// under flock /tmp/berth-host.lock: namespaces, bridges, nft tables, containers), an EKS
// cluster whose node group claims both hosts, and one pod bound to each node by nodeName.
// kubectl shows each node's InternalIP (`get nodes -o wide`); each pod's env from the
// downward API (spec.nodeName, status.hostIP, status.podIP, metadata.name) is what `kubectl
// get pod -o jsonpath` shows; its resolv.conf is the kubelet's (cluster DNS, the namespace's
// search path, ndots:5). Everything is stopped and the host cleaned even on failure.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEksHostCluster, type EksHostCluster, type EksNode } from './support/eks-host-cluster.ts';
import { until } from './support/until.ts';

let k: EksHostCluster;
const DNS_IP = '10.100.0.10';
const kubectl = (args: string[], input?: string): Promise<string> => k.kubectl(args, input);

/** Prints what the downward API gave it and its resolv.conf, then waits to be stopped. */
const SCRIPT = 'echo "node=$MY_NODE"; echo "host=$MY_HOST_IP"; echo "pod=$MY_POD_IP"; echo "name=$MY_NAME"; echo "where=$WHERE"; cat /etc/resolv.conf; echo done; exec sleep 3600';
const pod = (name: string, nodeName: string) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
  spec: {
    nodeName, terminationGracePeriodSeconds: 1,
    containers: [{
      name: 'main', image: 'busybox', command: ['sh', '-c', SCRIPT],
      env: [
        { name: 'MY_NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'MY_HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
        { name: 'MY_POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'MY_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'WHERE', value: '$(MY_NAME)@$(MY_NODE)' },
      ],
    }],
  },
});

let nodes: readonly EksNode[] = [];

before(async () => {
  k = await startEksHostCluster({ hosts: 2, cluster: 'net' });
  nodes = k.nodes;
  await kubectl(['apply', '--server-side', '--validate=false', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: nodes.map((n, i) => pod(`probe-${i}`, n.name)) }));
  for (let i = 0; i < nodes.length; i++) {
    await until(`probe-${i} printed its facts`, async () => {
      const r = await k.kubectlResult(['logs', `probe-${i}`]);
      return r.code === 0 && r.stdout.includes('\ndone\n') ? true : undefined;
    }, 180_000);
  }
});

after(async () => {
  await k?.stop();
});

test('kubectl get nodes -o wide shows each node\'s InternalIP: the host\'s own address, one per host', async () => {
  assert.equal(new Set(nodes.map((n) => n.internalIP)).size, 2, JSON.stringify(nodes));
  assert.ok(nodes.some((n) => n.internalIP === '172.30.208.2'), `host-2 is 172.30.208.2 on the hosts bridge: ${JSON.stringify(nodes)}`);
  const wide = await kubectl(['get', 'nodes', '-o', 'wide']);
  const header = wide.split('\n')[0]!;
  assert.match(header, /INTERNAL-IP/);
  const column = header.indexOf('INTERNAL-IP');
  for (const n of nodes) {
    const row = wide.split('\n').find((l) => l.startsWith(`${n.name} `))!;
    assert.equal(row.slice(column).split(/\s+/)[0], n.internalIP, row);
  }
});

test('a pod\'s env from the downward API equals what kubectl shows of it (spec.nodeName, status.hostIP, status.podIP, metadata.name)', async () => {
  for (let i = 0; i < nodes.length; i++) {
    const name = `probe-${i}`;
    const shown = (path: string) => kubectl(['get', 'pod', name, '-o', `jsonpath={${path}}`]);
    const logs = await kubectl(['logs', name]);
    const printed = Object.fromEntries(logs.split('\n').filter((l) => /^(node|host|pod|name|where)=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.equal(printed.node, await shown('.spec.nodeName'));
    assert.equal(printed.node, nodes[i]!.name);
    assert.equal(printed.host, await shown('.status.hostIP'));
    assert.equal(printed.host, nodes[i]!.internalIP, 'the pod\'s hostIP is its node\'s InternalIP');
    assert.equal(printed.host, await shown('.status.hostIPs[0].ip'));
    assert.equal(printed.pod, await shown('.status.podIP'));
    assert.match(printed.pod!, /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(printed.pod, await shown('.status.podIPs[0].ip'));
    assert.equal(printed.name, name);
    assert.equal(printed.where, `${name}@${nodes[i]!.name}`, '$(VAR) references to them expanded');
  }
});

test('a pod resolves as the kubelet sets it up: the cluster DNS, the namespace\'s search path, ndots:5', async () => {
  const logs = await kubectl(['logs', 'probe-0']);
  const resolv = logs.slice(logs.indexOf('\n', logs.indexOf('where=')) + 1, logs.indexOf('done\n'));
  assert.equal(resolv, `nameserver ${DNS_IP}\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n`);
});
