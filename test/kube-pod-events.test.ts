// kubectl 1.32 against a cluster's API server with the controllers running and the test-only
// generic pods row (test/support/kube-pods.ts): a pod's life, written as the node would write
// its status, told by the scheduler's and kubelet's Events (`kubectl get events -w`,
// `kubectl describe pod`); a pod's status change alone starts a controller pass, before
// anything else is written; every
// namespace gets kube-root-ca.crt with the cluster's CA, put back when deleted or changed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BerthKubeSchemas } from '../src/api/kube/schema/schemas.ts';
import { startKubeControllers } from '../src/controllers/kube/controller-loop.ts';
import type { KubeControllers } from '../src/api/kube/server.ts';
import { clusterPrefix } from '../src/api/kube/keys.ts';
import { startKubeTestServer, type KubeTestServer } from './support/kube.ts';
import { registryWithPods, TEST_PODS } from './support/kube-pods.ts';
import { until } from './support/until.ts';

const CLUSTER_UID = 'c0ffee00-0000-4000-8000-000000000001';

let k: KubeTestServer;
/** The cluster's controller loop, to wait until it has nothing left to do. */
let loop: KubeControllers | undefined;
let passes = 0;
before(async () => {
  k = await startKubeTestServer({
    schemas: new BerthKubeSchemas(), registry: registryWithPods(),
    controllers: async (deps) => (loop = await startKubeControllers(deps, { onPass: () => passes++ })),
  });
});
after(async () => {
  await k?.close();
});

const waitFor = (what: string, check: () => Promise<boolean>, ms: number) => until(what, async () => ((await check()) ? true : undefined), ms);
const W = { dryRun: false, fieldManager: 'kubelet', subresource: 'status' };
const setStatus = (name: string, status: Record<string, unknown>) => k.server.storage.update(TEST_PODS, 'default', name, (cur) => cur && { ...cur, status }, W);
const container = (state: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ name: 'app', image: 'nginx:1.27', imageID: '', ready: false, restartCount: 0, started: false, state, ...extra });
const running = { running: { startedAt: '2026-12-07T12:00:00Z' } };
const POD = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'life' }, spec: { nodeName: 'ip-10-0-0-1', containers: [{ name: 'app', image: 'nginx:1.27' }] } });

test('kube-root-ca.crt holds the cluster CA in every namespace, and comes back when deleted or changed', async () => {
  const ca = async (ns: string) => (await k.kubectlResult(['-n', ns, 'get', 'configmap', 'kube-root-ca.crt', '-o', 'jsonpath={.data.ca\\.crt}'])).stdout;
  await waitFor('kube-root-ca.crt in default', async () => (await ca('default')) === k.ca, 10_000);
  await k.kubectl(['create', 'namespace', 'team']);
  await waitFor('kube-root-ca.crt in a new namespace', async () => (await ca('team')) === k.ca, 10_000);
  const described = await k.kubectl(['-n', 'team', 'get', 'configmap', 'kube-root-ca.crt', '-o', 'jsonpath={.metadata.annotations.kubernetes\\.io/description}']);
  assert.match(described, /^Contains a CA bundle that can be used to verify the kube-apiserver/);
  await k.kubectl(['-n', 'team', 'delete', 'configmap', 'kube-root-ca.crt']);
  await waitFor('recreated', async () => (await ca('team')) === k.ca, 10_000);
  await k.kubectl(['-n', 'team', 'patch', 'configmap', 'kube-root-ca.crt', '--type=merge', '-p', '{"data":{"ca.crt":"not a CA"}}']);
  await waitFor('restored', async () => (await ca('team')) === k.ca, 10_000);
});

test('kubectl get events -w and describe pod tell a pod\'s life as the scheduler and kubelet would', async () => {
  // The watch first, as a user would leave it running.
  // -v=6: kubectl logs each request as its answer comes, the watch's included.
  const watch = spawn('kubectl', ['--kubeconfig', k.kubeconfig, '-v=6', 'get', 'events', '-w', '--field-selector', 'involvedObject.name=life'], { env: { ...process.env, KUBECACHEDIR: join(k.dir, 'cache'), HOME: k.dir } });
  let out = '';
  let log = '';
  watch.stdout.on('data', (c: Buffer) => (out += c.toString()));
  watch.stderr.on('data', (c: Buffer) => (log += c.toString()));
  try {
    // kubectl lists, then watches: the pod comes once its watch is answered.
    await waitFor('kubectl watching', async () => /GET https:\/\/\S+\/events\?\S*watch=true\S* 200 OK/.test(log), 30_000);
    await k.kubectl(['apply', '-f', '-'], POD);
    await setStatus('life', { phase: 'Pending', containerStatuses: [container({ waiting: { reason: 'ContainerCreating' } })] });
    await setStatus('life', { phase: 'Running', containerStatuses: [container(running, { ready: true, started: true })] });
    await setStatus('life', { phase: 'Running', containerStatuses: [container({ waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' } }, { restartCount: 1 })] });
    await waitFor('the watch shows BackOff', async () => out.includes('BackOff'), 15_000);
    for (const line of [
      /Normal\s+Scheduled\s+pod\/life\s+Successfully assigned default\/life to ip-10-0-0-1/,
      /Normal\s+Pulled\s+pod\/life\s+Container image "nginx:1.27" already present on machine/,
      /Normal\s+Created\s+pod\/life\s+Created container: app/,
      /Normal\s+Started\s+pod\/life\s+Started container app/,
      /Warning\s+BackOff\s+pod\/life\s+Back-off restarting failed container app in pod life_default\(/,
    ]) assert.match(out, line);
  } finally {
    watch.kill();
  }
  const described = await k.kubectl(['describe', 'pod', 'life']);
  assert.match(described, /Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n/);
  assert.match(described, /Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned default\/life to ip-10-0-0-1/);
  assert.match(described, /Normal\s+Started\s+\S+\s+kubelet\s+Started container app/);
});

test('a pod\'s status change alone starts a controller pass, before anything else is written', async () => {
  await k.kubectl(['apply', '-f', '-'], POD.replace('"life"', '"quiet"'));
  await setStatus('quiet', { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: [container(running, { started: true })] });
  // The passes and Events of the pod's creation over.
  await loop!.settled();
  // Every write under the cluster's keys from here on, with how many passes had started when it was seen.
  const writes: { revision: number; passes: number }[] = [];
  const watch = k.store.watch(clusterPrefix(CLUSTER_UID), await k.store.revision(), (e) => writes.push({ revision: e.revision, passes }));
  const seen = passes;
  // Ready: a change of the pod's status only, which no Event tells of.
  const { object } = await setStatus('quiet', { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [container(running, { started: true, ready: true })] });
  await waitFor('a pass', async () => passes > seen, 10_000);
  await loop!.settled();
  watch.close();
  const status = Number(object.metadata.resourceVersion);
  // The status write may be seen here after the pass began (the controllers' watch is told first); whatever else was written came after the pass began.
  assert.equal(writes[0]?.revision, status, 'the status write itself, first');
  assert.deepEqual(writes.slice(1).filter((w) => w.passes === seen).map((w) => w.revision), [], `nothing but the pod's status (revision ${status}) written before the pass`);
});
