import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterOp, instanceOp, putOp, SCOPE, taskRecord } from '../../cluster/testing.ts';
import { ApiError } from '../../core/errors.ts';
import { NOT_ENABLED_MESSAGE } from '../../core/ecs/execute-command.ts';
import { keys } from '../../core/ecs/keys.ts';
import { ExecSessions } from '../../exec/exec-sessions.ts';
import { rootPrincipal } from '../../identity/principal.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import type { RequestContext } from '../aws/service.ts';
import type { EcsDeps } from './deps.ts';
import { executeCommandOperations } from './execute-command.ts';

const ctx: RequestContext = { region: SCOPE.region, accountId: SCOPE.account, requestId: 'r', now: 1_700_000_000_000, accessKeyId: undefined, principal: rootPrincipal(SCOPE.account), host: 'berth.example:4566' };
const INSTANCE = 'a'.repeat(32);
const OFFLINE = 'b'.repeat(32);
const TASK = '0'.repeat(32);
const container = (name: string) => ({
  containerArn: `arn:aws:ecs:${SCOPE.region}:${SCOPE.account}:container/c1/${TASK}/${name}`, taskArn: 't', name, image: 'busybox', lastStatus: 'RUNNING',
  networkBindings: [], networkInterfaces: [], healthStatus: 'UNKNOWN', cpu: '0',
});
const task = (id: string, o: { enable?: boolean; instance?: string; containers?: string[] } = {}) =>
  putOp(keys.task(SCOPE, 'c1', id), { ...taskRecord('c1', id, { instance: o.instance ?? INSTANCE, lastStatus: 'RUNNING' }), enableExecuteCommand: o.enable ?? true, containers: (o.containers ?? ['app']).map(container) });

async function setup(t: { after(fn: () => unknown): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-exec-api-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openSqliteStore(join(dir, 'state.db'));
  t.after(() => store.close());
  await store.txn({ ops: [
    clusterOp('c1'), instanceOp('c1', INSTANCE), instanceOp('c1', OFFLINE, { connected: false }),
    task(TASK), task('1'.repeat(32), { enable: false }), task('2'.repeat(32), { instance: OFFLINE }), task('3'.repeat(32), { containers: ['web', 'log'] }),
  ] });
  const sessions = new ExecSessions();
  let n = 0;
  const ops = executeCommandOperations({ store } as unknown as EcsDeps, { sessions, newSessionId: () => `ecs-execute-command-${++n}`, newToken: () => `token-${n}` });
  return { ops, sessions };
}

const refused = (code: string, message: string | RegExp) => (e: unknown) =>
  e instanceof ApiError && e.code === code && (typeof message === 'string' ? e.message === message : message.test(e.message));

test('answers a session on the host the client used, bound to the task and container, opened once with its token', async (t) => {
  const { ops, sessions } = await setup(t);
  const out = await ops.ExecuteCommand({ cluster: 'c1', task: TASK, command: '/bin/sh', interactive: true }, ctx);
  assert.deepEqual(out, {
    clusterArn: `arn:aws:ecs:${SCOPE.region}:${SCOPE.account}:cluster/c1`,
    containerArn: container('app').containerArn, containerName: 'app', interactive: true,
    session: { sessionId: 'ecs-execute-command-1', streamUrl: 'ws://berth.example:4566/_berth/ssm/ecs-execute-command-1', tokenValue: 'token-1' },
    taskArn: `arn:aws:ecs:${SCOPE.region}:${SCOPE.account}:task/c1/${TASK}`,
  });
  const b = sessions.claim('ecs-execute-command-1', 'token-1', ctx.now);
  assert.ok(typeof b === 'object');
  assert.equal(b.containerName, 'app');
  assert.equal(b.caller, `arn:aws:iam::${SCOPE.account}:root`);
  assert.equal(b.containerInstanceArn, `arn:aws:ecs:${SCOPE.region}:${SCOPE.account}:container-instance/c1/${INSTANCE}`);
});

test('refusals: not enabled (AWS’s text), agent not connected, several containers unnamed, no such task or cluster, a broken command', async (t) => {
  const { ops, sessions } = await setup(t);
  const ask = (task: string, over: Record<string, unknown> = {}) => ops.ExecuteCommand({ cluster: 'c1', task, command: '/bin/sh', interactive: true, ...over }, ctx);
  await assert.rejects(ask('1'.repeat(32)), refused('InvalidParameterException', NOT_ENABLED_MESSAGE));
  await assert.rejects(ask('2'.repeat(32)), refused('TargetNotConnectedException', /not connected/));
  await assert.rejects(ask('3'.repeat(32)), refused('InvalidParameterException', /container name is required/));
  await assert.rejects(ask('4'.repeat(32)), refused('InvalidParameterException', /task was not found/));
  await assert.rejects(ops.ExecuteCommand({ cluster: 'nope', task: TASK, command: '/bin/sh', interactive: true }, ctx), refused('ClusterNotFoundException', /Cluster not found/));
  await assert.rejects(ask(TASK, { command: `sh -c 'echo` }), refused('InvalidParameterException', /unterminated single quote/));
  await assert.rejects(ask(TASK, { interactive: false }), refused('InvalidParameterException', /Interactive/));
  assert.equal(sessions.size, 0);
});
