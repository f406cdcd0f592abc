import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPod } from './defaults.ts';
import { milliValue } from './quantity.ts';
import { podRequest, podToTaskSpec, podUid, taskIdOfUid, type PodSpecInputs } from './to-spec.ts';
import type { DataObject, Pod } from './types.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const configMaps: Record<string, DataObject> = {
  'kube-root-ca.crt': { data: { 'ca.crt': 'CA' } },
  site: { data: { 'index.html': '<h1>hi</h1>', extra: 'x' }, binaryData: { 'logo.png': b64('PNG') } },
};
const ID = '0123456789abcdef0123456789abcdef';
const inputs = (o: Partial<PodSpecInputs> = {}): PodSpecInputs => ({
  id: ID, now: Date.parse('2026-12-07T15:00:00.500Z'), clusterUid: 'c-uid',
  ecs: { scope: { account: '000000000000', region: 'us-east-1' }, clusterName: 'eks-dev', containerIds: ['c0', 'c1', 'c2'] },
  configMap: (n) => configMaps[n],
  secret: (n) => (n === 'tls' ? { data: { 'tls.key': b64('KEY') } } : undefined),
  token: (r) => `token-for-${r.namespace}/${r.serviceAccountName}/${r.podName}/${r.expirationSeconds}`,
  ...o,
});
const web = (): Pod => defaultPod({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d', uid: 'rs-uid', controller: true }] },
  spec: {
    terminationGracePeriodSeconds: 10,
    securityContext: { runAsUser: 1000, runAsGroup: 3000 },
    initContainers: [{ name: 'migrate', image: 'app:1', command: ['sh', '-c'], args: ['migrate --to $(VERSION)'], env: [{ name: 'VERSION', value: '7' }], resources: { requests: { cpu: '2', memory: '1Gi' } } }],
    containers: [
      {
        name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80, name: 'http' }],
        resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '100M' } },
        readinessProbe: { httpGet: { port: 'http', path: '/healthz' } },
        volumeMounts: [{ name: 'site', mountPath: '/usr/share/nginx/html', readOnly: true }, { name: 'tls', mountPath: '/tls' }, { name: 'cache', mountPath: '/cache', subPath: 'nginx' }],
      },
      {
        name: 'sidecar', image: 'busybox', stdin: true, tty: true, resources: { requests: { cpu: '100m', memory: '32Mi' } },
        env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }], volumeMounts: [{ name: 'cache', mountPath: '/logs', subPathExpr: 'logs/$(POD)' }],
      },
    ],
    volumes: [
      { name: 'site', configMap: { name: 'site', items: [{ key: 'index.html', path: 'index.html' }, { key: 'logo.png', path: 'img/logo.png', mode: 0o600 }] } },
      { name: 'tls', secret: { secretName: 'tls', defaultMode: 0o400 } },
      { name: 'cache', emptyDir: {} },
    ],
  },
}, { rng: () => 0.5 });

test('a pod becomes a task: ids, ARNs, network, the pod request, and its kube part as stored', () => {
  const { spec, needsPlacement } = podToTaskSpec(web(), inputs());
  assert.equal(needsPlacement, false);
  assert.equal(spec.id, ID);
  assert.equal(podUid(ID), '01234567-89ab-cdef-0123-456789abcdef');
  assert.equal(taskIdOfUid(podUid(ID)), ID);
  assert.equal(spec.createdAt, Date.parse('2026-12-07T15:00:00Z') / 1000);
  assert.deepEqual(spec.network, { mode: 'awsvpc', reservedPorts: [] });
  // max(app containers 350m + 96Mi, init 2 CPUs + 1Gi) per resource.
  assert.deepEqual(spec.resources, { reserved: { cpu: 2048, memory: 1024 } });
  assert.equal(spec.ecs.taskArn, `arn:aws:ecs:us-east-1:000000000000:task/eks-dev/${ID}`);
  assert.deepEqual(spec.ecs.containerArns, ['c0', 'c1', 'c2'].map((c) => `arn:aws:ecs:us-east-1:000000000000:container/eks-dev/${ID}/${c}`));
  assert.equal(spec.ecs.group, 'pod:shop/web');
  assert.equal(spec.kube?.creationTimestamp, '2026-12-07T15:00:00Z');
  assert.deepEqual(spec.kube?.podSpec, web().spec);
  assert.equal(spec.kube?.unresolved, undefined);
});

test('containers: init first and in order, command/args expanded, units and MiB, probes with named ports, security, grace period', () => {
  const { spec } = podToTaskSpec(web(), inputs());
  const [migrate, nginx, sidecar] = spec.containers;
  assert.deepEqual([migrate?.init, migrate?.entrypoint, migrate?.command, migrate?.restart], [true, ['sh', '-c'], ['migrate --to 7'], { policy: 'OnFailure' }]);
  assert.deepEqual(nginx?.dependsOn, [{ containerName: 'migrate', condition: 'SUCCESS' }]);
  assert.deepEqual(nginx?.resources, { cpu: 256, cpuLimit: 512, memory: 96, memoryReservation: 64 });
  assert.deepEqual(nginx?.probes?.readiness?.handler, { httpGet: { path: '/healthz', port: 80, scheme: 'HTTP', headers: [] } });
  assert.deepEqual(nginx?.ports, [{ containerPort: 80, protocol: 'tcp', name: 'http' }]);
  assert.deepEqual(nginx?.security, { user: '1000:3000' });
  assert.equal(nginx?.essential, false);
  assert.equal(nginx?.stopTimeout, 10);
  assert.equal(nginx?.linux?.hostname, 'web');
  assert.deepEqual(nginx?.mounts.slice(0, 3), [
    { volume: 'site', path: '/usr/share/nginx/html', readOnly: true }, { volume: 'tls', path: '/tls', readOnly: false }, { volume: 'cache', path: '/cache', readOnly: false, subPath: 'nginx' },
  ]);
  assert.deepEqual([sidecar?.stdin, sidecar?.tty, sidecar?.restart], [true, true, { policy: 'Always' }]);
  assert.deepEqual(sidecar?.mounts[0], { volume: 'cache', path: '/logs', readOnly: false, subPath: 'logs/web' });
});

test('volumes: items and modes, a secret as it is stored, scratch, and the service account token', () => {
  const { spec } = podToTaskSpec(web(), inputs());
  const byName = new Map(spec.volumes.map((v) => [v.name, v]));
  assert.deepEqual(byName.get('site'), { name: 'site', files: { items: [{ path: 'index.html', content: b64('<h1>hi</h1>'), mode: 0o644 }, { path: 'img/logo.png', content: b64('PNG'), mode: 0o600 }] } });
  assert.deepEqual(byName.get('tls'), { name: 'tls', files: { items: [{ path: 'tls.key', content: b64('KEY'), mode: 0o400 }] } });
  assert.deepEqual(byName.get('cache'), { name: 'cache', scratch: {} });
  const token = spec.volumes.find((v) => v.name.startsWith('kube-api-access-'));
  assert.ok(token && 'files' in token);
  assert.deepEqual(token.files.items, [
    { path: 'token', content: b64('token-for-shop/default/web/3607'), mode: 0o644 },
    { path: 'ca.crt', content: b64('CA'), mode: 0o644 },
    { path: 'namespace', content: b64('shop'), mode: 0o644 },
  ]);
});

test('a missing ConfigMap leaves the containers that mount it waiting, with the kubelet message', () => {
  const { spec } = podToTaskSpec(web(), inputs({ configMap: () => undefined }));
  assert.deepEqual(spec.kube?.unresolved?.map((u) => [u.container, u.reason, u.message]).slice(0, 1), [
    ['nginx', 'ContainerCreating', 'MountVolume.SetUp failed for volume "site" : configmap "site" not found'],
  ]);
});

test('hostNetwork: host mode, host ports reserved, no hostname of its own; Fargate pods run FARGATE', () => {
  const pod = defaultPod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'h' }, spec: { hostNetwork: true, containers: [{ name: 'a', image: 'a:1', ports: [{ containerPort: 53, protocol: 'UDP' }] }] } }, { rng: () => 0 });
  const { spec } = podToTaskSpec(pod, inputs({ fargate: true }));
  assert.deepEqual(spec.network, { mode: 'host', reservedPorts: ['53/udp'] });
  assert.equal(spec.containers[0]?.linux?.hostname, undefined);
  assert.equal(spec.launchType, 'FARGATE');
  assert.deepEqual(spec.resources.reserved, { cpu: 256, memory: 512 }, 'no request on Fargate: the smallest Fargate size (0.25 vCPU, 0.5 GB)');
});

test('the pod request counts sidecars with the running containers and at each later init step', () => {
  const spec = {
    initContainers: [
      { name: 'proxy', image: 'x', restartPolicy: 'Always', resources: { requests: { cpu: '300m' } } },
      { name: 'init', image: 'x', resources: { requests: { cpu: '1' } } },
    ],
    containers: [{ name: 'app', image: 'x', resources: { requests: { cpu: '500m' } } }],
  };
  // init peak: 300m + 1 = 1.3 CPUs; running: 500m + 300m.
  assert.equal(milliValue(podRequest(spec, 'cpu')), 1300);
  assert.equal(milliValue(podRequest({ ...spec, containers: [{ name: 'app', image: 'x', resources: { requests: { cpu: '1500m' } } }] }, 'cpu')), 1800);
});

test('the resolver: cluster DNS and ndots:5 for ClusterFirst (not on the host network unless ClusterFirstWithHostNet), dnsConfig added, host aliases in /etc/hosts', () => {
  const make = (spec: Pod['spec']) => podToTaskSpec(defaultPod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'r', namespace: 'shop' }, spec }, { rng: () => 0 }), inputs({ clusterDns: { server: '172.20.0.10', domain: 'cluster.local' } })).spec.containers[0]!.linux;
  const containers = [{ name: 'a', image: 'a:1' }];
  assert.deepEqual(make({ containers, dnsConfig: { searches: ['corp.example'] }, hostAliases: [{ ip: '10.1.1.1', hostnames: ['db', 'db.local'] }] }), {
    hostname: 'r', dnsServers: ['172.20.0.10'], dnsSearchDomains: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example'],
    dnsOptions: ['ndots:5'],
    extraHosts: [{ hostname: 'db', ipAddress: '10.1.1.1' }, { hostname: 'db.local', ipAddress: '10.1.1.1' }],
  });
  assert.equal(make({ containers, hostNetwork: true }), undefined, 'ClusterFirst on the host network resolves as the host does');
  assert.deepEqual(make({ containers, hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' })?.dnsServers, ['172.20.0.10']);
  assert.deepEqual(make({ containers, dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'] } }), { hostname: 'r', dnsServers: ['1.1.1.1'], dnsSearchDomains: [], dnsOptions: [] },
    'None: dnsConfig alone, nothing of the host\'s');
});

test('dnsPolicy: Default resolves as the host does but for dnsConfig; dnsConfig options merge over ndots:5 by name, duplicates dropped', () => {
  const make = (spec: Pod['spec'], clusterDns: boolean = true) => podToTaskSpec(defaultPod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'r', namespace: 'shop' }, spec }, { rng: () => 0 }),
    inputs(clusterDns ? { clusterDns: { server: '172.20.0.10', domain: 'cluster.local' } } : {})).spec.containers[0]!.linux;
  const containers = [{ name: 'a', image: 'a:1' }];
  assert.deepEqual(make({ containers, dnsPolicy: 'Default' }), { hostname: 'r' });
  assert.deepEqual(make({ containers, dnsPolicy: 'Default', dnsConfig: { options: [{ name: 'edns0' }] } }), { hostname: 'r', dnsOptions: ['edns0'] });
  assert.deepEqual(make({ containers }, false), { hostname: 'r' }, 'ClusterFirst without a cluster DNS falls back to Default');
  const merged = make({ containers, dnsConfig: { nameservers: ['172.20.0.10', '1.1.1.1'], searches: ['cluster.local'], options: [{ name: 'ndots', value: '2' }, { name: 'single-request' }] } });
  assert.deepEqual(merged?.dnsServers, ['172.20.0.10', '1.1.1.1']);
  assert.deepEqual(merged?.dnsSearchDomains, ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local']);
  assert.deepEqual(merged?.dnsOptions, ['ndots:2', 'single-request']);
});

test("every container gets the `kubernetes` Service's variables, as a kubelet gives them: below the container's own, readable by $(VAR)", () => {
  const pod = web();
  pod.spec!.containers[1]!.env = [
    { name: 'KUBERNETES_SERVICE_PORT', value: '8443' },
    { name: 'API', value: 'https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)' },
  ];
  const { spec } = podToTaskSpec(pod, inputs({ masterService: { clusterIP: '10.100.0.1', port: 443 } }));
  const env = (name: string) => Object.fromEntries(spec.containers.find((c) => c.name === name)!.env.map((e) => [e.name, e.value]));
  assert.deepEqual(Object.entries(env('nginx')).filter(([k]) => k.startsWith('KUBERNETES_')), [
    ['KUBERNETES_SERVICE_HOST', '10.100.0.1'], ['KUBERNETES_SERVICE_PORT', '443'], ['KUBERNETES_SERVICE_PORT_HTTPS', '443'],
    ['KUBERNETES_PORT', 'tcp://10.100.0.1:443'], ['KUBERNETES_PORT_443_TCP', 'tcp://10.100.0.1:443'], ['KUBERNETES_PORT_443_TCP_PROTO', 'tcp'],
    ['KUBERNETES_PORT_443_TCP_PORT', '443'], ['KUBERNETES_PORT_443_TCP_ADDR', '10.100.0.1'],
  ]);
  assert.equal(env('migrate').KUBERNETES_SERVICE_HOST, '10.100.0.1', 'init containers too');
  const sidecar = env('sidecar');
  assert.equal(sidecar.KUBERNETES_SERVICE_PORT, '8443', "the container's own value wins");
  assert.equal(sidecar.API, 'https://10.100.0.1:8443');
  assert.equal(env('nginx').KUBERNETES_SERVICE_HOST, '10.100.0.1');
  const without = podToTaskSpec(web(), inputs()).spec;
  assert.ok(without.containers.every((c) => c.env.every((e) => !e.name.startsWith('KUBERNETES_'))), 'a cluster without the Service: none');
});
