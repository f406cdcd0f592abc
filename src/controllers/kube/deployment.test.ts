import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fenceposts, HASH_LABEL, REVISION_ANNOTATION } from './deployment.ts';
import { TestNamespace } from './testing-cluster.ts';
import { isActive, isAvailable, type Deployment } from './workload-objects.ts';

function web(image: string, replicas: number, strategy?: Deployment['spec']['strategy'], extra: Partial<Deployment['spec']> = {}): Deployment {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
      ...(strategy && { strategy }),
      ...extra,
    },
  };
}

function settle(ns: TestNamespace, maxSteps = 200): number {
  for (let i = 1; i <= maxSteps; i++) {
    ns.step();
    if (ns.rolloutStatus('web') !== 'waiting') return i;
  }
  return maxSteps;
}

const replicaSets = (ns: TestNamespace) => [...ns.objects.replicasets.values()];
const activePods = (ns: TestNamespace) => [...ns.objects.pods.values()].filter(isActive);

test('a new Deployment gets one ReplicaSet named by its template hash, revision 1, and rolls out', () => {
  const ns = new TestNamespace();
  ns.putDeployment(web('nginx:1.27', 3));
  settle(ns);
  assert.equal(ns.rolloutStatus('web'), 'done');
  const [rs] = replicaSets(ns);
  assert.equal(replicaSets(ns).length, 1);
  const hash = rs!.metadata.labels![HASH_LABEL]!;
  assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.equal(rs!.metadata.name, `web-${hash}`);
  assert.equal(rs!.metadata.annotations![REVISION_ANNOTATION], '1');
  assert.deepEqual(rs!.spec.selector.matchLabels, { app: 'web', [HASH_LABEL]: hash });
  assert.equal(activePods(ns).length, 3);
  for (const p of activePods(ns)) {
    assert.equal(p.metadata.labels![HASH_LABEL], hash);
    assert.equal(p.metadata.ownerReferences![0]!.uid, rs!.metadata.uid);
    assert.ok(p.metadata.name!.startsWith(`web-${hash}-`));
  }
  const d = ns.objects.deployments.get('web')!;
  // As on the API server, the Deployment carries its current revision too (kubectl rollout undo patches its annotations back).
  assert.equal(d.metadata.annotations?.[REVISION_ANNOTATION], '1');
  assert.deepEqual(d.status?.conditions?.map((c) => [c.type, c.status, c.reason, c.message]), [
    ['Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'],
    ['Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "web-${hash}" has successfully progressed.`],
  ]);
  assert.deepEqual({ ...d.status, conditions: undefined }, { observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 0, conditions: undefined });
});

test('fenceposts: 25% defaults (surge up, unavailable down), percentages and counts, never both zero', () => {
  assert.deepEqual(fenceposts(web('x', 10), 10), { surge: 3, unavailable: 2 });
  assert.deepEqual(fenceposts(web('x', 1), 1), { surge: 1, unavailable: 0 });
  assert.deepEqual(fenceposts(web('x', 4, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } }), 4), { surge: 0, unavailable: 1 });
  assert.deepEqual(fenceposts(web('x', 10, { type: 'RollingUpdate', rollingUpdate: { maxSurge: '50%', maxUnavailable: 3 } }), 10), { surge: 5, unavailable: 3 });
  assert.deepEqual(fenceposts(web('x', 6, { type: 'Recreate' }), 6), { surge: 0, unavailable: 6 });
});

test('rolling updates stay within maxSurge and maxUnavailable at every step and finish on the new template (randomized)', () => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 12 }),
    fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom('0%', '25%', '50%', '100%')),
    fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom('0%', '25%', '50%')),
    fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 30 }),
    (replicas, maxSurge, maxUnavailable, delays) => {
      const ns = new TestNamespace();
      let n = 0;
      ns.readyAfter = () => delays[n++ % delays.length]!;
      const strategy = { type: 'RollingUpdate' as const, rollingUpdate: { maxSurge, maxUnavailable } };
      ns.putDeployment(web('v1', replicas, strategy));
      settle(ns);
      assert.equal(ns.rolloutStatus('web'), 'done');
      const { surge, unavailable } = fenceposts(web('v1', replicas, strategy), replicas);
      ns.putDeployment(web('v2', replicas, strategy));
      for (let i = 0; i < 400 && ns.rolloutStatus('web') !== 'done'; i++) {
        ns.step();
        const pods = activePods(ns);
        assert.ok(pods.length <= replicas + surge, `${pods.length} pods > ${replicas} + ${surge}`);
        const avail = pods.filter((p) => isAvailable(p, 0, ns.now)).length;
        assert.ok(avail >= replicas - unavailable, `${avail} available < ${replicas} - ${unavailable}`);
      }
      assert.equal(ns.rolloutStatus('web'), 'done');
      const pods = activePods(ns);
      assert.equal(pods.length, replicas);
      assert.ok(pods.every((p) => (p.spec!.containers as { image: string }[])[0]!.image === 'v2'));
      const rss = replicaSets(ns);
      assert.equal(rss.filter((rs) => (rs.spec.replicas ?? 0) > 0).length, 1);
      assert.equal(ns.conflicts, 0);
    },
  ), { numRuns: 200 });
});

test('going back to an earlier template reuses its ReplicaSet as the newest revision (kubectl rollout undo)', () => {
  const ns = new TestNamespace();
  ns.putDeployment(web('v1', 3));
  settle(ns);
  const first = replicaSets(ns)[0]!.metadata.name!;
  ns.putDeployment(web('v2', 3));
  settle(ns);
  ns.putDeployment(web('v1', 3));
  settle(ns);
  assert.equal(ns.rolloutStatus('web'), 'done');
  assert.equal(replicaSets(ns).length, 2, 'no third ReplicaSet');
  const v1 = ns.objects.replicasets.get(first)!;
  assert.equal(v1.spec.replicas, 3);
  assert.equal(v1.metadata.annotations![REVISION_ANNOTATION], '3');
});

test('Recreate ends every old pod before the new ReplicaSet grows', () => {
  const ns = new TestNamespace();
  ns.putDeployment(web('v1', 4, { type: 'Recreate' }));
  settle(ns);
  ns.putDeployment(web('v2', 4, { type: 'Recreate' }));
  for (let i = 0; i < 50 && ns.rolloutStatus('web') !== 'done'; i++) {
    ns.step();
    const images = new Set(activePods(ns).map((p) => (p.spec!.containers as { image: string }[])[0]!.image));
    assert.ok(images.size <= 1, `old and new pods at once: ${[...images]}`);
  }
  assert.equal(ns.rolloutStatus('web'), 'done');
});

test('a template whose pods never get ready fails the rollout after progressDeadlineSeconds, keeping the old pods serving', () => {
  const ns = new TestNamespace();
  ns.putDeployment(web('v1', 4, undefined, { progressDeadlineSeconds: 30 }));
  settle(ns);
  ns.readyAfter = (p) => ((p.spec!.containers as { image: string }[])[0]!.image === 'broken' ? Infinity : 1);
  ns.putDeployment(web('broken', 4, undefined, { progressDeadlineSeconds: 30 }));
  const steps = settle(ns, 100);
  assert.equal(ns.rolloutStatus('web'), 'failed');
  assert.ok(steps > 30, `failed after ${steps} s, not before the deadline`);
  const c = ns.objects.deployments.get('web')!.status!.conditions!.find((x) => x.type === 'Progressing')!;
  assert.equal(c.status, 'False');
  assert.match(c.message!, /^ReplicaSet "web-[a-z0-9]+" has timed out progressing\.$/);
  const serving = activePods(ns).filter((p) => isAvailable(p, 0, ns.now)).length;
  assert.ok(serving >= 3, `${serving} old pods still serve (4 - 25% unavailable)`);
});

test('scaling changes the current ReplicaSet only; old revisions past revisionHistoryLimit are deleted', () => {
  const ns = new TestNamespace();
  ns.putDeployment(web('v1', 2, undefined, { revisionHistoryLimit: 2 }));
  settle(ns);
  ns.putDeployment(web('v1', 5, undefined, { revisionHistoryLimit: 2 }));
  settle(ns);
  assert.equal(replicaSets(ns).length, 1);
  assert.equal(activePods(ns).length, 5);
  for (const v of ['v2', 'v3', 'v4', 'v5']) {
    ns.putDeployment(web(v, 5, undefined, { revisionHistoryLimit: 2 }));
    settle(ns);
    ns.step();
  }
  const revisions = replicaSets(ns).map((rs) => Number(rs.metadata.annotations![REVISION_ANNOTATION])).sort();
  assert.deepEqual(revisions, [3, 4, 5]);
});
