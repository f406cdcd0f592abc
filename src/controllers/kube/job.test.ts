import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconcileJob, type Job } from './job.ts';
import type { Pod } from './workload-objects.ts';
import type { WorkloadAction } from './workload-actions.ts';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const job = (spec: Partial<Job['spec']> = {}, status?: Job['status']): Job => ({
  metadata: { name: 'pi', namespace: 'default', uid: 'job-1', resourceVersion: '5' },
  spec: { completions: 3, parallelism: 2, backoffLimit: 1, template: { metadata: { labels: { 'job-name': 'pi' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } }, ...spec },
  ...(status && { status }),
});
const pod = (name: string, phase: string, ready = false): Pod => ({
  metadata: { name, namespace: 'default', uid: `u-${name}`, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: 'job-1', controller: true }] },
  status: { phase, ...(ready && { conditions: [{ type: 'Ready', status: 'True' }] }) },
});
let n = 0;
const suffix = () => `s${++n}`;
const creates = (as: WorkloadAction[]) => as.filter((a) => a.type === 'create').length;
const statusOf = (as: WorkloadAction[]) => (as.find((a) => a.type === 'updateStatus') as { status: NonNullable<Job['status']> } | undefined)?.status;

test('a new Job starts parallelism pods, owned by it, and records its start', () => {
  const as = reconcileJob(job(), [], NOW, suffix);
  assert.equal(creates(as), 2);
  const p = (as[0] as { object: Pod }).object;
  assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: 'job-1', controller: true, blockOwnerDeletion: true }]);
  assert.equal(p.metadata.labels?.['job-name'], 'pi');
  assert.deepEqual(statusOf(as), { startTime: '2026-12-07T12:00:00Z', ready: 0, terminating: 0, uncountedTerminatedPods: {} });
});

test('it never runs more than the completions still needed, and completes with SuccessCriteriaMet then Complete', () => {
  const started = { startTime: '2026-12-07T11:59:00Z' };
  assert.equal(creates(reconcileJob(job({}, started), [pod('a', 'Succeeded'), pod('b', 'Succeeded'), pod('c', 'Running', true)], NOW, suffix)), 0);
  const one = reconcileJob(job({}, started), [pod('a', 'Succeeded'), pod('b', 'Succeeded')], NOW, suffix);
  assert.equal(creates(one), 1);
  const done = statusOf(reconcileJob(job({}, started), [pod('a', 'Succeeded'), pod('b', 'Succeeded'), pod('c', 'Succeeded')], NOW, suffix))!;
  assert.deepEqual(done.conditions?.map((c) => [c.type, c.status, c.reason]), [['SuccessCriteriaMet', 'True', 'CompletionsReached'], ['Complete', 'True', 'CompletionsReached']]);
  assert.equal(done.succeeded, 3);
  assert.equal(done.completionTime, '2026-12-07T12:00:00Z');
});

test('failures past backoffLimit fail the Job and stop its running pods; a deadline does the same', () => {
  const as = reconcileJob(job({}, { startTime: '2026-12-07T11:59:00Z' }), [pod('a', 'Failed'), pod('b', 'Failed'), pod('c', 'Running')], NOW, suffix);
  assert.deepEqual(as.filter((a) => a.type === 'delete').map((a) => (a as { name: string }).name), ['c']);
  assert.equal(creates(as), 0);
  assert.deepEqual(statusOf(as)!.conditions?.filter((c) => c.type === 'Failed').map((c) => [c.reason, c.message]), [['BackoffLimitExceeded', 'Job has reached the specified backoff limit']]);
  const late = statusOf(reconcileJob(job({ activeDeadlineSeconds: 30 }, { startTime: '2026-12-07T11:59:00Z' }), [pod('a', 'Running')], NOW, suffix))!;
  assert.deepEqual(late.conditions?.filter((c) => c.type === 'Failed').map((c) => c.reason), ['DeadlineExceeded']);
});

test('a suspended Job runs nothing; a work queue (no completions) is done when one succeeds and none runs', () => {
  assert.equal(creates(reconcileJob(job({ suspend: true }), [], NOW, suffix)), 0);
  const queue = job({ completions: null, parallelism: 3 }, { startTime: '2026-12-07T11:59:00Z' });
  assert.equal(creates(reconcileJob(queue, [pod('a', 'Succeeded'), pod('b', 'Running')], NOW, suffix)), 0, 'no new work once one succeeded');
  assert.ok(statusOf(reconcileJob(queue, [pod('a', 'Succeeded'), pod('b', 'Succeeded')], NOW, suffix))!.conditions?.some((c) => c.type === 'Complete'));
});

test('a finished Job with ttlSecondsAfterFinished is deleted once it runs out, not before', () => {
  const done = job({ ttlSecondsAfterFinished: 60 }, { startTime: '2026-12-07T11:58:00Z', completionTime: '2026-12-07T11:59:30Z', succeeded: 3, conditions: [{ type: 'Complete', status: 'True' }] });
  const pods = [pod('a', 'Succeeded'), pod('b', 'Succeeded'), pod('c', 'Succeeded')];
  assert.equal(reconcileJob(done, pods, NOW, suffix).filter((a) => a.type === 'delete').length, 0);
  assert.deepEqual(reconcileJob(done, pods, NOW + 30_000, suffix), [{ type: 'delete', resource: 'jobs', namespace: 'default', name: 'pi', uid: 'job-1' }]);
});
