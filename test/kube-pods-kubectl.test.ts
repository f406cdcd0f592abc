/**
 * Pods end to end with kubectl 1.32: the pods kind served as tasks (src/api/kube/pod-backend.ts)
 * on one cluster's API server over a real store. Without the pod scheduler nothing places a
 * pod: each stays Pending with no node, its task waiting in ECS cluster `default`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BerthKubeSchemas } from '../src/api/kube/schema/schemas.ts';
import { listTasks } from '../src/core/workload/task-store.ts';
import { POD_ECS_CLUSTER } from '../src/core/kube/pod/hosting.ts';
import { startKubeTestServer, type KubeTestServer } from './support/kube.ts';

let s: KubeTestServer;
const scope = { account: '000000000000', region: 'us-east-1' };

const podYaml = (name: string, extra = '', image = 'busybox'): string => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  containers:
  - name: app
    image: ${image}
    command: [sleep, "1000"]${extra}
`;

async function until(f: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ok = (...args: string[]): Promise<string> => s.kubectl(args);
const fails = async (args: string[], input?: string): Promise<string> => {
  const r = await s.kubectlResult(args, input);
  assert.notEqual(r.code, 0, `kubectl ${args.join(' ')} succeeded: ${r.stdout}`);
  return r.stderr.trim();
};
const podTasks = async () => (await listTasks(s.store, scope, POD_ECS_CLUSTER)).items;

before(async () => {
  s = await startKubeTestServer({ schemas: new BerthKubeSchemas() });
  await until(async () => (await s.kubectlResult(['get', 'sa', 'default'])).code === 0);
});
after(async () => {
  await s?.close();
});

describe('kubectl and pods', () => {
  it('kubectl run makes a pod that stays Pending with no node, its task waiting unplaced in ECS cluster default', async () => {
    assert.equal((await ok('run', 'web', '--image=busybox', '--', 'sleep', '1000')).trim(), 'pod/web created');
    const table = (await ok('get', 'pods')).trim().split('\n');
    assert.match(table[0]!, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    assert.match(table[1]!, /^web\s+0\/1\s+Pending\s+0\s+\d+s$/);
    const wide = (await ok('get', 'pods', '-o', 'wide')).trim().split('\n');
    assert.match(wide[0]!, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/);
    assert.match(wide[1]!, /^web\s+0\/1\s+Pending\s+0\s+\d+s\s+<none>\s+<none>\s+<none>\s+<none>$/);
    const pod = JSON.parse(await ok('get', 'pod', 'web', '-o', 'json')) as { metadata: { uid: string; resourceVersion: string; labels: Record<string, string> }; spec: { nodeName?: string; containers: { args: string[] }[]; volumes: { name: string }[] }; status: { phase: string; qosClass: string } };
    assert.equal(pod.status.phase, 'Pending');
    assert.equal(pod.status.qosClass, 'BestEffort');
    assert.equal(pod.spec.nodeName, undefined);
    assert.deepEqual(pod.metadata.labels, { run: 'web' });
    assert.deepEqual(pod.spec.containers[0]!.args, ['sleep', '1000']);
    assert.match(pod.spec.volumes[0]!.name, /^kube-api-access-[a-z0-9]{5}$/);
    const [t] = (await podTasks()).filter((x) => x.record.group === 'pod:default/web');
    assert.ok(t);
    assert.equal(t.key.endsWith(pod.metadata.uid.replaceAll('-', '')), true);
    assert.equal(t.record.lastStatus, 'PROVISIONING');
    assert.equal(t.record.containerInstanceArn, undefined);
    const describe = await ok('describe', 'pod', 'web');
    assert.match(describe, /^Status:\s+Pending$/m);
    assert.match(describe, /^Node:\s+<none>$/m);
    assert.match(describe, /^Service Account:\s+default$/m);
  });

  it('label, annotate, selectors and patches (strategic, merge, JSON) change the pod and its task', async () => {
    await ok('label', 'pod', 'web', 'tier=front');
    await ok('annotate', 'pod', 'web', 'note=hello');
    assert.equal((await ok('get', 'pods', '-l', 'tier=front', '-o', 'name')).trim(), 'pod/web');
    assert.equal((await ok('get', 'pods', '-l', 'tier=back', '-o', 'name')).trim(), '');
    assert.equal((await ok('get', 'pods', '--field-selector', 'status.phase=Pending,spec.nodeName=', '-o', 'name')).trim(), 'pod/web');
    assert.equal((await ok('get', 'pods', '--field-selector', 'status.phase=Running', '-o', 'name')).trim(), '');
    await ok('patch', 'pod', 'web', '-p', '{"spec":{"containers":[{"name":"web","image":"busybox:1.36"}]}}');
    await ok('patch', 'pod', 'web', '--type=merge', '-p', '{"metadata":{"labels":{"merged":"yes"}}}');
    await ok('patch', 'pod', 'web', '--type=json', '-p', '[{"op":"add","path":"/spec/activeDeadlineSeconds","value":600}]');
    const pod = JSON.parse(await ok('get', 'pod', 'web', '-o', 'json')) as { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: { activeDeadlineSeconds: number; containers: { image: string }[] } };
    assert.deepEqual(pod.metadata.labels, { run: 'web', tier: 'front', merged: 'yes' });
    assert.equal(pod.metadata.annotations.note, 'hello');
    assert.equal(pod.spec.containers[0]!.image, 'busybox:1.36');
    assert.equal(pod.spec.activeDeadlineSeconds, 600);
    const [t] = (await podTasks()).filter((x) => x.record.group === 'pod:default/web');
    assert.equal(t!.record.containers[0]!.image, 'busybox:1.36');
  });

  it('kubectl apply (client-side and server-side) creates and changes a pod', async () => {
    assert.equal((await s.kubectl(['apply', '-f', '-'], podYaml('applied'))).trim(), 'pod/applied created');
    assert.equal((await s.kubectl(['apply', '-f', '-'], podYaml('applied', '', 'busybox:1.36'))).trim(), 'pod/applied configured');
    assert.equal(JSON.parse(await ok('get', 'pod', 'applied', '-o', 'json')).spec.containers[0].image, 'busybox:1.36');
    assert.equal((await s.kubectl(['apply', '--server-side', '-f', '-'], podYaml('ssa'))).trim(), 'pod/ssa serverside-applied');
    assert.equal((await s.kubectl(['apply', '--server-side', '-f', '-'], podYaml('ssa', '', 'busybox:1.36'))).trim(), 'pod/ssa serverside-applied');
    const ssa = JSON.parse(await ok('get', 'pod', 'ssa', '-o', 'json', '--show-managed-fields')) as { spec: { containers: { image: string }[] }; metadata: { managedFields: { manager: string; operation: string }[] } };
    assert.equal(ssa.spec.containers[0]!.image, 'busybox:1.36');
    assert.deepEqual(ssa.metadata.managedFields.map((f) => [f.manager, f.operation]), [['kubectl', 'Apply']]);
  });

  it('kubectl get pods -w sees a pod added, modified and deleted', async () => {
    const child = spawn('kubectl', ['--kubeconfig', s.kubeconfig, 'get', 'pods', '-w', '--output-watch-events', '-l', 'app=watched'], { env: { ...process.env, KUBECACHEDIR: join(s.dir, 'cache'), HOME: s.dir } });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await new Promise((r) => setTimeout(r, 1000));
      await s.kubectl(['apply', '-f', '-'], podYaml('watched'));
      await until(() => /ADDED\s+watched\s+0\/1\s+Pending/.test(out));
      await ok('label', 'pod', 'watched', 'seen=yes');
      await until(() => /MODIFIED\s+watched/.test(out));
      await ok('delete', 'pod', 'watched');
      await until(() => /DELETED\s+watched/.test(out));
    } finally {
      child.kill();
    }
  });

  it('delete: a pod nothing runs goes at once (graceful or forced); deletecollection by label', async () => {
    assert.equal((await ok('delete', 'pod', 'applied')).trim(), 'pod "applied" deleted');
    assert.match(await fails(['get', 'pod', 'applied']), /^Error from server \(NotFound\): pods "applied" not found$/);
    const forced = await s.kubectlResult(['delete', 'pod', 'ssa', '--grace-period=0', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /pod "ssa" force deleted/);
    for (const n of ['c1', 'c2']) await s.kubectl(['apply', '-f', '-'], podYaml(n).replace(`app: ${n}`, 'app: many'));
    await ok('delete', 'pods', '-l', 'app=many');
    assert.equal((await ok('get', 'pods', '-o', 'name')).trim(), 'pod/web');
    assert.deepEqual((await podTasks()).map((t) => t.record.group), ['pod:default/web']);
  });

  it('bad input gets the API server\'s status and changes nothing', async () => {
    const before = await ok('get', 'pod', 'web', '-o', 'json');
    assert.match(await fails(['run', 'Bad_Name', '--image=busybox']),
      /^The Pod "Bad_Name" is invalid: \n\* metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of/);
    assert.match(await fails(['patch', 'pod', 'web', '-p', '{"spec":{"restartPolicy":"Never"}}']),
      /^The Pod "web" is invalid: spec: Forbidden: pod updates may not change fields other than `spec\.containers\[\*\]\.image`/);
    assert.equal(await fails(['create', '--validate=strict', '-f', '-'], podYaml('strict', '\n  foo: bar')),
      'Error from server (BadRequest): error when creating "STDIN": Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.foo"');
    const stale = JSON.parse(before) as { metadata: { resourceVersion: string; labels: Record<string, string> } };
    await ok('label', 'pod', 'web', 'moved=on');
    const current = await ok('get', 'pod', 'web', '-o', 'json');
    stale.metadata.labels = { stale: 'yes' };
    assert.equal(await fails(['replace', '-f', '-'], JSON.stringify(stale)),
      'Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on pods "web": the object has been modified; please apply your changes to the latest version and try again');
    assert.match(await fails(['run', 'web', '--image=busybox']), /^Error from server \(AlreadyExists\): pods "web" already exists$/);
    assert.equal(await ok('get', 'pod', 'web', '-o', 'json'), current);
    assert.equal((await ok('get', 'pods', '-o', 'name')).trim(), 'pod/web');
    assert.equal((await podTasks()).length, 1);
  });
});
