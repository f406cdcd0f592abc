import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimHost, conflicts, type HostClaim } from './host-claims.ts';
import { until } from '../../test/support/until.ts';

const base = { dataDir: '/d/agent', runDir: '/run/berth', netns: 1, bridge: 'berth0', vpcBridge: 'berth-vpc0', nftTable: 'berth', netnsPrefix: 'berth-' };
const other: HostClaim = { ...base, pid: 42, startTime: '1', dataDir: '/d/hosts/host-2', runDir: '/run/berth-hosts/host-2', netns: 2, bridge: 'berth-h2', vpcBridge: 'berth-vpc-h2', nftTable: 'berth_h2', netnsPrefix: 'bh2-' };

test('agents with their own dirs, names and prefixes do not conflict', () => {
  assert.deepEqual(conflicts(base, other), []);
  // The same bridge names in another network namespace are another bridge.
  assert.deepEqual(conflicts({ ...base, netnsPrefix: 'bh3-', dataDir: '/e', runDir: '/r' }, { ...other, bridge: 'berth0', vpcBridge: 'berth-vpc0', nftTable: 'berth' }), []);
});

test('each shared thing is named with the option that changes it', () => {
  const same: HostClaim = { ...base, pid: 42, startTime: '1' };
  const found = conflicts(base, same);
  assert.equal(found.length, 6);
  assert.match(found.join('\n'), /data dir \/d\/agent is used by the agent with pid 42: pass another --data-dir/);
  assert.match(found.join('\n'), /run dir \/run\/berth .*--run-dir/);
  assert.match(found.join('\n'), /bridge berth0 .*in this network namespace/);
  assert.match(found.join('\n'), /bridge berth-vpc0 /);
  assert.match(found.join('\n'), /nft table berth .*--nft-table/);
  assert.match(found.join('\n'), /task namespaces \/run\/netns\/berth-\* would mix/);
  // A prefix that starts another's is shared too: the shorter one's sweep takes the other's.
  const nested = conflicts({ ...base, dataDir: '/x', runDir: '/y', netns: 9, netnsPrefix: 'bh2-x-' }, other);
  assert.equal(nested.length, 1);
  assert.match(nested[0]!, /\/run\/netns\/bh2-x-\* would mix with the agent with pid 42's \/run\/netns\/bh2-\*/);
});

test('a live claim refuses, a dead one (exited, or a zombie) is swept, and release frees it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-claims-'));
  try {
    // A live process that is not this one holds the claim.
    const child = spawn('sleep', ['30']);
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
    writeFileSync(join(dir, 'live.json'), JSON.stringify({ ...base, pid: child.pid, startTime }));
    writeFileSync(join(dir, 'dead.json'), JSON.stringify({ ...other, pid: child.pid, startTime: 'not-its-start' }));
    assert.throws(() => claimHost(base, dir), /another agent on this machine holds what this one would use: data dir \/d\/agent is used by the agent with pid \d+/);
    assert.ok(!readdirSync(dir).includes('dead.json'), 'the claim of a process that is gone is removed');
    const release = claimHost({ ...other, netnsPrefix: 'bh2-' }, dir);
    assert.equal(readdirSync(dir).length, 2);
    release();
    assert.deepEqual(readdirSync(dir), ['live.json']);
    // An agent that exited but was not reaped yet (a zombie) holds nothing: the background
    // `sleep 30`, killed here, is left unreaped by its parent, which became `sleep 30` too. (It
    // is killed when the test says so, not after a fixed time a loaded machine may not keep.)
    const parent = spawn('sh', ['-c', 'sleep 30 & echo $!; exec sleep 30']);
    const pid = Number(await new Promise<string>((r) => parent.stdout.once('data', (d: Buffer) => r(d.toString()))));
    const zombieStart = readFileSync(`/proc/${pid}/stat`, 'utf8');
    writeFileSync(join(dir, 'live.json'), JSON.stringify({ ...base, pid, startTime: zombieStart.slice(zombieStart.lastIndexOf(')') + 2).split(' ')[19] }));
    assert.throws(() => claimHost(base, dir), /is used by the agent with pid/, 'refused while it runs');
    process.kill(pid, 'SIGKILL');
    await until('a zombie now', async () => /\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')) || undefined, 60_000, 20);
    const again = claimHost(base, dir);
    assert.ok(!readdirSync(dir).includes('live.json'), "the zombie's claim is swept");
    again();
    parent.kill();
    child.kill();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
