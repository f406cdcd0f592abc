import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldContainerReports, type PodFacts, type ReportedContainer } from './report-fold.ts';
import type { ContainerReport } from './report.ts';

const mine = (): ReportedContainer & PodFacts => ({ name: 'web', lastStatus: 'RUNNING', networkBindings: [], networkInterfaces: [], healthStatus: 'UNKNOWN' });
const report = (o: Partial<ContainerReport>): ContainerReport => ({ name: 'web', status: 'RUNNING', ...o });

test('the pod facts (restarts, probes, waiting reason) fold into the workload status only', () => {
  const facts = { restartCount: 2, ready: true, started: true, lastTermination: { exitCode: 1, reason: 'Error', startedAt: 10, finishedAt: 20 }, waiting: { reason: 'CrashLoopBackOff' }, startedAt: 30 };
  const ecs = [mine()];
  assert.equal(foldContainerReports(ecs, [report(facts)]), false, 'the ECS record has no place for them: unchanged, its version too');
  assert.deepEqual(ecs, [mine()]);
  const status = [mine()];
  assert.equal(foldContainerReports(status, [report(facts)], true), true);
  assert.deepEqual(status[0], { ...mine(), ...facts });
});

test('a restart count only grows (a resent report is older); null clears the waiting reason', () => {
  const status = [{ ...mine(), restartCount: 3, lastTermination: { exitCode: 2 }, waiting: { reason: 'CrashLoopBackOff' } }];
  assert.equal(foldContainerReports(status, [report({ restartCount: 2, lastTermination: { exitCode: 1 } })], true), false);
  assert.equal(status[0]!.restartCount, 3);
  assert.deepEqual(status[0]!.lastTermination, { exitCode: 2 });
  assert.equal(foldContainerReports(status, [report({ waiting: null })], true), true);
  assert.equal('waiting' in status[0]!, false);
  assert.equal(foldContainerReports(status, [report({ ready: false })], true), true);
  assert.equal(status[0]!.ready, false);
});
