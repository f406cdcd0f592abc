/**
 * The Pod view's promise, over randomized pods (fast-check, seeded so a failure reproduces):
 * a pod accepted and defaulted as the API server would, made into a task spec, stored as JSON
 * and viewed back, shows the same metadata and spec (plus the server's uid, resourceVersion,
 * creationTimestamp and the placement's nodeName: tolerations and affinity kept for the
 * placer), and its task runs each container it names, in order (each init container, a
 * sidecar among them, after the one before; app containers after the last), reserving at
 * least what each asks for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { TaskStatus } from '../../workload/status.ts';
import { defaultPod } from './defaults.ts';
import { cpuUnits, mebibytes, parseQuantity } from './quantity.ts';
import { podToTaskSpec } from './to-spec.ts';
import type { Container, DataObject, Pod, Volume } from './types.ts';
import { unsupportedErrors } from './unsupported.ts';
import { podCreateErrors } from './validate.ts';
import { podView } from './view.ts';

const RUNS = 300;
/** Fixed so a failure reproduces; BERTH_PROPERTY_SEED explores others. */
const SEED = Number(process.env.BERTH_PROPERTY_SEED ?? 1717);

const label = fc.stringMatching(/^[a-z]([a-z0-9-]{0,10}[a-z0-9])?$/);
const labels = fc.dictionary(label, fc.stringMatching(/^[a-zA-Z0-9]{0,8}$/), { maxKeys: 3 });
const cpu = fc.constantFrom('100m', '250m', '0.5', '1', '1500m', 2);
const memory = fc.constantFrom('64Mi', '128M', '1Gi', '100000000', '1.5Gi');
const resources = fc.record({ requests: fc.record({ cpu, memory }, { requiredKeys: [] }), limits: fc.record({ memory }, { requiredKeys: [] }) }, { requiredKeys: [] })
  .filter((r) => {
    const req = parseQuantity(r.requests?.memory ?? r.limits?.memory);
    const lim = parseQuantity(r.limits?.memory);
    return !req || !lim || req.num * lim.den <= lim.num * req.den;
  });
const probe = fc.oneof(
  fc.record({ exec: fc.record({ command: fc.constant(['true']).map((c) => [...c]) }) }),
  fc.record({ httpGet: fc.record({ port: fc.integer({ min: 1, max: 65535 }), path: fc.constantFrom('/', '/healthz') }, { requiredKeys: ['port'] }), periodSeconds: fc.integer({ min: 1, max: 30 }) }, { requiredKeys: ['httpGet'] }),
  fc.record({ tcpSocket: fc.record({ port: fc.integer({ min: 1, max: 65535 }) }) }),
);
const env = fc.array(fc.record({ name: fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,6}$/), value: fc.string({ maxLength: 8 }) }), { maxLength: 3 });

function containers(prefix: string, volumes: string[], init: boolean): fc.Arbitrary<Container[]> {
  const one = fc.record({
    image: fc.constantFrom('nginx', 'nginx:1.27', 'busybox@sha256:aa', 'localhost:5000/app:v2'),
    command: fc.option(fc.constant(['sh', '-c']), { nil: undefined }),
    args: fc.option(fc.constant(['echo $(HOME)']), { nil: undefined }),
    env,
    ports: init ? fc.constant<number[]>([]) : fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { maxLength: 2 }),
    resources,
    readinessProbe: init ? fc.constant(undefined) : fc.option(probe, { nil: undefined }),
    mounts: fc.subarray(volumes),
    tty: fc.boolean(),
  });
  return fc.array(one, { minLength: init ? 0 : 1, maxLength: init ? 2 : 3 }).map((cs) => cs.map((c, i): Container => ({
    name: `${prefix}${i}`,
    image: c.image,
    ...(c.command && { command: [...c.command] }),
    ...(c.args && { args: [...c.args] }),
    ...(c.env.length > 0 && { env: c.env }),
    ...(c.ports.length > 0 && { ports: c.ports.map((containerPort) => ({ containerPort })) }),
    resources: c.resources,
    ...(c.readinessProbe && { readinessProbe: c.readinessProbe }),
    ...(c.mounts.length > 0 && { volumeMounts: c.mounts.map((name) => ({ name, mountPath: `/mnt/${name}` })) }),
    ...(c.tty && { tty: true }),
  })));
}

const volume = (name: string): fc.Arbitrary<Volume> => fc.oneof(
  fc.constant({ name, emptyDir: {} }),
  fc.constant({ name, hostPath: { path: `/srv/${name}` } }),
  fc.record({ configMap: fc.record({ name: fc.constantFrom('cfg', 'missing'), optional: fc.boolean() }) }).map((v) => ({ name, ...v })),
  fc.record({ secret: fc.record({ secretName: fc.constant('sec'), defaultMode: fc.constantFrom(0o400, 0o644) }, { requiredKeys: ['secretName'] }) }).map((v) => ({ name, ...v })),
);

const pods: fc.Arbitrary<Pod> = fc.uniqueArray(label, { maxLength: 3 }).chain((names) => fc.record({
  name: label, namespace: label, labels, annotations: labels, generated: fc.boolean(),
  owner: fc.boolean(), finalizers: fc.subarray(['example.com/hold']),
  volumes: fc.tuple(...names.map(volume)),
  inits: containers('init-', names, true),
  apps: containers('app-', names, false),
  restartPolicy: fc.option(fc.constantFrom('Always', 'OnFailure', 'Never' as const), { nil: undefined }),
  hostNetwork: fc.boolean(),
  nodeSelector: fc.option(labels, { nil: undefined }),
  runAsUser: fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }),
  grace: fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined }),
  sidecar: fc.boolean(),
  tolerations: fc.array(fc.record({ key: label, operator: fc.constantFrom('Exists', 'Equal' as const), effect: fc.constantFrom('NoSchedule', 'NoExecute' as const) }), { maxLength: 2 }),
  zone: fc.option(fc.constantFrom('us-east-1a', 'us-east-1b'), { nil: undefined }),
  hostAliases: fc.array(fc.record({ ip: fc.ipV4(), hostnames: fc.array(label, { minLength: 1, maxLength: 2 }) }), { maxLength: 2 }),
})).map((p): Pod => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: {
    name: p.name, namespace: p.namespace,
    ...(p.generated && { generateName: `${p.name.slice(0, 20)}-` }),
    ...(Object.keys(p.labels).length > 0 && { labels: p.labels }),
    ...(Object.keys(p.annotations).length > 0 && { annotations: p.annotations }),
    ...(p.owner && { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u', controller: true, blockOwnerDeletion: true }] }),
    ...(p.finalizers.length > 0 && { finalizers: p.finalizers }),
  },
  spec: {
    ...(p.volumes.length > 0 && { volumes: p.volumes }),
    ...((p.inits.length > 0 || p.sidecar) && {
      initContainers: [...p.inits, ...(p.sidecar ? [{ name: 'proxy', image: 'envoy:1', restartPolicy: 'Always', readinessProbe: { tcpSocket: { port: 15000 } } }] : [])],
    }),
    ...(p.tolerations.length > 0 && { tolerations: p.tolerations }),
    ...(p.zone && { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: [p.zone] }] }] } } } }),
    ...(p.hostAliases.length > 0 && { hostAliases: p.hostAliases }),
    containers: p.apps,
    ...(p.restartPolicy && { restartPolicy: p.restartPolicy }),
    ...(p.hostNetwork && { hostNetwork: true }),
    ...(p.nodeSelector && { nodeSelector: p.nodeSelector }),
    ...(p.runAsUser !== undefined && { securityContext: { runAsUser: p.runAsUser } }),
    ...(p.grace !== undefined && { terminationGracePeriodSeconds: p.grace }),
  },
}));

const status: TaskStatus = { lastStatus: 'PENDING', changes: 0, healthStatus: 'UNKNOWN', attachments: [], containers: [] };
const CONFIG_MAPS: Record<string, DataObject> = { cfg: { data: { k: 'v' } }, 'kube-root-ca.crt': { data: { 'ca.crt': 'CA' } } };
const ID = 'feedfacefeedfacefeedfacefeedface';

test(`a pod round-trips through the task model: ${RUNS} randomized pods`, () => {
  fc.assert(fc.property(pods, fc.integer({ min: 0, max: 2 ** 31 - 1 }), (pod, suffix) => {
    let draw = suffix;
    const defaulted = defaultPod(pod, { rng: () => ((draw = (draw * 48271) % 2147483647) / 2147483647) });
    assert.deepEqual(podCreateErrors(defaulted), [], 'the generator makes valid pods');
    assert.deepEqual(unsupportedErrors(defaulted), [], 'and pods Berth runs');
    const { spec } = podToTaskSpec(defaulted, {
      id: ID, now: Date.parse('2026-12-07T15:00:00Z'), clusterUid: 'c',
      ecs: { scope: { account: '000000000000', region: 'us-east-1' }, clusterName: 'k', containerIds: ['a', 'b', 'c', 'd', 'e'] },
      configMap: (n) => CONFIG_MAPS[n],
      secret: (n) => (n === 'sec' ? { data: { p: 'cw==' } } : undefined), token: () => 'tok',
    });
    const stored = JSON.parse(JSON.stringify(spec)) as typeof spec;
    const placed = { ...stored, placement: { instanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/k/i' } };
    const view = podView(placed, status, { spec: 4, status: 2 }, { name: 'i-0abc', ip: '10.0.0.9' });
    const { uid, resourceVersion, creationTimestamp, ...metadata } = view.metadata!;
    assert.deepEqual(metadata, defaulted.metadata);
    assert.deepEqual([uid, resourceVersion, creationTimestamp], ['feedface-feed-face-feed-facefeedface', '4', '2026-12-07T15:00:00Z']);
    assert.deepEqual(view.spec, { ...defaulted.spec, nodeName: 'i-0abc' });
    const all = [...(defaulted.spec!.initContainers ?? []), ...defaulted.spec!.containers];
    assert.deepEqual(spec.containers.map((c) => [c.name, c.image, c.init === true]), all.map((c, i) => [c.name, c.image, i < (defaulted.spec!.initContainers ?? []).length]));
    for (const c of all) {
      const r = c.resources?.requests ?? {};
      assert.ok(spec.resources.reserved.cpu >= (parseQuantity(r.cpu) ? cpuUnits(parseQuantity(r.cpu)!) : 0));
      assert.ok(spec.resources.reserved.memory >= (parseQuantity(r.memory) ? mebibytes(parseQuantity(r.memory)!) : 0));
    }
    assert.equal(spec.network.mode, defaulted.spec!.hostNetwork ? 'host' : 'awsvpc');
    // Every container waits for the init container before it, app containers for the last.
    const inits = defaulted.spec!.initContainers ?? [];
    for (const [i, c] of spec.containers.entries()) {
      const before = i < inits.length ? inits[i - 1] : inits.at(-1);
      assert.deepEqual(c.dependsOn?.[0]?.containerName, before?.name);
    }
  }), { numRuns: RUNS, seed: SEED });
});
