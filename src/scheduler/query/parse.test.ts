import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../core/errors.ts';
import { MAX_EXPRESSION_LENGTH, parseExpression } from './parse.ts';

const refused = (text: string, message: RegExp) =>
  assert.throws(() => parseExpression(text), (e: unknown) => e instanceof ApiError && e.code === 'InvalidParameterException' && message.test(e.message), text);

test('a comparison: subject, operator, argument', () => {
  assert.deepEqual(parseExpression('attribute:ecs.instance-type == t2.small'), { kind: 'cmp', subject: 'attribute:ecs.instance-type', op: '==', values: ['t2.small'] });
});

test('every operator, as a symbol and as a word', () => {
  const pairs: [string, string][] = [
    ['==', 'equals'], ['!=', 'not_equals'], ['>', 'greater_than'], ['>=', 'greater_than_equal'], ['<', 'less_than'], ['<=', 'less_than_equal'],
    ['=~', 'matches'], ['!~', 'not_matches'],
  ];
  for (const [sym, word] of pairs) {
    const a = parseExpression(`attribute:x ${sym} 1`), b = parseExpression(`attribute:x ${word} 1`);
    assert.deepEqual(a, b, word);
    assert.equal(a.kind === 'cmp' && a.op, sym);
  }
  assert.deepEqual(parseExpression('attribute:x exists'), { kind: 'cmp', subject: 'attribute:x', op: 'exists', values: [] });
  assert.deepEqual(parseExpression('attribute:x !exists'), parseExpression('attribute:x not_exists'));
  assert.deepEqual(parseExpression('attribute:x !in [a]'), parseExpression('attribute:x not_in [a]'));
});

test('operators need no spaces around them', () => {
  assert.deepEqual(parseExpression('attribute:x==y'), parseExpression('attribute:x == y'));
  assert.deepEqual(parseExpression('attribute:x!=y'), parseExpression('attribute:x != y'));
});

test('argument lists, quoted values and single values for in', () => {
  assert.deepEqual(parseExpression("attribute:ecs.availability-zone in [us-east-1a, 'us-east-1b' , \"us east\"]"),
    { kind: 'cmp', subject: 'attribute:ecs.availability-zone', op: 'in', values: ['us-east-1a', 'us-east-1b', 'us east'] });
  assert.deepEqual(parseExpression("ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']").kind, 'cmp');
  assert.deepEqual(parseExpression('attribute:x in a'), { kind: 'cmp', subject: 'attribute:x', op: 'in', values: ['a'] });
});

test('and binds tighter than or; not, ! and parentheses', () => {
  const e = parseExpression('attribute:a == 1 or attribute:b == 2 and attribute:c == 3');
  assert.equal(e.kind, 'or');
  assert.equal(e.kind === 'or' && e.right.kind, 'and');
  assert.equal(parseExpression('(attribute:a == 1 or attribute:b == 2) and attribute:c == 3').kind, 'and');
  assert.equal(parseExpression('not(task:group == database)').kind, 'not');
  assert.equal(parseExpression('!(task:group == database)').kind, 'not');
  assert.equal(parseExpression('attribute:a == 1 && attribute:b == 2 || attribute:c == 3').kind, 'or');
  assert.equal(parseExpression('attribute:a == 1 AND attribute:b == 2').kind, 'and');
});

test('a matches argument is a regex and may hold parentheses', () => {
  const e = parseExpression('(attribute:ecs.instance-type =~ (t2|m5).* and attribute:y exists)');
  assert.equal(e.kind, 'and');
  const left = e.kind === 'and' ? e.left : e;
  assert.equal(left.kind === 'cmp' && left.values[0], '(t2|m5).*');
  assert.ok(left.kind === 'cmp' && left.pattern!.test('m5.large'));
  assert.ok(left.kind === 'cmp' && !left.pattern!.test('c5.large'), 'anchored: the whole value must match');
});

test('syntax errors are InvalidParameterException naming the position and the fix', () => {
  refused('', /position 1: expected a subject/);
  refused('attribute:stack', /expected an operator/);
  refused('attribute:stack ==', /expected a value after 'attribute:stack =='/);
  refused('attribute:stack == prod and', /expected a subject/);
  refused('(attribute:stack == prod', /expected '\)'/);
  refused('attribute:stack == prod)', /unexpected '\)'/);
  refused('stack == prod', /'stack' is not a subject/);
  refused('attribute: == prod', /'attribute:' is not a subject/);
  refused('attribute:az in [a, b', /expected ',' or '\]'/);
  refused("attribute:az == 'open", /never closed/);
  refused('attribute:t =~ (t2', /not a valid regular expression/);
  refused('agentConnected > true', /agentConnected does not take the operator >/);
  refused('runningTasksCount in [1, 2]', /runningTasksCount does not take the operator in/);
  refused('attribute:a == 1 attribute:b == 2', /unexpected 'attribute:b/);
  refused('x'.repeat(MAX_EXPRESSION_LENGTH + 1), /at most 2000/);
});
