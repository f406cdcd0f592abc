import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { keyValues, readStats } from './stats-reader.ts';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'stats-reader-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}
const PROC_STAT = 'cpu  100 0 50 1000 10 0 0 0 0 0\ncpu0 50 0 25 500 5 0 0 0 0 0\n';
const NET = { 'net/bthb2/statistics/rx_bytes': '700\n', 'net/bthb2/statistics/tx_bytes': '1200\n', 'net/bthb2/statistics/rx_packets': '7\n', 'net/bthb2/statistics/tx_packets': '12\n' };

test('cgroup v1 (this host\'s hybrid layout): cpuacct, cpu throttling, memory, pids, blkio; the veth turned round', (t) => {
  const p = '/berth/t1/app';
  const root = tree({
    'cg/memory/.keep': '',
    [`cg/cpuacct${p}/cpuacct.usage`]: '123456789\n',
    [`cg/cpuacct${p}/cpuacct.usage_percpu`]: '100000000 23456789 \n',
    [`cg/cpuacct${p}/cpuacct.stat`]: 'user 7\nsystem 3\n',
    [`cg/cpu${p}/cpu.stat`]: 'nr_periods 4\nnr_throttled 1\nthrottled_time 999\n',
    [`cg/memory${p}/memory.usage_in_bytes`]: '4096000\n',
    [`cg/memory${p}/memory.max_usage_in_bytes`]: '5000000\n',
    [`cg/memory${p}/memory.limit_in_bytes`]: '67108864\n',
    [`cg/memory${p}/memory.stat`]: 'cache 100\nrss 200\n',
    [`cg/pids${p}/pids.current`]: '2\n',
    [`cg/blkio${p}/blkio.throttle.io_service_bytes`]: '8:0 Read 4096\n8:0 Write 512\n8:0 Total 4608\nTotal 4608\n',
    [`cg/blkio${p}/blkio.throttle.io_serviced`]: '8:0 Read 2\n8:0 Write 1\n',
    'proc/stat': PROC_STAT,
    ...Object.fromEntries(Object.entries(NET).map(([k, v]) => [`sys/${k}`, v])),
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const s = readStats(p, 'bthb2', 42, { cgroupRoot: join(root, 'cg'), proc: join(root, 'proc'), sysNet: join(root, 'sys/net') });
  assert.equal(s.at, 42);
  assert.deepEqual({ ...s.cpu, onlineCpus: 0 }, {
    totalNs: 123456789, userNs: 70_000_000, kernelNs: 30_000_000, perCpuNs: [100000000, 23456789],
    periods: 4, throttledPeriods: 1, throttledNs: 999, systemNs: 1160 * 1e7, onlineCpus: 0,
  });
  assert.deepEqual(s.memory, { usage: 4096000, maxUsage: 5000000, limit: 67108864, stats: { cache: 100, rss: 200 } });
  assert.equal(s.pids, 2);
  assert.deepEqual(s.blkio, [{ major: 8, minor: 0, readBytes: 4096, writeBytes: 512, reads: 2, writes: 1 }]);
  assert.deepEqual([s.network?.rxBytes, s.network?.txBytes, s.network?.rxPackets, s.network?.txPackets], [1200, 700, 12, 7], 'what the host end sent, the container received');
});

test('cgroup v2: cpu.stat, memory.current/peak/max, io.stat; "max" is the host\'s memory', (t) => {
  const p = '/berth/t1';
  const root = tree({
    'cg/cgroup.controllers': 'cpu memory io pids\n',
    [`cg${p}/cpu.stat`]: 'usage_usec 2000\nuser_usec 1500\nsystem_usec 500\nnr_periods 3\nnr_throttled 0\nthrottled_usec 0\n',
    [`cg${p}/memory.current`]: '8192\n',
    [`cg${p}/memory.peak`]: '16384\n',
    [`cg${p}/memory.max`]: 'max\n',
    [`cg${p}/memory.stat`]: 'anon 4096\nfile 4096\n',
    [`cg${p}/io.stat`]: '8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n',
    'proc/stat': PROC_STAT,
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const s = readStats(p, undefined, 1, { cgroupRoot: join(root, 'cg'), proc: join(root, 'proc'), sysNet: join(root, 'sys/net') });
  assert.deepEqual([s.cpu.totalNs, s.cpu.userNs, s.cpu.kernelNs, s.cpu.perCpuNs], [2_000_000, 1_500_000, 500_000, undefined]);
  assert.deepEqual(s.memory, { usage: 8192, maxUsage: 16384, limit: totalmem(), stats: { anon: 4096, file: 4096 } });
  assert.deepEqual(s.blkio, [{ major: 8, minor: 0, readBytes: 100, writeBytes: 200, reads: 1, writes: 2 }]);
  assert.equal(s.network, undefined);
});

test('a cgroup that is gone reads as zeros, not an error', () => {
  const s = readStats('/berth/none', undefined, 1, { cgroupRoot: '/nonexistent', proc: '/nonexistent', sysNet: '/nonexistent' });
  assert.deepEqual([s.cpu.totalNs, s.memory.usage, s.blkio], [0, 0, []]);
  assert.deepEqual(keyValues('a 1\nb x\n\nc 3'), { a: 1, c: 3 });
});
