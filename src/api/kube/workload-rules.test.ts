import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KindRegistry } from './kinds.ts';
import { prepare, type Obj } from './kind-rules.ts';
import { defaultPullPolicy } from './workload-rules.ts';
import { defaultService, serviceErrors } from './service-rules.ts';
import { selectorString, toScale } from './scale.ts';
import { StatusError } from './status.ts';

const registry = new KindRegistry();
const deployments = registry.byResource('apps', 'v1', 'deployments')!;
const jobs = registry.byResource('batch', 'v1', 'jobs')!;
const services = registry.byResource('', 'v1', 'services')!;

const deployment = (labels: Record<string, string> = { app: 'web' }): Obj => ({
  metadata: { name: 'web', namespace: 'default', uid: 'u1' },
  spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
  status: { replicas: 9 },
});

function refusal(f: () => unknown): StatusError {
  try {
    f();
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  assert.fail('expected a refusal');
}

test('a Deployment gets apps/v1 defaults and its template core/v1 pod defaults; a create starts with an empty status', () => {
  const o = prepare(deployments, deployment(), undefined);
  const spec = o.spec as Record<string, unknown>;
  assert.deepEqual([spec.replicas, spec.revisionHistoryLimit, spec.progressDeadlineSeconds, spec.strategy], [1, 10, 600, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } }]);
  const pod = (spec.template as { spec: Record<string, unknown> }).spec;
  assert.deepEqual([pod.restartPolicy, pod.terminationGracePeriodSeconds, pod.dnsPolicy, pod.schedulerName, pod.securityContext], ['Always', 30, 'ClusterFirst', 'default-scheduler', {}]);
  assert.deepEqual((pod.containers as unknown[])[0], { name: 'web', image: 'nginx', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'Always', resources: {} });
  assert.deepEqual(o.status, {});
  // Defaulting twice changes nothing (a Deployment's template and its ReplicaSet's must compare equal).
  assert.deepEqual(prepare(deployments, structuredClone(o), o), o);
});

test('pull policy: Always for latest or no tag, IfNotPresent for a tag or digest', () => {
  assert.deepEqual(['nginx', 'nginx:latest', 'reg:5000/nginx', 'nginx:1.27', 'reg:5000/nginx:1', 'nginx@sha256:ab'].map(defaultPullPolicy),
    ['Always', 'Always', 'Always', 'IfNotPresent', 'IfNotPresent', 'IfNotPresent']);
});

test('a selector that does not match the template, a missing image, a changed selector: the server\'s messages', () => {
  const e = refusal(() => prepare(deployments, deployment({ app: 'other' }), undefined));
  assert.equal(e.code, 422);
  assert.equal(e.message, 'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`');
  const noImage = deployment();
  (noImage.spec as { template: { spec: { containers: object[] } } }).template.spec.containers = [{ name: 'web' }];
  assert.match(refusal(() => prepare(deployments, noImage, undefined)).message, /spec\.template\.spec\.containers\[0\]\.image: Required value/);
  const old = prepare(deployments, deployment(), undefined);
  const changed = structuredClone(old);
  (changed.spec as { selector: object }).selector = { matchLabels: { app: 'web', tier: 'x' } };
  (changed.spec as { template: { metadata: object } }).template.metadata = { labels: { app: 'web', tier: 'x' } };
  assert.match(refusal(() => prepare(deployments, changed, old)).message,
    /spec\.selector: Invalid value: v1\.LabelSelector\{MatchLabels:map\[string\]string\{"app":"web", "tier":"x"\}, MatchExpressions:\[\]v1\.LabelSelectorRequirement\(nil\)\}: field is immutable/);
});

test('a status write changes only the status; a resource write leaves it as it was', () => {
  const old = prepare(deployments, deployment(), undefined);
  old.status = { replicas: 3 };
  const write = structuredClone(old);
  (write.spec as { replicas: number }).replicas = 7;
  write.status = { replicas: 4 };
  const viaStatus = prepare(deployments, structuredClone(write), old, 'status');
  assert.deepEqual([(viaStatus.spec as { replicas: number }).replicas, viaStatus.status], [1, { replicas: 4 }]);
  const viaResource = prepare(deployments, structuredClone(write), old);
  assert.deepEqual([(viaResource.spec as { replicas: number }).replicas, viaResource.status], [7, { replicas: 3 }]);
});

test('a Job gets its generated selector and labels, and refuses restartPolicy Always', () => {
  const job: Obj = { metadata: { name: 'pi', namespace: 'default', uid: 'j1' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } };
  const o = prepare(jobs, job, undefined);
  const spec = o.spec as { selector: unknown; completions: number; parallelism: number; backoffLimit: number; template: { metadata: { labels: Record<string, string> } } };
  assert.deepEqual(spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'j1' } });
  assert.equal(spec.template.metadata.labels['job-name'], 'pi');
  assert.deepEqual([spec.completions, spec.parallelism, spec.backoffLimit], [1, 1, 6]);
  const always = structuredClone(job);
  (always.spec as { template: { spec: { restartPolicy: string } } }).template.spec.restartPolicy = 'Always';
  delete (always.spec as { selector?: unknown }).selector;
  assert.match(refusal(() => prepare(jobs, always, undefined)).message, /spec\.template\.spec\.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"/);
});

test('Service defaults, and the names services may have', () => {
  const spec = defaultService({ ports: [{ port: 80 }] }, undefined);
  assert.deepEqual(spec, { type: 'ClusterIP', sessionAffinity: 'None', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', internalTrafficPolicy: 'Cluster', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] });
  assert.deepEqual(serviceErrors({ type: 'Balanced', ports: [{ port: 0 }] }, undefined).map((e) => `${e.field}: ${e.message}`), [
    'spec.type: Unsupported value: "Balanced": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
  ]);
  assert.match(refusal(() => prepare(services, { metadata: { name: '1web' }, spec: { ports: [{ port: 80 }] } }, undefined)).message, /a DNS-1035 label must consist of lower case alphanumeric characters/);
});

test('the Scale of an object: replicas, observed replicas and the selector as a string', () => {
  assert.equal(selectorString({ matchLabels: { b: '2', a: '1' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['y', 'x'] }, { key: 'gone', operator: 'DoesNotExist' }] }), '!gone,a=1,b=2,tier in (x,y)');
  const scale = toScale({ metadata: { name: 'web', namespace: 'default', uid: 'u', resourceVersion: '7' }, spec: { replicas: 3, selector: { matchLabels: { app: 'web' } } }, status: { replicas: 2 } });
  assert.deepEqual(scale, { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'web', namespace: 'default', uid: 'u', resourceVersion: '7', creationTimestamp: undefined }, spec: { replicas: 3 }, status: { replicas: 2, selector: 'app=web' } });
});
