import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPod, defaultPullPolicy } from './defaults.ts';
import type { Pod } from './types.ts';

const rng = () => 0;
const nginx = (): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } });

test('a bare pod is stored as `kubectl run nginx --image=nginx` shows it: defaults, the service account volume, the default tolerations', () => {
  const pod = defaultPod(nginx(), { rng });
  assert.deepEqual(pod.spec, {
    containers: [{
      name: 'nginx', image: 'nginx', imagePullPolicy: 'Always', resources: {},
      terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File',
      volumeMounts: [{ name: 'kube-api-access-bbbbb', readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }],
    }],
    dnsPolicy: 'ClusterFirst', enableServiceLinks: true, preemptionPolicy: 'PreemptLowerPriority', priority: 0, restartPolicy: 'Always',
    schedulerName: 'default-scheduler', securityContext: {}, serviceAccount: 'default', serviceAccountName: 'default', terminationGracePeriodSeconds: 30,
    tolerations: [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ],
    volumes: [{
      name: 'kube-api-access-bbbbb',
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    }],
  });
  assert.deepEqual(nginx().spec?.containers[0], { name: 'nginx', image: 'nginx' }, 'the input is not changed');
});

test('pull policy follows the tag: latest or none Always, a tag or a digest IfNotPresent; a registry port is not a tag', () => {
  assert.equal(defaultPullPolicy('nginx'), 'Always');
  assert.equal(defaultPullPolicy('nginx:latest'), 'Always');
  assert.equal(defaultPullPolicy('nginx:1.27'), 'IfNotPresent');
  assert.equal(defaultPullPolicy('localhost:5000/app'), 'Always');
  assert.equal(defaultPullPolicy('localhost:5000/app:v2'), 'IfNotPresent');
  assert.equal(defaultPullPolicy('nginx@sha256:abc'), 'IfNotPresent');
});

test('probes, ports, limits, volumes and hostNetwork get the API server defaults', () => {
  const pod = defaultPod({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' },
    spec: {
      hostNetwork: true, automountServiceAccountToken: false,
      containers: [{
        name: 'a', image: 'a:1', ports: [{ containerPort: 8080 }],
        resources: { limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '100m' } },
        readinessProbe: { httpGet: { port: 8080 } }, livenessProbe: { grpc: { port: 9000 } },
        env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'M', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } }],
      }],
      volumes: [{ name: 'c', configMap: { name: 'cfg' } }, { name: 's', secret: { secretName: 'sec' } }, { name: 'h', hostPath: { path: '/data' } }],
      tolerations: [{ operator: 'Exists' }],
    },
  }, { rng });
  const c = pod.spec!.containers[0]!;
  assert.deepEqual(c.ports, [{ containerPort: 8080, protocol: 'TCP', hostPort: 8080 }]);
  assert.deepEqual(c.resources, { limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '100m', memory: '64Mi' } });
  assert.deepEqual(c.readinessProbe, { httpGet: { port: 8080, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  assert.deepEqual(c.livenessProbe?.grpc, { port: 9000, service: '' });
  assert.equal(c.env?.[0]?.valueFrom?.fieldRef?.apiVersion, 'v1');
  assert.equal(c.env?.[1]?.valueFrom?.resourceFieldRef?.divisor, '0');
  assert.equal(c.volumeMounts, undefined, 'automountServiceAccountToken: false mounts no token');
  assert.deepEqual(pod.spec!.volumes, [
    { name: 'c', configMap: { name: 'cfg', defaultMode: 420 } }, { name: 's', secret: { secretName: 'sec', defaultMode: 420 } }, { name: 'h', hostPath: { path: '/data', type: '' } },
  ]);
  assert.deepEqual(pod.spec!.tolerations, [{ operator: 'Exists' }], 'a toleration of everything already tolerates not-ready and unreachable');
});

test('without admission (an update) nothing is added: no token volume, no tolerations, no priority', () => {
  const pod = defaultPod(nginx(), undefined);
  assert.equal(pod.spec?.volumes, undefined);
  assert.equal(pod.spec?.tolerations, undefined);
  assert.equal(pod.spec?.priority, undefined);
  assert.equal(pod.spec?.restartPolicy, 'Always');
});
