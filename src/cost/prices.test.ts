import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PRICES, DEFAULT_SPOT_DISCOUNT, parsePrices, priceOf, PriceFileError, rateOf } from './prices.ts';

test('the default table holds the published us-east-1 Linux prices, x86 and ARM', () => {
  assert.deepEqual(rateOf(DEFAULT_PRICES, 'us-east-1', 'FARGATE', 'x86_64').rate, { vcpuHour: 0.04048, gbHour: 0.004445, storageGbHour: 0.000111 });
  assert.deepEqual(rateOf(DEFAULT_PRICES, 'us-east-1', 'FARGATE', 'arm64').rate, { vcpuHour: 0.03238, gbHour: 0.00356, storageGbHour: 0.000111 });
  assert.match(DEFAULT_PRICES.date, /^\d{4}-\d{2}-\d{2}$/);
});

test('Spot defaults to the on-demand price less the documented discount', () => {
  const spot = rateOf(DEFAULT_PRICES, 'us-east-1', 'FARGATE_SPOT', 'x86_64').rate;
  assert.ok(Math.abs(spot.vcpuHour - 0.04048 * (1 - DEFAULT_SPOT_DISCOUNT)) < 1e-9);
  assert.ok(Math.abs(spot.gbHour - 0.004445 * (1 - DEFAULT_SPOT_DISCOUNT)) < 1e-9);
});

test('one vCPU and 2 GB for an hour costs the sum of the hourly prices', () => {
  const rate = rateOf(DEFAULT_PRICES, 'us-east-1', 'FARGATE', 'x86_64').rate;
  assert.ok(Math.abs(priceOf({ vcpuSeconds: 3600, gbSeconds: 7200, storageGbSeconds: 3600 * 10 }, rate) - (0.04048 + 2 * 0.004445 + 10 * 0.000111)) < 1e-12);
});

test('a region missing from the table is priced as us-east-1, and says so', () => {
  assert.equal(rateOf(DEFAULT_PRICES, 'ap-south-9', 'FARGATE', 'x86_64').region, 'us-east-1');
  assert.equal(rateOf(DEFAULT_PRICES, 'eu-west-1', 'FARGATE', 'x86_64').region, 'eu-west-1');
});

test('a price file replaces what it names, field by field, and keeps its date', () => {
  const t = parsePrices(JSON.stringify({ date: '2025-01-31', regions: { 'us-east-1': { FARGATE_SPOT: { x86_64: { vcpuHour: 0.0125 } } }, 'eu-central-1': { FARGATE: { x86_64: { vcpuHour: 0.04656, gbHour: 0.00511 } } } } }));
  assert.equal(t.date, '2025-01-31');
  assert.equal(rateOf(t, 'us-east-1', 'FARGATE_SPOT', 'x86_64').rate.vcpuHour, 0.0125);
  assert.equal(rateOf(t, 'us-east-1', 'FARGATE_SPOT', 'x86_64').rate.gbHour, rateOf(DEFAULT_PRICES, 'us-east-1', 'FARGATE_SPOT', 'x86_64').rate.gbHour);
  assert.deepEqual(rateOf(t, 'eu-central-1', 'FARGATE', 'x86_64'), { rate: { vcpuHour: 0.04656, gbHour: 0.00511, storageGbHour: 0.000111 }, region: 'eu-central-1' });
  assert.equal(rateOf(t, 'eu-central-1', 'FARGATE', 'arm64').rate.vcpuHour, 0.03238, 'a new region starts from us-east-1');
});

test('a bad price file is refused with one line naming what is wrong', () => {
  const bad: [string, RegExp][] = [
    ['{', /^not JSON/],
    ['[]', /the file must be an object/],
    ['{"regions":{"us-east-1":{"FARGATE":{"x86_64":{"vcpuHour":-1}}}}}', /\$\.regions\.us-east-1\.FARGATE\.x86_64\.vcpuHour must be a number of dollars ≥ 0, not -1/],
    ['{"regions":{"us-east-1":{"FARGATE":{"x86_64":{"vcpuHour":"0.04"}}}}}', /vcpuHour must be a number/],
    ['{"regions":{"us-east-1":{"EC2":{}}}}', /\$\.regions\.us-east-1\.EC2 is not a field: use FARGATE, FARGATE_SPOT/],
    ['{"regions":{"us-east-1":{"FARGATE":{"mips":{}}}}}', /mips is not a field: use x86_64, arm64/],
    ['{"regions":{"moon":{}}}', /moon is not a region name/],
    ['{"regions":{},"currency":"EUR"}', /\$\.currency is not a field/],
    ['{"date":"yesterday","regions":{}}', /\$\.date must be YYYY-MM-DD/],
    ['{}', /\$\.regions must be an object/],
  ];
  for (const [text, message] of bad) {
    assert.throws(() => parsePrices(text), (err: unknown) => err instanceof PriceFileError && message.test(err.message) && !err.message.includes('\n'), text);
  }
});
