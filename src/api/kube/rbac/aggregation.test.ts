import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregatedRules, aggregationUpdates, settledRules, type AggregationInput } from './aggregation.ts';

const r = (resource: string) => ({ verbs: ['get'], apiGroups: [''], resources: [resource] });

test('an aggregated ClusterRole gets the rules of the roles its selectors match, in name order, each once, never its own', () => {
  const all: AggregationInput[] = [
    { name: 'mine', labels: { team: 'a' }, rules: [r('zzz')], aggregationRule: { clusterRoleSelectors: [{ matchLabels: { team: 'a' } }, { matchExpressions: [{ key: 'extra', operator: 'Exists' }] }] } },
    { name: 'b', labels: { team: 'a' }, rules: [r('pods'), r('secrets')] },
    { name: 'a', labels: { team: 'a' }, rules: [r('configmaps'), r('pods')] },
    { name: 'c', labels: { extra: '' }, rules: [r('leases')] },
    { name: 'd', labels: { team: 'b' }, rules: [r('nodes')] },
  ];
  assert.deepEqual(aggregatedRules(all[0]!, all), [r('configmaps'), r('pods'), r('secrets'), r('leases')]);
  assert.equal(aggregatedRules(all[1]!, all), undefined, 'no aggregationRule: not aggregated');
  assert.deepEqual(aggregationUpdates(all), [{ name: 'mine', rules: [r('configmaps'), r('pods'), r('secrets'), r('leases')] }]);
  const settled = all.map((x) => (x.name === 'mine' ? { ...x, rules: aggregatedRules(x, all)! } : x));
  assert.deepEqual(aggregationUpdates(settled), [], 'once written, nothing more to do');
});

test('chains settle: a role aggregated into another passes on what it gathered', () => {
  const all: AggregationInput[] = [
    { name: 'top', labels: {}, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { to: 'top' } }] } },
    { name: 'mid', labels: { to: 'top' }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { to: 'mid' } }] } },
    { name: 'leaf', labels: { to: 'mid' }, rules: [r('pods')] },
  ];
  const s = settledRules(all);
  assert.deepEqual(s.get('mid'), [r('pods')]);
  assert.deepEqual(s.get('top'), [r('pods')]);
});
