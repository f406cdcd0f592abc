import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usageOf } from './billing.ts';
import { DEFAULT_PRICES, rateOf } from './prices.ts';
import { addUsage, costReport, shareWithin, type UsageLine } from './report.ts';
import type { UsageRecord } from './usage-record.ts';

const record = (o: Partial<UsageRecord> & { start: number; end: number }): UsageRecord => {
  const size = { cpu: o.cpu ?? 1024, memory: o.memory ?? 2048, storageGiB: o.storageGiB ?? 20 };
  return { taskArn: 'arn:t', cluster: 'default', provider: 'FARGATE', arch: 'x86_64', ...size, ...o, ...usageOf({ ...size, start: o.start, end: o.end }) };
};

const linesOf = (rs: UsageRecord[], since = -Infinity, until = Infinity): UsageLine[] => {
  const m = new Map<string, UsageLine>();
  for (const r of rs) addUsage(m, 'us-east-1', r, shareWithin(r, since, until));
  return [...m.values()];
};

test('a task inside the window counts whole, one across its edge counts its share', () => {
  assert.equal(shareWithin({ start: 10, end: 20 }, 0, 100), 1);
  assert.equal(shareWithin({ start: 0, end: 100 }, 50, 200), 0.5);
  assert.equal(shareWithin({ start: 0, end: 100 }, 100, 200), 0);
  assert.equal(shareWithin({ start: 5, end: 5 }, 0, 10), 1);
  assert.equal(shareWithin({ start: 5, end: 5 }, 6, 10), 0);
});

test('consecutive windows add up to the whole', () => {
  const r = record({ start: 0, end: 7200 });
  const a = linesOf([r], 0, 3000)[0]!;
  const b = linesOf([r], 3000, 10_000)[0]!;
  assert.equal(a.vcpuSeconds + b.vcpuSeconds, r.vcpuSeconds);
});

test('Spot tasks are priced at Spot, and what they saved is their on-demand price less that', () => {
  const hour = { start: 0, end: 3600 };
  const rep = costReport(linesOf([record({ ...hour, service: 'web' }), record({ ...hour, service: 'web', provider: 'FARGATE_SPOT' })]), 'service', DEFAULT_PRICES);
  const od = rateOf(DEFAULT_PRICES, 'us-east-1', 'FARGATE', 'x86_64').rate;
  const spot = rateOf(DEFAULT_PRICES, 'us-east-1', 'FARGATE_SPOT', 'x86_64').rate;
  const onDemandHour = od.vcpuHour + 2 * od.gbHour;
  const spotHour = spot.vcpuHour + 2 * spot.gbHour;
  assert.equal(rep.rows.length, 1);
  const row = rep.rows[0]!;
  assert.equal(row.group, 'default/web');
  assert.equal(row.tasks, 2);
  assert.equal(row.vcpuHours, 2);
  assert.equal(row.gbHours, 4);
  assert.ok(Math.abs(row.fargateCost - onDemandHour) < 1e-12);
  assert.ok(Math.abs(row.spotCost - spotHour) < 1e-12);
  assert.ok(Math.abs(row.totalCost - (onDemandHour + spotHour)) < 1e-12);
  assert.ok(Math.abs(row.spotSavings - (onDemandHour - spotHour)) < 1e-12);
  assert.deepEqual(rep.total, { ...row, group: 'TOTAL' });
});

test('ARM tasks are priced at the ARM prices', () => {
  const rep = costReport(linesOf([record({ start: 0, end: 3600, arch: 'arm64' })]), 'cluster', DEFAULT_PRICES);
  assert.ok(Math.abs(rep.total.totalCost - (0.03238 + 2 * 0.00356)) < 1e-12);
});

test('rows group by service, cluster or provider, in name order, over one total', () => {
  const rs = [
    record({ start: 0, end: 60, cluster: 'b', service: 's' }),
    record({ start: 0, end: 60, cluster: 'a' }),
    record({ start: 0, end: 60, cluster: 'a', provider: 'FARGATE_SPOT' }),
  ];
  assert.deepEqual(costReport(linesOf(rs), 'service', DEFAULT_PRICES).rows.map((r) => [r.group, r.tasks]), [['a/-', 2], ['b/s', 1]]);
  assert.deepEqual(costReport(linesOf(rs), 'cluster', DEFAULT_PRICES).rows.map((r) => [r.group, r.tasks]), [['a', 2], ['b', 1]]);
  assert.deepEqual(costReport(linesOf(rs), 'provider', DEFAULT_PRICES).rows.map((r) => [r.group, r.tasks]), [['FARGATE', 2], ['FARGATE_SPOT', 1]]);
  assert.equal(costReport(linesOf(rs), 'provider', DEFAULT_PRICES).total.tasks, 3);
});

test('a region without prices is priced as us-east-1 and the report names it', () => {
  const m = new Map<string, UsageLine>();
  addUsage(m, 'ap-south-9', record({ start: 0, end: 60 }), 1);
  assert.deepEqual(costReport([...m.values()], 'cluster', DEFAULT_PRICES).pricedAs, [['ap-south-9', 'us-east-1']]);
});

test('EC2-mode tasks are priced as FARGATE on demand in their own column, outside the total', () => {
  const rep = costReport(linesOf([record({ start: 0, end: 3600, provider: 'EC2' }), record({ start: 0, end: 3600 })]), 'provider', DEFAULT_PRICES);
  const od = rateOf(DEFAULT_PRICES, 'us-east-1', 'FARGATE', 'x86_64').rate;
  const hour = od.vcpuHour + 2 * od.gbHour;
  assert.deepEqual(rep.rows.map((r) => r.group), ['EC2', 'FARGATE']);
  assert.ok(Math.abs(rep.rows[0]!.ec2AsFargateCost - hour) < 1e-12);
  assert.equal(rep.rows[0]!.totalCost, 0);
  assert.ok(Math.abs(rep.total.totalCost - hour) < 1e-12);
  assert.ok(Math.abs(rep.total.ec2AsFargateCost - hour) < 1e-12);
  assert.equal(rep.total.tasks, 2);
});
