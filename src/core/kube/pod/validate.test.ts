import { test } from 'node:test';
import assert from 'node:assert/strict';
import { invalidMessage } from '../names.ts';
import { defaultPod } from './defaults.ts';
import type { Container, Pod, PodSpec } from './types.ts';
import { unsupportedErrors } from './unsupported.ts';
import { podUpdateErrors } from './update.ts';
import { podCreateErrors, quantityDecodeError } from './validate.ts';

const pod = (spec: Partial<PodSpec>, container: Partial<Container> = {}): Pod => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' },
  spec: { containers: [{ name: 'app', image: 'nginx:1.27', ...container }], ...spec },
});
const messages = (p: Pod) => podCreateErrors(defaultPod(p, { rng: () => 0 })).map((e) => `${e.field}: ${e.message}`);

test('a valid pod has no errors', () => {
  assert.deepEqual(messages(pod({ volumes: [{ name: 'v', emptyDir: {} }] }, { volumeMounts: [{ name: 'v', mountPath: '/v' }], ports: [{ containerPort: 80, name: 'http' }] })), []);
});

test('containers: required, names, images, ports and duplicates, in the server words', () => {
  assert.deepEqual(messages(pod({ containers: [] })), ['spec.containers: Required value']);
  assert.deepEqual(messages(pod({}, { name: 'App_1', image: '' })), [
    `spec.containers[0].name: Invalid value: "App_1": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
    'spec.containers[0].image: Required value',
  ]);
  assert.deepEqual(messages(pod({}, { ports: [{ containerPort: 70000 }, { containerPort: 80, protocol: 'HTTP' as 'TCP' }] })), [
    'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    'spec.containers[0].ports[1].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
  ]);
  const twice = pod({ initContainers: [{ name: 'app', image: 'busybox' }] });
  assert.deepEqual(messages(twice), ['spec.containers[0].name: Duplicate value: "app"']);
});

test('env, mounts, resources and probes', () => {
  assert.deepEqual(messages(pod({}, {
    env: [{ name: 'A=B', value: 'a' }, { name: 'Y', value: 'v', valueFrom: { fieldRef: { fieldPath: 'spec.hostname' } } }],
    volumeMounts: [{ name: 'nope', mountPath: '/x' }],
    resources: { requests: { cpu: '2' }, limits: { cpu: '1' } },
    livenessProbe: { successThreshold: 2, exec: { command: ['true'] } },
  })), [
    `spec.containers[0].env[0].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than '='`,
    'spec.containers[0].env[1].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
    'spec.containers[0].env[1].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.hostname": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
    'spec.containers[0].volumeMounts[0].name: Not found: "nope"',
    'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
    'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
  ]);
  assert.deepEqual(messages(pod({}, { readinessProbe: {} })), ['spec.containers[0].readinessProbe: Required value: must specify a handler type']);
  assert.deepEqual(messages(pod({}, { env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } }, { name: 'B', valueFrom: { fieldRef: { fieldPath: "spec.nodeName['x']" } } }] })),
    ['spec.containers[0].env[1].valueFrom.fieldRef: Invalid value: "spec.nodeName": does not support subscript']);
  assert.deepEqual(messages(pod({ volumes: [{ name: 'd', downwardAPI: { items: [{ path: 'ip', fieldRef: { fieldPath: 'status.podIP' } }] } }] })),
    ['spec.volumes[0].downwardAPI.items[0].fieldRef.fieldPath: Unsupported value: "status.podIP": supported values: "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"']);
  assert.deepEqual(messages(pod({ initContainers: [{ name: 'init', image: 'busybox', readinessProbe: { exec: { command: ['x'] } } }] })),
    ['spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always']);
});

test('volumes: a type is required, one only; restartPolicy and dnsPolicy are closed sets', () => {
  assert.deepEqual(messages(pod({ volumes: [{ name: 'v' }, { name: 'w', emptyDir: {}, hostPath: { path: '/x' } }] })), [
    'spec.volumes[0]: Required value: must specify a volume type',
    'spec.volumes[1].emptyDir: Forbidden: may not specify more than 1 volume type',
  ]);
  assert.deepEqual(messages(pod({ restartPolicy: 'Sometimes' as 'Always' })), ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"']);
});

test('a malformed quantity is a decode error, before validation', () => {
  assert.equal(quantityDecodeError(pod({}, { resources: { requests: { memory: '1MB' } } })), "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  assert.equal(quantityDecodeError(pod({}, { resources: { requests: { memory: '1M' } } })), undefined);
});

test('what Berth cannot run is refused at create, naming the field and what to do', () => {
  const errors = unsupportedErrors(defaultPod(pod({
    volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'c' } }, { name: 'm', emptyDir: { medium: 'Memory' } }],
    hostPID: true,
  }, { lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } }, resources: { limits: { 'nvidia.com/gpu': '1' } } }), { rng: () => 0 }));
  assert.deepEqual(errors.map((e) => `${e.field}: ${e.message}`), [
    'spec.hostPID: Forbidden: Berth cannot run a shared host PID namespace yet; remove hostPID',
    'spec.volumes[0].persistentVolumeClaim: Forbidden: Berth cannot run persistentVolumeClaim volumes yet; use one of emptyDir, hostPath, configMap, secret, downwardAPI, projected',
    'spec.volumes[1].emptyDir.medium: Forbidden: Berth cannot run memory-backed emptyDir volumes yet; remove medium (the volume is on the host disk)',
    'spec.containers[0].lifecycle: Forbidden: Berth cannot run postStart or preStop hooks yet; remove lifecycle (a container gets SIGTERM, then SIGKILL after terminationGracePeriodSeconds)',
    'spec.containers[0].resources.requests[nvidia.com/gpu]: Forbidden: Berth cannot run nvidia.com/gpu as a resource (the placer reserves cpu and memory) yet; remove nvidia.com/gpu',
    'spec.containers[0].resources.limits[nvidia.com/gpu]: Forbidden: Berth cannot run nvidia.com/gpu as a resource (the placer reserves cpu and memory) yet; remove nvidia.com/gpu',
  ]);
  assert.deepEqual(unsupportedErrors(defaultPod(pod({}), { rng: () => 0 })), [], 'the service account volume and defaults are all runnable');
});

test('a pod update may change images, tolerations by adding, and metadata; anything else is refused with the server words', () => {
  const old = defaultPod(pod({}), { rng: () => 0 });
  const image = structuredClone(old);
  image.spec!.containers[0]!.image = 'nginx:1.28';
  image.spec!.tolerations!.push({ key: 'k', operator: 'Exists' });
  image.metadata!.labels = { a: 'b' };
  assert.deepEqual(podUpdateErrors(image, old), []);
  const env = structuredClone(old);
  env.spec!.containers[0]!.env = [{ name: 'A', value: '1' }];
  const errors = podUpdateErrors(env, old);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.field, 'spec');
  const message = invalidMessage('Pod', 'p', errors);
  assert.ok(message.startsWith('Pod "p" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n  core.PodSpec{\n- \tContainers: '), message);
  const removed = structuredClone(old);
  removed.spec!.tolerations = [];
  assert.equal(podUpdateErrors(removed, old).length, 1, 'removing a toleration is refused');
});

test('security settings Berth cannot honour are refused; the ones it maps are taken', () => {
  const refused = (p: Pod) => unsupportedErrors(defaultPod(p, { rng: () => 0 })).map((e) => e.field);
  assert.deepEqual(refused(pod({ securityContext: { runAsNonRoot: true, fsGroup: 2000 } }, { securityContext: { runAsGroup: 10, seccompProfile: { type: 'Unconfined' } } })), [
    'spec.securityContext.fsGroup', 'spec.containers[0].securityContext.runAsGroup', 'spec.securityContext.runAsNonRoot',
    'spec.containers[0].securityContext.seccompProfile',
  ]);
  assert.deepEqual(refused(pod({ securityContext: { runAsNonRoot: true } }, { securityContext: { runAsUser: 1000 } })), [], "the container's user satisfies the pod's non-root policy");
  assert.deepEqual(refused(pod({ securityContext: { runAsNonRoot: true, runAsUser: 1000, sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] } },
    { securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } } })), []);
});

test('downwardAPI volume resource fields: the container named, a served resource, one source per item, as the API server checks them', () => {
  const item = (x: Record<string, unknown>) => pod({ volumes: [{ name: 'd', downwardAPI: { items: [{ path: 'f', ...x }] } }] });
  assert.deepEqual(messages(item({ resourceFieldRef: { containerName: 'app', resource: 'limits.memory' } })), []);
  assert.deepEqual(messages(item({ resourceFieldRef: { resource: 'limits.memory' } })), ['spec.volumes[0].downwardAPI.items[0].resourceFieldRef.containerName: Required value']);
  assert.deepEqual(messages(item({ resourceFieldRef: { containerName: 'app', resource: 'limits.gpu' } })),
    ['spec.volumes[0].downwardAPI.items[0].resourceFieldRef.resource: Unsupported value: "limits.gpu": supported values: "limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu", "requests.ephemeral-storage", "requests.memory"']);
  assert.deepEqual(messages(item({ fieldRef: { fieldPath: 'metadata.name' }, resourceFieldRef: { containerName: 'app', resource: 'limits.cpu' } })),
    ['spec.volumes[0].downwardAPI.items[0]: Invalid value: "resource": fieldRef and resourceFieldRef can not be specified simultaneously']);
  assert.deepEqual(messages(item({})), ['spec.volumes[0].downwardAPI.items[0]: Required value: one of fieldRef and resourceFieldRef is required']);
});
