import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import type { RunnerFacts } from '../task-runner.ts';
import { answerVersion, callerTaskAmong, ownsSocket } from './runner-facts.ts';

const arn = (n: number) => `arn:aws:ecs:us-east-1:123456789012:task/default/${String(n).padStart(32, '0')}`;
/** A runner's facts with only what the caller check reads: its task and its network. */
const facts = (n: number, net: { ip?: string; containers?: { ip: string }[]; hostNetwork?: boolean } | undefined) =>
  ({ assignment: { spec: { id: `t${n}`, ecs: { taskArn: arn(n) } } }, net: net && { containers: [], ...net } }) as unknown as RunnerFacts;
const from = (remoteAddress: string) => ({ remoteAddress, remotePort: 40000 }) as Socket;

test('the caller is the task whose address (or one of its containers\') the connection comes from, v4-mapped or not', () => {
  const runners = [facts(1, { ip: '172.30.240.5' }), facts(2, { containers: [{ ip: '172.30.240.9' }] }), facts(3, undefined)];
  assert.equal(callerTaskAmong(runners, from('172.30.240.5')), arn(1));
  assert.equal(callerTaskAmong(runners, from('::ffff:172.30.240.9')), arn(2));
  assert.equal(callerTaskAmong(runners, from('172.30.240.1')), undefined, 'the gateway itself (the host) is no task');
  assert.equal(callerTaskAmong([], from('172.30.240.5')), undefined);
  assert.equal(ownsSocket(runners[0]!, from('172.30.240.9')), false);
});

test('a host-mode task is asked by its socket\'s owner, after every task with an address; a socket in no /proc/net/tcp row is no one\'s', () => {
  const runners = [facts(1, { hostNetwork: true }), facts(2, { ip: '10.0.0.2' })];
  assert.equal(callerTaskAmong(runners, from('10.0.0.2')), arn(2));
  // No connection from port 40000 to 169.254.170.2:80 exists on this machine: no owner.
  assert.equal(callerTaskAmong(runners, from('127.0.0.1')), undefined);
});

test('the answer version moves with every fact the view reads, and a Fargate task has none', () => {
  const slot = { def: { name: 'app' }, state: 'running', health: 'UNKNOWN', createdAt: 1, startedAt: 2, restarts: { count: 0 } };
  const assignment = { spec: { id: 't1', launchType: 'EC2', ecs: { taskArn: arn(1) } } };
  const f = (over: Record<string, unknown> = {}) => ({ assignment, status: 'RUNNING', slots: [slot], net: undefined, ...over }) as unknown as RunnerFacts;
  const clock = { errorBoundMs: 1, measuredAt: 5, synchronized: true };
  const v = answerVersion(f(), clock);
  assert.equal(answerVersion(f(), clock), v, 'the same facts, the same version');
  assert.notEqual(answerVersion(f({ status: 'STOPPED' }), clock), v);
  assert.notEqual(answerVersion(f({ slots: [{ ...slot, health: 'HEALTHY' }] }), clock), v);
  assert.notEqual(answerVersion(f({ slots: [{ ...slot, state: 'exited', exit: { exitCode: 0 } }] }), clock), v);
  assert.notEqual(answerVersion(f({ slots: [{ ...slot, restarts: { count: 1 } }] }), clock), v, 'a restart');
  assert.notEqual(answerVersion(f({ assignment: { ...assignment } }), clock), v, 'a new assignment (the task record changed)');
  assert.notEqual(answerVersion(f(), { ...clock, measuredAt: 6 }), v, 'a new clock sample');
  assert.equal(answerVersion(f({ assignment: { spec: { id: 't1', launchType: 'FARGATE', ecs: { taskArn: arn(1) } } } }), clock), undefined);
});
