import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, requirementsOf, SelectorError } from './selectors.ts';

describe('label selectors', () => {
  it('parse every operator the server takes and match as it does', () => {
    const sel = parseLabelSelector('app=web,tier==front,env!=prod,zone in (a, b),size notin (xl),team,!legacy');
    const labels = { app: 'web', tier: 'front', env: 'dev', zone: 'b', size: 's', team: 'x' };
    assert.equal(matchesLabels(sel, labels), true);
    assert.equal(matchesLabels(sel, { ...labels, legacy: 'yes' }), false);
    assert.equal(matchesLabels(sel, { ...labels, zone: 'c' }), false);
    assert.equal(matchesLabels(sel, { ...labels, env: 'prod' }), false);
  });

  it('!= and notin match objects without the label at all', () => {
    assert.equal(matchesLabels(parseLabelSelector('env!=prod'), {}), true);
    assert.equal(matchesLabels(parseLabelSelector('env notin (prod)'), undefined), true);
  });

  it('an empty selector selects everything; a malformed one is refused', () => {
    assert.equal(matchesLabels(parseLabelSelector(''), undefined), true);
    assert.throws(() => parseLabelSelector('a=b,,c'), SelectorError);
    assert.throws(() => parseLabelSelector('a=b c'), SelectorError);
  });
});

describe('field selectors', () => {
  it('match metadata fields and the kind\'s own, and refuse an unknown field with the server message', () => {
    const sel = parseFieldSelector('metadata.name=x,type!=Opaque', ['metadata.name', 'metadata.namespace', 'type']);
    assert.equal(matchesFields(sel, { metadata: { name: 'x' }, type: 'kubernetes.io/tls' }), true);
    assert.equal(matchesFields(sel, { metadata: { name: 'x' }, type: 'Opaque' }), false);
    assert.throws(() => parseFieldSelector('spec.foo=1', ['metadata.name']), /field label not supported: spec\.foo/);
  });
});

it("an object's label selector (matchLabels and matchExpressions) becomes the same requirements a query's does", () => {
  const fromObject = requirementsOf({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }, { key: 'canary', operator: 'DoesNotExist' }] });
  assert.deepEqual(fromObject, parseLabelSelector('app=web,tier notin (db),!canary'));
  assert.equal(matchesLabels(fromObject, { app: 'web', tier: 'front' }), true);
  assert.equal(matchesLabels(fromObject, { app: 'web', canary: 'yes' }), false);
  assert.deepEqual(requirementsOf({}), []);
});
