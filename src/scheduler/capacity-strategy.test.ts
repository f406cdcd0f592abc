import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ApiError } from '../core/errors.ts';
import type { StrategyItem } from '../core/ecs/capacity-provider-strategy.ts';
import { resolveStrategy, runningByProvider, splitLaunch, type ProviderShare } from './capacity-strategy.ts';

const item = (capacityProvider: string, weight = 0, base = 0): StrategyItem => ({ capacityProvider, weight, base });
const asMap = (shares: readonly ProviderShare[]) => Object.fromEntries(shares.map((s) => [s.capacityProvider, s.count]));

describe('splitLaunch', () => {
  test('the base is satisfied first, then the rest by weight (ECS guide: base 1 weight 1 and weight 4)', () => {
    // 1 + the other 10 split 1:4 → 2 more on A, 8 on B.
    assert.deepEqual(asMap(splitLaunch([item('A', 1, 1), item('B', 4)], 11)), { A: 3, B: 8 });
  });

  test('equal weights split evenly; the larger weight gets the first task', () => {
    assert.deepEqual(asMap(splitLaunch([item('A', 1), item('B', 1)], 6)), { A: 3, B: 3 });
    assert.deepEqual(asMap(splitLaunch([item('A', 1), item('B', 4)], 1)), { B: 1 });
  });

  test('a provider of weight 0 gets its base and nothing more', () => {
    assert.deepEqual(asMap(splitLaunch([item('A', 0, 2), item('B', 1)], 5)), { A: 2, B: 3 });
    assert.deepEqual(asMap(splitLaunch([item('A', 0), item('B', 1)], 5)), { B: 5 });
  });

  test('tasks a provider already runs count: its base is not placed twice, and new tasks go where the share is short', () => {
    const running = new Map([['A', 2], ['B', 0]]);
    // A's base is met by what it runs: the two new tasks split by weight, one each.
    assert.deepEqual(asMap(splitLaunch([item('A', 1, 2), item('B', 1)], 2, running)), { A: 1, B: 1 });
    assert.deepEqual(asMap(splitLaunch([item('A', 1), item('B', 1)], 4, new Map([['A', 4]]))), { B: 4 });
  });

  test('a count below the base all goes to the base provider', () => {
    assert.deepEqual(splitLaunch([item('A', 1), item('B', 1, 10)], 3), [{ capacityProvider: 'B', count: 3 }]);
  });

  test('nothing to place answers nothing', () => {
    assert.deepEqual(splitLaunch([item('A', 1)], 0), []);
  });

  const strategies = fc.uniqueArray(fc.record({ name: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), weight: fc.integer({ min: 0, max: 1000 }) }), { minLength: 1, maxLength: 6, selector: (r) => r.name })
    .chain((items) => fc.record({
      items: fc.constant(items),
      baseAt: fc.option(fc.integer({ min: 0, max: items.length - 1 })),
      base: fc.integer({ min: 0, max: 50 }),
    }))
    .filter(({ items }) => items.some((i) => i.weight > 0))
    .map(({ items, baseAt, base }) => items.map((i, n) => item(i.name, i.weight, n === baseAt ? base : 0)));

  test('property: the counts add up, weight-0 providers get no more than their base, providers run in strategy order', () => {
    fc.assert(fc.property(strategies, fc.integer({ min: 0, max: 500 }), (strategy, count) => {
      const out = splitLaunch(strategy, count);
      assert.equal(out.reduce((s, x) => s + x.count, 0), count);
      for (const s of out) {
        const i = strategy.find((x) => x.capacityProvider === s.capacityProvider)!;
        if (i.weight === 0) assert.ok(s.count <= i.base);
        assert.ok(s.count > 0);
      }
      const order = strategy.map((i) => i.capacityProvider);
      assert.deepEqual(out.map((s) => s.capacityProvider), order.filter((n) => out.some((s) => s.capacityProvider === n)));
    }));
  });

  test('property: the base is met before any weight is served', () => {
    fc.assert(fc.property(strategies, fc.integer({ min: 0, max: 500 }), (strategy, count) => {
      const b = strategy.find((i) => i.base > 0);
      if (!b) return;
      const got = asMap(splitLaunch(strategy, count))[b.capacityProvider] ?? 0;
      assert.ok(got >= Math.min(count, b.base));
    }));
  });

  test('property: beyond the base, each weighted provider is within one task of its exact share', () => {
    fc.assert(fc.property(strategies, fc.integer({ min: 0, max: 500 }), (strategy, count) => {
      const out = asMap(splitLaunch(strategy, count));
      const base = strategy.reduce((s, i) => s + i.base, 0);
      const rest = Math.max(0, count - base);
      const total = strategy.reduce((s, i) => s + i.weight, 0);
      for (const i of strategy) {
        const beyond = Math.max(0, (out[i.capacityProvider] ?? 0) - i.base);
        assert.ok(Math.abs(beyond - (rest * i.weight) / total) < 1 + 1e-9, `${i.capacityProvider}: ${beyond} vs ${(rest * i.weight) / total}`);
      }
    }));
  });

  test('property: placing n then m tasks ends where placing n + m at once does (a service scaled in steps keeps its ratio)', () => {
    fc.assert(fc.property(strategies, fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 200 }), (strategy, n, m) => {
      const first = asMap(splitLaunch(strategy, n));
      const second = asMap(splitLaunch(strategy, m, new Map(Object.entries(first))));
      const once = asMap(splitLaunch(strategy, n + m));
      for (const i of strategy) {
        const stepped = (first[i.capacityProvider] ?? 0) + (second[i.capacityProvider] ?? 0);
        assert.ok(Math.abs(stepped - (once[i.capacityProvider] ?? 0)) <= 1, `${i.capacityProvider}: ${stepped} in steps, ${once[i.capacityProvider] ?? 0} at once`);
      }
    }));
  });
});

describe('resolveStrategy', () => {
  const cluster = { capacityProviders: ['cp1', 'cp2', 'FARGATE'], defaultCapacityProviderStrategy: [{ capacityProvider: 'cp1', weight: 1 }] };
  const refused = (f: () => unknown, message: RegExp) => assert.throws(f, (e) => e instanceof ApiError && e.code === 'InvalidParameterException' && message.test(e.message));

  test("the request's strategy, with base and weight defaulted to 0", () => {
    assert.deepEqual(resolveStrategy({ capacityProviderStrategy: [{ capacityProvider: 'cp2', weight: 2 }] }, cluster),
      { kind: 'strategy', launchType: 'EC2', strategy: [{ capacityProvider: 'cp2', base: 0, weight: 2 }], fromDefault: false });
  });

  test("a launch type wins over the cluster's default", () => {
    assert.deepEqual(resolveStrategy({ launchType: 'EC2' }, cluster), { kind: 'launchType', launchType: 'EC2' });
  });

  test("with neither, the cluster's default strategy; with no default, EC2", () => {
    assert.deepEqual(resolveStrategy({}, cluster), { kind: 'strategy', launchType: 'EC2', strategy: [{ capacityProvider: 'cp1', base: 0, weight: 1 }], fromDefault: true });
    assert.deepEqual(resolveStrategy({ capacityProviderStrategy: [] }, { capacityProviders: [], defaultCapacityProviderStrategy: [] }), { kind: 'launchType', launchType: 'EC2' });
  });

  test('both a launch type and a strategy are refused', () => {
    refused(() => resolveStrategy({ launchType: 'EC2', capacityProviderStrategy: [{ capacityProvider: 'cp1', weight: 1 }] }, cluster), /^Specifying both a launch type and capacity provider strategy is not supported/);
  });

  test('a provider the cluster does not have is refused', () => {
    refused(() => resolveStrategy({ capacityProviderStrategy: [{ capacityProvider: 'other', weight: 1 }] }, cluster), /cannot contain a capacity provider that is not associated with the cluster/);
  });

  test('all weights 0 are refused, naming the default strategy when it is the default', () => {
    refused(() => resolveStrategy({ capacityProviderStrategy: [{ capacityProvider: 'cp1' }, { capacityProvider: 'cp2', base: 3 }] }, cluster), /no capacity providers with a weight value greater than zero defined in the capacity provider strategy/);
    refused(() => resolveStrategy({}, { ...cluster, defaultCapacityProviderStrategy: [{ capacityProvider: 'cp1' }] }), /in the default capacity provider strategy.*Update the cluster's default/);
  });

  test('two bases, duplicates, out-of-range values and more than 20 providers are refused', () => {
    refused(() => resolveStrategy({ capacityProviderStrategy: [{ capacityProvider: 'cp1', weight: 1, base: 1 }, { capacityProvider: 'cp2', base: 1 }] }, cluster), /only one capacity provider in a strategy can have a base/);
    refused(() => resolveStrategy({ capacityProviderStrategy: [{ capacityProvider: 'cp1', weight: 1 }, { capacityProvider: 'cp1', weight: 2 }] }, cluster), /duplicate/);
    refused(() => resolveStrategy({ capacityProviderStrategy: [{ capacityProvider: 'cp1', weight: 1001 }] }, cluster), /between 0 and 1000/);
    const many = Array.from({ length: 21 }, (_, n) => ({ capacityProvider: `cp${n}`, weight: 1 }));
    refused(() => resolveStrategy({ capacityProviderStrategy: many }, cluster), /at most 20/);
  });

});

test("runningByProvider counts a group's tasks per provider until they stop or are told to", () => {
  const t = (group: string, capacityProviderName: string | undefined, lastStatus = 'RUNNING', desiredStatus = 'RUNNING') => ({ group, capacityProviderName, lastStatus, desiredStatus });
  const tasks = [t('service:web', 'a'), t('service:web', 'a', 'PENDING'), t('service:web', 'b'), t('service:web', 'b', 'RUNNING', 'STOPPED'),
    t('service:web', 'b', 'STOPPED', 'STOPPED'), t('service:api', 'a'), t('service:web', undefined)];
  assert.deepEqual([...runningByProvider(tasks, 'service:web')], [['a', 2], ['b', 1]]);
});
