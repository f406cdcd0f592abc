import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../core/errors.ts';
import { instance } from '../testing/builders.ts';
import { compare, compileQuery, parseDate } from './evaluate.ts';

const web = instance('web')
  .type('t2.small').az('us-east-1a').attr('ecs.ami-id', 'ami-123').attr('stack', 'prod').attr('flag')
  .tasks('service:web', 2).tasks('family:batch').registeredAt(Date.parse('2018-06-18T22:28:28Z') / 1000)
  .ec2('i-abcd1234').agentVersion('1.14.5').build();
const idle = instance('idle').type('m5.large').az('us-east-1b').disconnected().build();

const holds = (expr: string) => [web, idle].filter((i) => compileQuery(expr).test(i)).map((i) => i.id);

test('== and != on attributes, built-in and custom', () => {
  assert.deepEqual(holds('attribute:ecs.instance-type == t2.small'), ['web']);
  assert.deepEqual(holds('attribute:ecs.instance-type != t2.small'), ['idle']);
  assert.deepEqual(holds('attribute:ecs.os-type == linux'), ['web', 'idle']);
  assert.deepEqual(holds('attribute:ecs.ami-id == ami-123'), ['web']);
  assert.deepEqual(holds('attribute:stack != prod'), ['idle'], 'a missing attribute is not equal');
  assert.deepEqual(holds('attribute:flag == ""'), ['web'], 'a value-less attribute is the empty string');
});

test('exists and !exists', () => {
  assert.deepEqual(holds('attribute:stack exists'), ['web']);
  assert.deepEqual(holds('attribute:flag exists'), ['web']);
  assert.deepEqual(holds('attribute:stack !exists'), ['idle']);
  assert.deepEqual(holds('task:group exists'), ['web']);
});

test('in and not_in', () => {
  assert.deepEqual(holds('attribute:ecs.availability-zone in [us-east-1a, us-east-1c]'), ['web']);
  assert.deepEqual(holds('attribute:ecs.availability-zone not_in [us-east-1a, us-east-1c]'), ['idle']);
  assert.deepEqual(holds("ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']"), ['web']);
});

test('=~ and !~ match the whole value with a Java-style regex (t2.* wildcards)', () => {
  assert.deepEqual(holds('attribute:ecs.instance-type =~ t2.*'), ['web']);
  assert.deepEqual(holds('attribute:ecs.instance-type =~ t2'), [], 'anchored');
  assert.deepEqual(holds('attribute:ecs.instance-type !~ t2.*'), ['idle']);
  assert.deepEqual(holds('attribute:ecs.instance-type matches "(m5|c5)\\.large"'), ['idle']);
});

test('> >= < <= on numbers, versions and dates', () => {
  assert.deepEqual(holds('runningTasksCount > 2'), ['web']);
  assert.deepEqual(holds('runningTasksCount >= 3'), ['web']);
  assert.deepEqual(holds('runningTasksCount < 1'), ['idle']);
  assert.deepEqual(holds('runningTasksCount <= 0'), ['idle']);
  assert.deepEqual(holds('runningTasksCount == 3'), ['web']);
  assert.deepEqual(holds('agentVersion < 1.20.0'), ['web']);
  assert.deepEqual(holds('agentVersion >= 1.9.0'), ['web'], 'versions compare part by part');
  assert.deepEqual(holds('registeredAt < 2018-06-19'), ['web']);
  assert.deepEqual(holds('registeredAt > 2018-06-18T22:28:27Z'), ['web', 'idle']);
  assert.deepEqual(holds('registeredAt == 2018-06-18T22:28:28+00:00'), ['web']);
  assert.deepEqual(holds('registeredAt <= 2018-06-18T22:28:28'), ['web']);
  assert.deepEqual(holds('registeredAt != 2018-06-18T22:28:28Z'), ['idle']);
});

test('task:group matches any group on the instance; its negations none', () => {
  assert.deepEqual(holds('task:group == service:web'), ['web']);
  assert.deepEqual(holds('task:group != service:web'), ['idle']);
  assert.deepEqual(holds('not(task:group == service:web)'), ['idle']);
  assert.deepEqual(holds('task:group in [family:batch, x]'), ['web']);
  assert.deepEqual(holds('task:group =~ service:.*'), ['web']);
  assert.deepEqual(holds('task:group !~ family:.*'), ['idle']);
});

test('agentConnected compares as true/false', () => {
  assert.deepEqual(holds('agentConnected == false'), ['idle']);
  assert.deepEqual(holds('agentConnected != false'), ['web']);
});

test('and, or, not and parentheses combine', () => {
  assert.deepEqual(holds('attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone != us-east-1d'), ['web']);
  assert.deepEqual(holds('attribute:stack == prod or agentConnected == false'), ['web', 'idle']);
  assert.deepEqual(holds('not (attribute:stack == prod or agentConnected == false)'), []);
  assert.deepEqual(holds('(attribute:stack == prod or agentConnected == false) and runningTasksCount == 0'), ['idle']);
});

test('readsTasks marks expressions placement must re-check after each task', () => {
  assert.equal(compileQuery('attribute:x == 1').readsTasks, false);
  assert.equal(compileQuery('attribute:x == 1 or not(task:group == a)').readsTasks, true);
  assert.equal(compileQuery('runningTasksCount < 3').readsTasks, true);
});

test('an invalid date is refused when the expression is compiled', () => {
  assert.throws(() => compileQuery('registeredAt < yesterday'), (e: unknown) => e instanceof ApiError && e.code === 'InvalidParameterException' && /2018-06-18/.test(e.message));
  assert.throws(() => parseDate('2018-13-45'), ApiError);
});

test('compare: numbers, versions, strings', () => {
  assert.equal(compare('10', '9'), 1);
  assert.equal(compare('1.14.5', '1.9.0'), 1);
  assert.equal(compare('1.2', '1.2.0'), 0);
  assert.equal(compare('abc', 'abd'), -1);
});
