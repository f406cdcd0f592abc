// kubectl 1.32 against a cluster's API server (Berth's real schemas) with the workload
// controllers running and the test-only generic pods row (test/support/kube-pods.ts): a
// stand-in kubelet makes each pod Running and Ready (or Succeeded / Failed, by its `fate`
// label). Deployments from `kubectl create deployment` through rollout, scale, undo and
// restart; Services (ClusterIP, NodePort, headless) with their endpoints; `kubectl get all`;
// garbage collection on delete; Jobs to Complete and Failed; a DaemonSet over generic nodes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthKubeSchemas } from '../src/api/kube/schema/schemas.ts';
import { startKubeTestServer, type KubeTestServer } from './support/kube.ts';
import { playKubelet, registryWithPods, TEST_NODES, type FakeKubelet, type PodFate } from './support/kube-pods.ts';
import { until } from './support/until.ts';

let k: KubeTestServer;
const IN_CLUSTER = '127.0.0.2';
let kubelet: FakeKubelet;
before(async () => {
  // 127.0.0.2 stands for the pod gateway: a second address of this machine (all of 127/8 is local).
  k = await startKubeTestServer({ schemas: new BerthKubeSchemas(), registry: registryWithPods([TEST_NODES]), inClusterHost: IN_CLUSTER });
  kubelet = await playKubelet(k.server, (pod) => (pod.metadata.labels?.fate as PodFate | undefined) ?? 'Ready');
});
after(async () => {
  kubelet?.close();
  await k?.close();
});

/** Polls until `check` holds (until() waits for an answer; false is none here). */
const waitFor = (what: string, check: () => Promise<boolean>, ms: number) => until(what, async () => ((await check()) ? true : undefined), ms);

const json = async <T>(args: string[]): Promise<T> => JSON.parse(await k.kubectl([...args, '-o', 'json'])) as T;
type Items = { items: { metadata: { name: string; ownerReferences?: { kind: string }[] }; spec?: Record<string, unknown>; status?: Record<string, unknown> }[] };
const names = async (what: string, selector?: string): Promise<string[]> =>
  (await json<Items>(['get', what, ...(selector ? ['-l', selector] : [])])).items.map((o) => o.metadata.name).sort();

test('the kubernetes Service holds the range\'s first address, with Endpoints naming the API server at its in-cluster address, where it answers', async () => {
  await waitFor('the kubernetes endpoints', async () => (await k.kubectlResult(['get', 'endpoints', 'kubernetes'])).code === 0, 10_000);
  const svc = await json<{ spec: { clusterIP: string; ports: { name: string; port: number; targetPort: number }[] } }>(['get', 'service', 'kubernetes']);
  assert.equal(svc.spec.clusterIP, '10.100.0.1');
  const port = Number(new URL(k.url).port);
  assert.deepEqual(svc.spec.ports.map((p) => [p.name, p.port, p.targetPort]), [['https', 443, port]]);
  const ep = await json<{ subsets: { addresses: { ip: string }[]; ports: { port: number }[] }[] }>(['get', 'endpoints', 'kubernetes']);
  assert.deepEqual(ep.subsets.map((s) => [s.addresses.map((a) => a.ip), s.ports.map((p) => p.port)]), [[[IN_CLUSTER], [port]]]);
  const slice = await json<{ endpoints: { addresses: string[] }[]; ports: { port: number }[] }>(['get', 'endpointslice', 'kubernetes']);
  assert.deepEqual([slice.endpoints.map((e) => e.addresses), slice.ports.map((p) => p.port)], [[[IN_CLUSTER]], [port]]);
  // The same server on that address: the test certificate names localhost, so the TLS name is given.
  const there = await k.kubectlResult(['--server', `https://${IN_CLUSTER}:${port}`, '--tls-server-name', 'localhost', 'get', '--raw', '/api/v1/namespaces/default/services/kubernetes']);
  assert.equal(there.code, 0, there.stderr);
  assert.equal((JSON.parse(there.stdout) as { spec: { clusterIP: string } }).spec.clusterIP, '10.100.0.1');
});

test('create deployment, rollout status, scale, set image, history, undo, restart', async () => {
  await k.kubectl(['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=3', '--port=80']);
  await k.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s']);
  const table = await k.kubectl(['get', 'deployment', 'web']);
  assert.match(table, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+3\/3\s+3\s+3\s+/);
  assert.equal((await names('pods', 'app=web')).length, 3);
  const wide = await k.kubectl(['get', 'rs', '-l', 'app=web', '-o', 'wide']);
  assert.match(wide, /DESIRED\s+CURRENT\s+READY\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR/);
  assert.match(wide, /\s3\s+3\s+3\s+.*nginx\s+nginx:1\.27\s+app=web,pod-template-hash=/);

  assert.match(await k.kubectl(['scale', 'deployment/web', '--replicas=5']), /deployment.apps\/web scaled/);
  await k.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s']);
  assert.equal((await names('pods', 'app=web')).length, 5);
  const scale = JSON.parse(await k.kubectl(['get', '--raw', '/apis/apps/v1/namespaces/default/deployments/web/scale'])) as { kind: string; spec: { replicas: number }; status: { selector: string } };
  assert.deepEqual([scale.kind, scale.spec.replicas, scale.status.selector], ['Scale', 5, 'app=web']);

  await k.kubectl(['set', 'image', 'deployment/web', 'nginx=nginx:1.28']);
  await k.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s']);
  const described = await k.kubectl(['describe', 'deployment', 'web']);
  assert.match(described, /Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set web-\w+ from 0 to 3/);
  assert.match(described, /Scaled up replica set web-\w+ from 3 to 5/);
  assert.match(await k.kubectl(['get', 'events', '--field-selector', 'involvedObject.kind=ReplicaSet']), /SuccessfulCreate\s+replicaset\/web-\w+\s+Created pod: web-\w+-\w+/);
  const history = await k.kubectl(['rollout', 'history', 'deployment/web']);
  assert.match(history, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
  const image = async () => k.kubectl(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
  assert.equal(await image(), 'nginx:1.28');

  assert.match(await k.kubectl(['rollout', 'undo', 'deployment/web']), /rolled back/);
  await k.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s']);
  assert.equal(await image(), 'nginx:1.27');
  const pods = (await json<Items>(['get', 'pods', '-l', 'app=web'])).items;
  assert.equal(pods.length, 5);
  assert.ok(pods.every((p) => (p.spec!.containers as { image: string }[])[0]!.image === 'nginx:1.27'));

  await k.kubectl(['rollout', 'restart', 'deployment/web']);
  await k.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s']);
  const sets = (await json<Items>(['get', 'rs', '-l', 'app=web'])).items;
  assert.equal(sets.filter((rs) => (rs.spec!.replicas as number) > 0).length, 1, 'one ReplicaSet runs after the restart');
  assert.equal(sets.length, 3);
});

test('expose makes a ClusterIP Service from the deployment\'s selector; its endpoints are the ready pods; the address is immutable', async () => {
  await k.kubectl(['create', 'deployment', 'api', '--image=nginx:1.27', '--replicas=2', '--port=8080']);
  await k.kubectl(['rollout', 'status', 'deployment/api', '--timeout=60s']);
  assert.match(await k.kubectl(['expose', 'deployment', 'api', '--port=80', '--target-port=8080']), /service\/api exposed/);
  const svc = await json<{ spec: { clusterIP: string; clusterIPs: string[]; selector: Record<string, string>; ports: { port: number; targetPort: number; protocol: string }[]; type: string } }>(['get', 'svc', 'api']);
  assert.match(svc.spec.clusterIP, /^10\.100\.\d+\.\d+$/);
  assert.notEqual(svc.spec.clusterIP, '10.100.0.1');
  assert.deepEqual(svc.spec.clusterIPs, [svc.spec.clusterIP]);
  assert.deepEqual([svc.spec.type, svc.spec.selector, svc.spec.ports.map((p) => [p.port, p.targetPort, p.protocol])], ['ClusterIP', { app: 'api' }, [[80, 8080, 'TCP']]]);
  const podIPs = (await json<Items>(['get', 'pods', '-l', 'app=api'])).items.map((p) => p.status!.podIP as string).sort();
  await waitFor('the api endpoints', async () => {
    const ep = await json<{ subsets?: { addresses?: { ip: string }[] }[] }>(['get', 'endpoints', 'api']);
    return JSON.stringify((ep.subsets?.[0]?.addresses ?? []).map((a) => a.ip).sort()) === JSON.stringify(podIPs);
  }, 10_000);
  const slices = await k.kubectl(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=api']);
  assert.match(slices, /ADDRESSTYPE\s+PORTS\s+ENDPOINTS/);
  assert.match(slices, /IPv4\s+8080\s+10\.244\./);
  assert.match(await k.kubectl(['get', 'svc', 'api']), new RegExp(`api\\s+ClusterIP\\s+${svc.spec.clusterIP.replace(/\./g, '\\.')}\\s+<none>\\s+80/TCP`));

  const r = await k.kubectlResult(['patch', 'svc', 'api', '-p', '{"spec":{"clusterIP":"10.100.9.9"}}']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /The Service "api" is invalid: spec\.clusterIPs\[0\]: Invalid value: \[\]string\{"10\.100\.9\.9"\}: may not change once set/);
  assert.equal(await k.kubectl(['get', 'svc', 'api', '-o', 'jsonpath={.spec.clusterIP}']), svc.spec.clusterIP, 'nothing changed');
});

test('NodePort services get distinct ports in 30000-32767; a port taken is refused; headless services have no address', async () => {
  const np = (name: string, nodePort?: number) => `apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - {name: http, port: 80${nodePort ? `, nodePort: ${nodePort}` : ''}}
  - {name: metrics, port: 9100}
`;
  await k.kubectl(['apply', '-f', '-'], np('np1'));
  const ports = (await json<{ spec: { ports: { nodePort: number; targetPort: number }[] } }>(['get', 'svc', 'np1'])).spec.ports;
  assert.equal(ports.length, 2);
  for (const p of ports) assert.ok(p.nodePort >= 30000 && p.nodePort <= 32767, String(p.nodePort));
  assert.notEqual(ports[0]!.nodePort, ports[1]!.nodePort);
  assert.deepEqual(ports.map((p) => p.targetPort), [80, 9100], 'targetPort defaults to port');
  const taken = ports[0]!.nodePort;
  const r = await k.kubectlResult(['apply', '-f', '-'], np('np2', taken));
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, new RegExp(`spec\\.ports\\[0\\]\\.nodePort: Invalid value: ${taken}: provided port is already allocated`));
  assert.equal((await k.kubectlResult(['get', 'svc', 'np2'])).code, 1, 'nothing was created');
  // Re-applying keeps the node ports allocated (kubectl apply never sends them).
  await k.kubectl(['apply', '-f', '-'], np('np1'));
  assert.deepEqual((await json<{ spec: { ports: { nodePort: number }[] } }>(['get', 'svc', 'np1'])).spec.ports.map((p) => p.nodePort), ports.map((p) => p.nodePort));
  // Deleting releases them.
  await k.kubectl(['delete', 'svc', 'np1']);
  await k.kubectl(['apply', '-f', '-'], np('np2', taken));

  // kubectl create service sends protobuf.
  assert.match(await k.kubectl(['create', 'service', 'nodeport', 'np3', '--tcp=8080:80']), /service\/np3 created/);
  assert.match(await k.kubectl(['get', 'svc', 'np3']), /np3\s+NodePort\s+10\.100\.\d+\.\d+\s+<none>\s+8080:3\d{4}\/TCP/);
  assert.equal(await k.kubectl(['get', 'svc', 'np3', '-o', 'jsonpath={.spec.selector.app} {.spec.ports[0].name} {.spec.ports[0].targetPort}']), 'np3 8080-80 80');

  await k.kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec:\n  clusterIP: None\n  selector: {app: db}\n  ports: [{port: 5432}]\n');
  assert.match(await k.kubectl(['get', 'svc', 'db']), /db\s+ClusterIP\s+None\s+<none>\s+5432\/TCP/);
  const bad = await k.kubectlResult(['apply', '-f', '-'], 'apiVersion: v1\nkind: Service\nmetadata: {name: two}\nspec:\n  ports: [{port: 80}, {port: 81}]\n');
  // kubectl prints the server's aggregate of two causes as a list.
  assert.match(bad.stderr, /The Service "two" is invalid: \n\* spec\.ports\[0\]\.name: Required value\n\* spec\.ports\[1\]\.name: Required value/);
});

test('a pod counts as available only minReadySeconds after it is ready, and the rollout finishes then with no other change', async () => {
  const started = Date.now();
  await k.kubectl(['apply', '-f', '-'], `apiVersion: apps/v1
kind: Deployment
metadata: {name: slow}
spec:
  replicas: 1
  minReadySeconds: 2
  selector: {matchLabels: {app: slow}}
  template:
    metadata: {labels: {app: slow}}
    spec: {containers: [{name: c, image: nginx:1.27}]}
`);
  await k.kubectl(['rollout', 'status', 'deployment/slow', '--timeout=30s']);
  // Conditions' times are whole seconds (as the server writes them): 2 s after a truncated ready time is at least 1 s after it.
  assert.ok(Date.now() - started >= 1000, 'not available before minReadySeconds');
  await k.kubectl(['delete', 'deployment', 'slow']);
});

test('kubectl get all lists services, deployments, replicasets and pods', async () => {
  const all = await k.kubectl(['get', 'all']);
  for (const want of [/^service\/kubernetes\s/m, /^service\/api\s/m, /^deployment\.apps\/web\s+5\/5/m, /^replicaset\.apps\/web-/m, /^pod\/web-/m]) assert.match(all, want);
});

test('delete deployment collects its replicasets and pods, in the background and in the foreground', async () => {
  await k.kubectl(['delete', 'deployment', 'web']);
  await waitFor('web collected', async () => (await names('rs', 'app=web')).length === 0 && (await names('pods', 'app=web')).length === 0, 15_000);
  const r = await k.kubectlResult(['delete', 'deployment', 'api', '--cascade=foreground', '--timeout=30s']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await k.kubectlResult(['get', 'deployment', 'api'])).code, 1, 'gone once its dependents are');
  assert.deepEqual(await names('rs', 'app=api'), []);
  assert.deepEqual(await names('pods', 'app=api'), [], 'the ReplicaSets went in the foreground too: their pods first');
  // The Service stays (it belongs to no one) and its endpoints empty out.
  await waitFor('empty api endpoints', async () => (await json<{ subsets?: unknown[] }>(['get', 'endpoints', 'api'])).subsets === undefined, 10_000);
});

const job = (name: string, fate: PodFate, extra = '') => `apiVersion: batch/v1
kind: Job
metadata: {name: ${name}}
spec:
  backoffLimit: 1
  completions: 2
  parallelism: 2${extra}
  template:
    metadata: {labels: {fate: ${fate}}}
    spec:
      restartPolicy: Never
      containers: [{name: main, image: busybox:1.36, command: [sh, -c, 'exit 0']}]
`;

test('a Job runs its completions to Complete; one whose pods fail past backoffLimit is Failed', async () => {
  await k.kubectl(['apply', '-f', '-'], job('ok', 'Succeeded'));
  await k.kubectl(['wait', '--for=condition=complete', 'job/ok', '--timeout=30s']);
  const table = await k.kubectl(['get', 'job', 'ok']);
  assert.match(table, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\nok\s+Complete\s+2\/2\s+/);
  const ok = await json<{ spec: { selector: { matchLabels: Record<string, string> } }; metadata: { uid: string }; status: { succeeded: number; completionTime: string } }>(['get', 'job', 'ok']);
  assert.deepEqual(ok.spec.selector.matchLabels, { 'batch.kubernetes.io/controller-uid': ok.metadata.uid });
  assert.equal(ok.status.succeeded, 2);
  assert.ok(ok.status.completionTime);
  assert.equal((await names('pods', 'job-name=ok')).length, 2);

  await k.kubectl(['apply', '-f', '-'], job('bad', 'Failed'));
  await k.kubectl(['wait', '--for=condition=failed', 'job/bad', '--timeout=30s']);
  const bad = await json<{ status: { failed: number; conditions: { type: string; reason: string }[] } }>(['get', 'job', 'bad']);
  assert.ok(bad.status.failed >= 2);
  assert.deepEqual(bad.status.conditions.filter((c) => c.type === 'Failed').map((c) => c.reason), ['BackoffLimitExceeded']);
  assert.match(await k.kubectl(['get', 'job', 'bad']), /bad\s+Failed\s+0\/2/);
  assert.match(await k.kubectl(['describe', 'job', 'bad']), /Warning\s+BackoffLimitExceeded\s+\S+\s+job-controller\s+Job has reached the specified backoff limit/);
  assert.match(await k.kubectl(['describe', 'job', 'ok']), /Normal\s+Completed\s+\S+\s+job-controller\s+Job completed/);

  await k.kubectl(['apply', '-f', '-'], job('brief', 'Succeeded', '\n  ttlSecondsAfterFinished: 1'));
  await waitFor('the finished job deleted after its TTL', async () => (await k.kubectlResult(['get', 'job', 'brief'])).code !== 0, 15_000);
  await waitFor('its pods collected', async () => (await names('pods', 'job-name=brief')).length === 0, 15_000);

  const r = await k.kubectlResult(['apply', '-f', '-'], job('never', 'Succeeded').replace('restartPolicy: Never', 'restartPolicy: Always'));
  assert.match(r.stderr, /spec\.template\.spec\.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"/);
});

test('a DaemonSet runs one pod on each node its selector and taints allow', async () => {
  const node = (name: string, labels: string, taint = '') => `apiVersion: v1\nkind: Node\nmetadata: {name: ${name}, labels: {${labels}}}\nspec: {${taint}}\n`;
  await k.kubectl(['apply', '-f', '-'], [node('n1', 'disk: ssd'), node('n2', 'disk: ssd'), node('n3', 'disk: hdd'), node('n4', 'disk: ssd', 'taints: [{key: dedicated, value: db, effect: NoSchedule}]')].join('---\n'));
  await k.kubectl(['apply', '-f', '-'], `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      nodeSelector: {disk: ssd}
      containers: [{name: agent, image: busybox:1.36}]
`);
  await k.kubectl(['rollout', 'status', 'daemonset/agent', '--timeout=30s']);
  const pods = (await json<Items>(['get', 'pods', '-l', 'app=agent'])).items;
  const nodes = pods.map((p) => ((p.spec!.affinity as { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: { matchFields: { values: string[] }[] }[] } } })
    .nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]!.matchFields[0]!.values[0])).sort();
  assert.deepEqual(nodes, ['n1', 'n2']);
  assert.match(await k.kubectl(['get', 'ds', 'agent']), /agent\s+2\s+2\s+2\s+2\s+2\s+disk=ssd\s+/);
  await k.kubectl(['label', 'node', 'n3', 'disk=ssd', '--overwrite']);
  await waitFor('a third agent pod', async () => (await names('pods', 'app=agent')).length === 3, 10_000);
});
