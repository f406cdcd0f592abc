import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerStats, type StatsSample } from './stats.ts';

/** The answer as a client reads it: JSON, walked by member names. */
type Json = Record<string, Record<string, Record<string, unknown>>>;
const stats = (...args: Parameters<typeof dockerStats>): Json => JSON.parse(JSON.stringify(dockerStats(...args))) as Json;

const sample = (at: number, over: Partial<StatsSample> = {}): StatsSample => ({
  at,
  cpu: { totalNs: 5_000_000, userNs: 3_000_000, kernelNs: 2_000_000, perCpuNs: [4_000_000, 1_000_000], systemNs: 9e12, onlineCpus: 2, periods: 10, throttledPeriods: 1, throttledNs: 500 },
  memory: { usage: 1_048_576, maxUsage: 2_097_152, limit: 67_108_864, stats: { cache: 4096, rss: 8192 } },
  pids: 3,
  blkio: [{ major: 8, minor: 0, readBytes: 4096, writeBytes: 8192, reads: 1, writes: 2 }],
  network: { name: 'eth0', rxBytes: 1000, rxPackets: 10, rxErrors: 0, rxDropped: 0, txBytes: 500, txPackets: 5, txErrors: 0, txDropped: 0 },
  ...over,
});

test('Docker\'s stats shape: read/preread, cpu and memory as the cgroup counts them, blkio per device and op, eth0', () => {
  const s = stats('abc', 'abc', sample(Date.UTC(2024, 0, 1)), undefined, true);
  assert.equal(s.read, '2024-01-01T00:00:00.000Z');
  assert.equal(s.preread, '0001-01-01T00:00:00Z', 'Docker\'s zero time when there is no earlier sample');
  assert.deepEqual(s.cpu_stats, {
    cpu_usage: { total_usage: 5_000_000, percpu_usage: [4_000_000, 1_000_000], usage_in_kernelmode: 2_000_000, usage_in_usermode: 3_000_000 },
    system_cpu_usage: 9e12, online_cpus: 2, throttling_data: { periods: 10, throttled_periods: 1, throttled_time: 500 },
  });
  assert.deepEqual((s.precpu_stats!.cpu_usage as { total_usage: number }).total_usage, 0);
  assert.deepEqual(s.memory_stats, { usage: 1_048_576, max_usage: 2_097_152, stats: { cache: 4096, rss: 8192 }, limit: 67_108_864 });
  assert.deepEqual(s.pids_stats, { current: 3 });
  assert.deepEqual(s.blkio_stats!.io_service_bytes_recursive, [{ major: 8, minor: 0, op: 'Read', value: 4096 }, { major: 8, minor: 0, op: 'Write', value: 8192 }]);
  assert.deepEqual(s.networks, { eth0: { rx_bytes: 1000, rx_packets: 10, rx_errors: 0, rx_dropped: 0, tx_bytes: 500, tx_packets: 5, tx_errors: 0, tx_dropped: 0 } });
  assert.deepEqual(s.network_rate_stats, { rx_bytes_per_sec: 0, tx_bytes_per_sec: 0 });
  assert.deepEqual([s.name, s.id], ['/abc', 'abc']);
});

test('a previous sample gives precpu_stats, preread and v4\'s network rates; v3 has no rates', () => {
  const before = sample(1_000);
  const now = sample(3_000, { network: { ...before.network!, rxBytes: 5000, txBytes: 2500 } });
  const s = stats('a', 'a', now, before, true);
  assert.equal(s.preread, new Date(1_000).toISOString());
  assert.equal((s.precpu_stats!.cpu_usage as { total_usage: number }).total_usage, 5_000_000);
  assert.deepEqual(s.network_rate_stats, { rx_bytes_per_sec: 2000, tx_bytes_per_sec: 1000 });
  assert.equal('network_rate_stats' in dockerStats('a', 'a', now, before, false), false);
});

test('no interface (host mode): no networks member', () => {
  const s = dockerStats('a', 'a', sample(1, { network: undefined }), undefined, true);
  assert.equal('networks' in s, false);
});
