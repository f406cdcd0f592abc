// The command lines of several hosts that need no host changes: what `berth up --hosts`,
// `berth host` and `berth agent --host-index` refuse, and what their help says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './support/berth.ts';
import { run } from './support/run.ts';

const berth = (...args: string[]) => run(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'src/cli/main.ts'), ...args]);

test('berth up --hosts takes 1 to 16, and not with --no-agent; a refusal leaves the data dir untouched', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-mh-cli-'));
  try {
    for (const n of ['0', '17', 'two']) {
      const r = await berth('up', '--hosts', n, '--data-dir', dir);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--hosts must be a whole number from 1 to 16/);
    }
    const r = await berth('up', '--hosts', '2', '--no-agent', '--data-dir', dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--hosts runs an agent on every host: leave out --no-agent, or --hosts/);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('berth host says how it is used, and when no berth up --hosts runs there', async () => {
  for (const args of [[], ['kill'], ['ls', 'x'], ['stop', 'host-2'], ['start', 'host-2', '--agent-only']]) {
    const r = await berth('host', ...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /say 'berth host ls', 'berth host kill NAME' or 'berth host start NAME'/);
  }
  const dir = mkdtempSync(join(tmpdir(), 'berth-mh-cli-'));
  try {
    const r = await berth('host', 'ls', '--data-dir', dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`no 'berth up --hosts N' runs with the data dir ${dir}: start one, or pass its --data-dir`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('help: berth up --hosts, berth host, berth agent --host-index and its names', async () => {
  assert.match((await berth('up', '--help')).stdout, /--hosts N .*\n[\s\S]*Several hosts \(--hosts N, root\)[\s\S]*berth host kill host-2/);
  assert.match((await berth('host', '--help')).stdout, /Usage: berth host ls \| kill NAME \[--agent-only\] \| start NAME/);
  const agent = (await berth('agent', '--help')).stdout;
  for (const option of ['--run-dir', '--name', '--host-index', '--bridge', '--bridge-subnet', '--vpc-bridge', '--vpc-subnet', '--nft-table']) assert.ok(agent.includes(`  ${option} `), option);
  assert.match((await berth('--help')).stdout, /host +list, kill or start the simulated hosts/);
});

test('berth agent --host-index takes 1 to 16', async () => {
  const r = await berth('agent', '--host-index', '0', '--join', 'http://127.0.0.1:1');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--host-index must be a whole number from 1 to 16/);
});
