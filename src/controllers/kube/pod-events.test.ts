import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { podEvents, slimPod } from './pod-events.ts';
import type { Pod } from './workload-objects.ts';

type Status = Record<string, unknown>;

/** A pod `web` in `default` with one container `app` (image nginx:1.27), at a point of its life. */
function pod(opts: { node?: string; status?: Status; deleting?: boolean; pullPolicy?: string } = {}): Pod {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'u1', ...(opts.deleting && { deletionTimestamp: '2026-12-07T12:00:00Z' }) },
    spec: { ...(opts.node && { nodeName: opts.node }), containers: [{ name: 'app', image: 'nginx:1.27', ...(opts.pullPolicy && { imagePullPolicy: opts.pullPolicy }) }] },
    status: opts.status ?? { phase: 'Pending' },
  };
}
const app = (state: Status, extra: Status = {}): Status => ({ phase: 'Running', containerStatuses: [{ name: 'app', image: 'nginx:1.27', state, restartCount: 0, ready: false, ...extra }] });
const running = { running: { startedAt: '2026-12-07T12:00:00Z' } };
const waiting = (reason: string, message?: string) => ({ waiting: { reason, ...(message && { message }) } });
const summary = (before: Pod | undefined, after: Pod | undefined) => podEvents(before, after).map((e) => `${e.type} ${e.reason} [${e.component}] ${e.message}`);

describe('pod events', () => {
  it('a pod scheduled, its image present, its container created and started: the scheduler\'s and the kubelet\'s events in order', () => {
    const created = pod();
    const scheduled = pod({ node: 'ip-10-0-0-1', status: app(waiting('ContainerCreating')) });
    const started = pod({ node: 'ip-10-0-0-1', status: app(running) });
    assert.deepEqual(summary(created, scheduled), ['Normal Scheduled [default-scheduler] Successfully assigned default/web to ip-10-0-0-1']);
    assert.deepEqual(summary(scheduled, started), [
      'Normal Pulled [kubelet] Container image "nginx:1.27" already present on machine',
      'Normal Created [kubelet] Created container: app',
      'Normal Started [kubelet] Started container app',
    ]);
    const [pulled] = podEvents(scheduled, started);
    assert.equal(pulled!.fieldPath, 'spec.containers{app}');
    assert.equal(pulled!.host, 'ip-10-0-0-1');
    assert.deepEqual(pulled!.about, { apiVersion: 'v1', kind: 'Pod', name: 'web', namespace: 'default', uid: 'u1' });
    assert.deepEqual(summary(started, started), [], 'no change, no event');
    assert.deepEqual(summary(undefined, started).map((s) => s.split(' ')[1]), ['Scheduled', 'Pulled', 'Created', 'Started'], 'first seen already running: its whole story');
  });

  it('an image pulled on every start (imagePullPolicy Always): Pulling then Pulled', () => {
    const before = pod({ node: 'n', pullPolicy: 'Always', status: app(waiting('ContainerCreating')) });
    const after = pod({ node: 'n', pullPolicy: 'Always', status: app(running) });
    assert.deepEqual(summary(before, after).slice(0, 2), ['Normal Pulling [kubelet] Pulling image "nginx:1.27"', 'Normal Pulled [kubelet] Successfully pulled image "nginx:1.27"']);
  });

  it('unschedulable: FailedScheduling with the scheduler\'s message, again only when the message changes', () => {
    const message = '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';
    const unsched = (m: string) => pod({ status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: m }] } });
    assert.deepEqual(summary(pod(), unsched(message)), [`Warning FailedScheduling [default-scheduler] ${message}`]);
    assert.deepEqual(summary(unsched(message), unsched(message)), []);
    assert.equal(summary(unsched(message), unsched('0/3 nodes are available: 3 Insufficient memory.')).length, 1);
  });

  it('a crashing container: BackOff as it enters CrashLoopBackOff, then a restart reads its image as present', () => {
    const first = pod({ node: 'n', status: app({ terminated: { exitCode: 1, reason: 'Error' } }) });
    const backoff = pod({ node: 'n', status: app(waiting('CrashLoopBackOff', 'back-off 10s restarting failed container=app'), { restartCount: 1 }) });
    const again = pod({ node: 'n', status: app(running, { restartCount: 1 }) });
    assert.deepEqual(summary(first, backoff), ['Warning BackOff [kubelet] Back-off restarting failed container app in pod web_default(u1)']);
    assert.deepEqual(summary(backoff, again), [
      'Normal Pulled [kubelet] Container image "nginx:1.27" already present on machine',
      'Normal Created [kubelet] Created container: app',
      'Normal Started [kubelet] Started container app',
    ]);
    const backoff2 = pod({ node: 'n', status: app(waiting('CrashLoopBackOff'), { restartCount: 2 }) });
    assert.deepEqual(summary(backoff, backoff2).map((s) => s.split(' ')[1]), ['BackOff'], 'still backing off, one more restart: BackOff again (the recorder counts it)');
  });

  it('image pull failures: Failed with the error, then BackOff pulling', () => {
    const creating = pod({ node: 'n', status: app(waiting('ContainerCreating')) });
    const err = pod({ node: 'n', status: app(waiting('ErrImagePull', 'manifest unknown')) });
    const off = pod({ node: 'n', status: app(waiting('ImagePullBackOff', 'Back-off pulling image "nginx:1.27"')) });
    assert.deepEqual(summary(creating, err), [
      'Normal Pulling [kubelet] Pulling image "nginx:1.27"',
      'Warning Failed [kubelet] Failed to pull image "nginx:1.27": manifest unknown',
      'Warning Failed [kubelet] Error: ErrImagePull',
    ]);
    assert.deepEqual(summary(err, off), ['Normal BackOff [kubelet] Back-off pulling image "nginx:1.27"', 'Warning Failed [kubelet] Error: ImagePullBackOff']);
  });

  it('readiness lost while running: Unhealthy; deletion of a running pod: Killing', () => {
    const ready = pod({ node: 'n', status: app(running, { ready: true }) });
    const unready = pod({ node: 'n', status: app(running, { ready: false }) });
    assert.deepEqual(summary(ready, unready), ['Warning Unhealthy [kubelet] Readiness probe failed: ']);
    assert.deepEqual(summary(ready, pod({ node: 'n', deleting: true, status: app(running, { ready: true }) })), ['Normal Killing [kubelet] Stopping container app']);
    assert.deepEqual(summary(pod({ node: 'n', deleting: true, status: app(running) }), pod({ node: 'n', deleting: true, status: app(running) })), [], 'told once');
    assert.deepEqual(summary(ready, undefined), [], 'gone: nothing more to tell');
  });

  it('init containers are told of under spec.initContainers', () => {
    const p = (state: Status) => ({ ...pod({ node: 'n' }), status: { phase: 'Pending', initContainerStatuses: [{ name: 'setup', image: 'busybox', state, restartCount: 0 }] } });
    const events = podEvents(p(waiting('PodInitializing')), p({ terminated: { exitCode: 0, reason: 'Completed' } }));
    assert.deepEqual(events.map((e) => [e.reason, e.fieldPath]), [['Pulled', 'spec.initContainers{setup}'], ['Created', 'spec.initContainers{setup}'], ['Started', 'spec.initContainers{setup}']]);
  });

  it('the slim copy the loop keeps tells the same story as the full pod', () => {
    const full = (status: Status): Pod => ({ ...pod({ node: 'n', status }), metadata: { ...pod().metadata, labels: { app: 'web' }, annotations: { big: 'x'.repeat(1000) } } });
    const before = full(app(waiting('ContainerCreating')));
    const after = full(app(running));
    assert.deepEqual(podEvents(slimPod(before), slimPod(after)), podEvents(before, after));
    assert.ok(JSON.stringify(slimPod(after)).length < JSON.stringify(after).length / 2);
  });
});
