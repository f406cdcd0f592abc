// Touches the host: run under flock /tmp/berth-host.lock (bin/test runs host tests one at a time).
// Pods reaching the cluster from inside (issue 17): `berth up --hosts 2`, an EKS cluster whose
// node group claims both hosts, one cluster for every step. A Deployment `web` (busybox httpd)
// on host-1's node behind a Service `web`; a client pod on each node running the checkout's
// Node (bound in read-only, as metadata-peer.test.ts does for tasks) under the service account
// `reader`. From the client on host-2: `web` and `web.default.svc.cluster.local` answer HTTP
// (the cluster DNS and the search path, across hosts). From both clients:
// @kubernetes/client-node's loadFromCluster reaches the API server through the `kubernetes`
// Service and gets the API server's 403 Status while `reader` may not list pods, and the list
// once a RoleBinding lets it; https://kubernetes.default.svc answers the same by name. Their
// downwardAPI resource files hold a set limit and, for an unset one, their node's allocatable;
// a downwardAPI volume naming a pod field only env may read is refused as the API server does.
// No timing assertions: every wait is for a condition; everything is stopped even on failure.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT } from './support/berth.ts';
import { startEksHostCluster, type EksHostCluster, type EksNode } from './support/eks-host-cluster.ts';
import { until } from './support/until.ts';

let k: EksHostCluster;
/** Pod start and readiness on a loaded CI host: minutes of slack. */
const WAIT_MS = 180_000;
/** The host paths the client pods get, read-only: the checkout's Node, its libraries, @kubernetes/client-node. */
const HOST_PATHS = ['/usr', '/lib', '/lib64', ROOT];
const CLIENT = join(ROOT, 'test/support/in-cluster-client.ts');
let host1: EksNode;
let host2: EksNode;

const client = (name: string, node: EksNode) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'client' } },
  spec: {
    nodeName: node.name, serviceAccountName: 'reader', terminationGracePeriodSeconds: 1,
    volumes: [
      ...HOST_PATHS.map((p, i) => ({ name: `host${i}`, hostPath: { path: p } })),
      // A limit it sets, and one it does not: that one reads as its node's allocatable, known once placed.
      { name: 'res', downwardAPI: { items: [
        { path: 'mem', resourceFieldRef: { containerName: 'main', resource: 'limits.memory', divisor: '1Mi' } },
        { path: 'cpu', resourceFieldRef: { containerName: 'main', resource: 'limits.cpu', divisor: '1m' } },
      ] } },
    ],
    containers: [{
      name: 'main', image: 'busybox', command: ['sleep', '3600'], resources: { limits: { memory: '256Mi' } },
      volumeMounts: [...HOST_PATHS.map((p, i) => ({ name: `host${i}`, mountPath: p, readOnly: true })), { name: 'res', mountPath: '/etc/res' }],
    }],
  },
});

const manifests = () => JSON.stringify({
  apiVersion: 'v1', kind: 'List', items: [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reader' } },
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
      spec: {
        replicas: 2, selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            nodeName: host1.name, terminationGracePeriodSeconds: 1,
            containers: [{
              name: 'web', image: 'busybox', ports: [{ containerPort: 80, name: 'http' }],
              command: ['sh', '-c', 'mkdir -p /www && echo "web $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www'],
              readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 1 },
            }],
          },
        },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } },
    client('client-1', host1),
    client('client-2', host2),
  ],
});

/** What the in-cluster client printed in `pod`, run the way its image would run it. */
async function inside<T>(pod: string, ...args: string[]): Promise<T> {
  const r = await k.kubectlResult(['exec', pod, '--', process.execPath, '--disable-warning=ExperimentalWarning', CLIENT, ...args]);
  assert.equal(r.code, 0, `the in-cluster client in ${pod}: ${r.stdout} ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as T;
}

const running = (pod: string) => until(`pod ${pod} Running`, async () => {
  const r = await k.kubectlResult(['get', 'pod', pod, '-o', 'jsonpath={.status.phase}']);
  return r.stdout.trim() === 'Running' ? true : undefined;
}, WAIT_MS);

before(async () => {
  k = await startEksHostCluster({ hosts: 2, cluster: 'inside' });
  // host-2 is 172.30.208.2 on the hosts bridge; host-1 is the machine.
  host2 = k.nodes.find((n) => n.internalIP === '172.30.208.2')!;
  host1 = k.nodes.find((n) => n !== host2)!;
  assert.ok(host1 && host2, JSON.stringify(k.nodes));
  await k.kubectl(['apply', '--server-side', '-f', '-'], manifests());
  await k.kubectl(['rollout', 'status', 'deployment/web', `--timeout=${WAIT_MS / 1000}s`]);
  await running('client-1');
  await running('client-2');
  // Both replicas ready in the Service's endpoints.
  await until('two ready endpoints of web', async () => {
    const r = await k.kubectlResult(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'json']);
    const slices = r.code === 0 ? JSON.parse(r.stdout) as { items: { endpoints?: { conditions?: { ready?: boolean } }[] }[] } : { items: [] };
    return slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).length === 2 ? true : undefined;
  }, WAIT_MS);
});

after(async () => {
  await k?.stop();
});

test('the kubernetes Service: its endpoint is where pods reach the API server, not loopback', async () => {
  const ep = JSON.parse(await k.kubectl(['get', 'endpoints', 'kubernetes', '-o', 'json'])) as { subsets: { addresses: { ip: string }[] }[] };
  const ip = ep.subsets[0]!.addresses[0]!.ip;
  assert.equal(ip, '172.30.224.1', "host-1's pod gateway");
});

test('a pod on another host reaches a Service by its DNS names, the short one through the search path', async () => {
  const answers = await inside<{ url: string; code: number; body: string }[]>('client-2', 'http', 'http://web/', 'http://web.default.svc.cluster.local/', 'http://web.default/');
  for (const a of answers) {
    assert.equal(a.code, 200, JSON.stringify(a));
    assert.match(a.body, /^web web-/, JSON.stringify(a));
  }
});

test("in-cluster config: client-node's loadFromCluster gets the API server's 403 while RBAC forbids, then the pods once a RoleBinding allows", async () => {
  for (const pod of ['client-1', 'client-2']) {
    const denied = await inside<{ server: string; namespace: string; code: number; body: { kind: string; reason: string; code: number; message: string; details: { kind: string } } }>(pod, 'api');
    assert.equal(denied.server, 'https://10.100.0.1:443', 'KUBERNETES_SERVICE_HOST and _PORT, as a kubelet sets them');
    assert.equal(denied.namespace, 'default');
    assert.equal(denied.code, 403, JSON.stringify(denied));
    assert.deepEqual([denied.body.kind, denied.body.reason, denied.body.code, denied.body.details.kind], ['Status', 'Forbidden', 403, 'pods']);
    assert.equal(denied.body.message, 'pods is forbidden: User "system:serviceaccount:default:reader" cannot list resource "pods" in API group "" in the namespace "default"');
  }
  await k.kubectl(['create', 'rolebinding', 'reader-view', '--clusterrole=view', '--serviceaccount=default:reader']);
  for (const pod of ['client-1', 'client-2']) {
    const allowed = await until(`${pod} allowed to list pods`, async () => {
      const r = await inside<{ code: number; names?: string[] }>(pod, 'api');
      return r.code === 200 ? r : undefined;
    }, WAIT_MS);
    assert.ok(allowed.names!.includes('client-1') && allowed.names!.includes('client-2'), JSON.stringify(allowed));
    assert.equal(allowed.names!.filter((n) => n.startsWith('web-')).length, 2, JSON.stringify(allowed));
  }
});

test('https://kubernetes.default.svc by name, with the projected token and ca.crt: the certificate names it', async () => {
  const r = await inside<{ code: number; body: { kind: string; items: { metadata: { name: string } }[] } }>('client-2', 'https');
  assert.equal(r.code, 200, JSON.stringify(r));
  assert.equal(r.body.kind, 'PodList');
  assert.ok(r.body.items.some((p) => p.metadata.name === 'client-2'));
});

test("downwardAPI volume files of resource fields: a limit the container sets, and the node's allocatable for one it does not (known once placed)", async () => {
  for (const [pod, node] of [['client-1', host1], ['client-2', host2]] as const) {
    const allocatable = (await k.kubectl(['get', 'node', node.name, '-o', 'jsonpath={.status.allocatable.cpu}'])).trim();
    const millicores = allocatable.endsWith('m') ? Number(allocatable.slice(0, -1)) : Number(allocatable) * 1000;
    assert.ok(millicores > 0, allocatable);
    const files = await k.kubectl(['exec', pod, '--', 'sh', '-c', 'echo "$(cat /etc/res/mem) $(cat /etc/res/cpu)"']);
    assert.equal(files.trim(), `256 ${millicores}`, `${pod} on ${node.name}`);
  }
});

test('a downwardAPI volume naming a placement-only field is refused as the API server refuses it (env only), nothing created', async () => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'where' }, spec: {
    volumes: [{ name: 'info', downwardAPI: { items: [{ path: 'ip', fieldRef: { fieldPath: 'status.podIP' } }] } }],
    containers: [{ name: 'main', image: 'busybox', command: ['sleep', '1'], volumeMounts: [{ name: 'info', mountPath: '/info' }] }],
  } };
  const r = await k.kubectlResult(['create', '-f', '-'], JSON.stringify(pod));
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /The Pod "where" is invalid: spec\.volumes\[0\]\.downwardAPI\.items\[0\]\.fieldRef\.fieldPath: Unsupported value: "status\.podIP": supported values: "metadata\.annotations", "metadata\.labels", "metadata\.name", "metadata\.namespace", "metadata\.uid"/);
  assert.notEqual((await k.kubectlResult(['get', 'pod', 'where'])).code, 0);
});
