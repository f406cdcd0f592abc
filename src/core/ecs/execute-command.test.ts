import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../errors.ts';
import { checkExecuteCommand, NOT_ENABLED_MESSAGE } from './execute-command.ts';
import { managedAgentsOf } from './managed-agents.ts';
import type { ContainerRecord, TaskRecord } from './task.ts';

const container = (name: string, lastStatus: ContainerRecord['lastStatus'] = 'RUNNING'): ContainerRecord => ({
  containerArn: `arn:aws:ecs:us-east-1:000000000000:container/default/t/${name}`, taskArn: 't', name, image: 'busybox', lastStatus,
  networkBindings: [], networkInterfaces: [], healthStatus: 'UNKNOWN', cpu: '0',
});
const task = (over: Partial<TaskRecord> = {}): TaskRecord => ({
  taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef0123456789abcdef', clusterArn: 'c', taskDefinitionArn: 'td',
  overrides: { containerOverrides: [] }, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', containers: [container('app')], version: 1,
  createdAt: 1, startedAt: 2, group: 'family:x', launchType: 'EC2', attachments: [], healthStatus: 'UNKNOWN', tags: [], enableExecuteCommand: true,
  ...over,
} as TaskRecord);
const refused = (fn: () => unknown, code: string, message: string | RegExp) => assert.throws(fn, (e: unknown) => {
  assert.ok(e instanceof ApiError);
  assert.equal(e.code, code);
  if (typeof message === 'string') assert.equal(e.message, message);
  else assert.match(e.message, message);
  return true;
});
const ask = { command: '/bin/sh', interactive: true };

test('a single-container task needs no container name', () => {
  assert.equal(checkExecuteCommand(task(), ask).name, 'app');
});

test('a task run without execute command enabled, or not running, gets AWS’s text', () => {
  refused(() => checkExecuteCommand(task({ enableExecuteCommand: false }), ask), 'InvalidParameterException', NOT_ENABLED_MESSAGE);
  refused(() => checkExecuteCommand(task({ lastStatus: 'PENDING' }), ask), 'InvalidParameterException', NOT_ENABLED_MESSAGE);
  refused(() => checkExecuteCommand(task({ containers: [container('app', 'STOPPED')] }), ask), 'InvalidParameterException', NOT_ENABLED_MESSAGE);
});

test('several containers: the name is required and must be one of them', () => {
  const t = task({ containers: [container('web'), container('sidecar')] });
  refused(() => checkExecuteCommand(t, ask), 'InvalidParameterException', /container name is required.*web, sidecar/);
  refused(() => checkExecuteCommand(t, { ...ask, container: 'db' }), 'InvalidParameterException', /container db does not exist/);
  assert.equal(checkExecuteCommand(t, { ...ask, container: 'sidecar' }).name, 'sidecar');
});

test('only interactive sessions, with a command', () => {
  refused(() => checkExecuteCommand(task(), { ...ask, interactive: false }), 'InvalidParameterException', 'Interactive is the only mode supported currently.');
  refused(() => checkExecuteCommand(task(), { ...ask, command: '  ' }), 'InvalidParameterException', /command must not be empty/);
});

test('managedAgents: ExecuteCommandAgent RUNNING beside a running container, none without execute command', () => {
  assert.deepEqual(managedAgentsOf(task(), container('app')), [{ name: 'ExecuteCommandAgent', lastStatus: 'RUNNING', lastStartedAt: 2 }]);
  assert.deepEqual(managedAgentsOf(task(), container('app', 'PENDING')), [{ name: 'ExecuteCommandAgent', lastStatus: 'PENDING' }]);
  assert.equal(managedAgentsOf(task({ enableExecuteCommand: false }), container('app')), undefined);
});
