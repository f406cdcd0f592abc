import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPod } from './defaults.ts';
import { containerEnv, type PlacedFacts } from './env.ts';
import { placedEnv, placedVolumes, podFieldsOf } from './placed-env.ts';
import { podToTaskSpec, type PodSpecInputs } from './to-spec.ts';
import type { Container, Pod } from './types.ts';

const ID = '0123456789abcdef0123456789abcdef';
const inputs = (o: Partial<PodSpecInputs> = {}): PodSpecInputs => ({
  id: ID, now: Date.parse('2026-12-07T15:00:00.500Z'), clusterUid: 'c-uid',
  ecs: { scope: { account: '000000000000', region: 'us-east-1' }, clusterName: 'default', containerIds: ['c0', 'c1'] },
  configMap: (n) => (n === 'cfg' ? { data: { color: 'blue', SHARED: 'from-map' } } : undefined),
  secret: () => undefined,
  token: () => 'token',
  ...o,
});
const app: Container = {
  name: 'app', image: 'app:1',
  envFrom: [{ configMapRef: { name: 'cfg' } }],
  env: [
    { name: 'MY_NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
    { name: 'WHERE', value: 'on $(MY_NODE) as $(MY_NAME)' },
    { name: 'MY_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
    { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    { name: 'POD_IPS', valueFrom: { fieldRef: { fieldPath: 'status.podIPs' } } },
    { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'color' } } },
    { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
    { name: 'LATER', value: '$(MY_NODE)/$(COLOR)' },
  ],
};
const pod = (): Pod => defaultPod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } }, spec: { containers: [app] } }, { rng: () => 0 });
const placed: PlacedFacts = { nodeName: 'i-0abc', hostIP: '172.30.208.2', podIP: '172.30.20.7', allocatable: { cpu: '2', memory: '3900Mi' } };

test('the env made before placement leaves the placement-only vars out; the agent\'s fill-in equals the env a placed pod is made with', () => {
  const { spec, needsPlacement } = podToTaskSpec(pod(), inputs());
  assert.equal(needsPlacement, true);
  const made = spec.containers.find((c) => c.name === 'app')!.env;
  assert.equal(made.find((e) => e.name === 'MY_NODE'), undefined);
  const filled = placedEnv(spec, 'app', made, placed);
  const direct = containerEnv(app, [app], podFieldsOf(spec)!, inputs(), placed).env;
  assert.deepEqual(filled, direct, 'as if the spec had been made knowing the placement');
  const get = (n: string) => filled.find((e) => e.name === n)?.value;
  assert.equal(get('MY_NODE'), 'i-0abc');
  assert.equal(get('HOST_IP'), '172.30.208.2');
  assert.equal(get('POD_IP'), '172.30.20.7');
  assert.equal(get('POD_IPS'), '172.30.20.7');
  assert.equal(get('MY_NAME'), 'web');
  assert.equal(get('COLOR'), 'blue', 'a ConfigMap key as read when the spec was made');
  assert.equal(get('SHARED'), 'from-map', 'envFrom kept');
  assert.equal(get('MEM_MI'), '3900', 'an unset limit reads as the node\'s allocatable');
  assert.equal(get('WHERE'), 'on i-0abc as $(MY_NAME)', 'expanded against what is defined so far, as the kubelet does');
  assert.equal(get('LATER'), 'i-0abc/blue');
});

test('an ECS task, or a container the pod spec does not name, keeps the env it was made with', () => {
  const { spec } = podToTaskSpec(pod(), inputs());
  const made = [{ name: 'A', value: '1' }];
  assert.deepEqual(placedEnv(spec, 'nobody', made, placed), made);
  const { kube: _k, ...ecs } = spec;
  assert.deepEqual(placedEnv(ecs, 'app', made, placed), made);
});

test("downwardAPI resource files: a limit the container sets is written with the spec; an unset one is the node's allocatable, filled in by the agent", () => {
  const withFiles = defaultPod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'shop' }, spec: {
    containers: [{ ...app, resources: { limits: { memory: '64Mi' } } }],
    volumes: [
      { name: 'res', downwardAPI: { items: [
        { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } },
        { path: 'cpu', resourceFieldRef: { containerName: 'app', resource: 'limits.cpu', divisor: '1m' }, mode: 0o400 },
        { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
      ] } },
      { name: 'proj', projected: { sources: [{ downwardAPI: { items: [{ path: 'mem-bytes', resourceFieldRef: { containerName: 'app', resource: 'limits.memory' } }] } }] } },
    ],
  } }, { rng: () => 0 });
  const { spec } = podToTaskSpec(withFiles, inputs());
  const files = (s: typeof spec, volume: string) => {
    const v = s.volumes.find((x) => x.name === volume)!;
    assert.ok('files' in v);
    return Object.fromEntries(v.files.items.map((i) => [i.path, { text: Buffer.from(i.content, 'base64').toString(), mode: i.mode, placed: i.resourceField !== undefined }]));
  };
  assert.deepEqual(files(spec, 'res'), {
    mem: { text: '64', mode: 0o644, placed: false },
    cpu: { text: '', mode: 0o400, placed: true },
    name: { text: 'web', mode: 0o644, placed: false },
  });
  assert.deepEqual(files(spec, 'proj')['mem-bytes'], { text: String(64 * 1024 * 1024), mode: 0o644, placed: false });
  const filled = { ...spec, volumes: placedVolumes(spec, placed) };
  assert.equal(files(filled, 'res').cpu!.text, '2000', 'the node allocatable 2 CPUs in millicores');
  assert.deepEqual({ ...files(filled, 'res'), cpu: undefined }, { ...files(spec, 'res'), cpu: undefined }, 'the rest as made');
  assert.strictEqual(filled.volumes[1], spec.volumes[1], 'a volume with nothing to fill is the same object');
});
