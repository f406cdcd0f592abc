import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { COMMANDS_PER_SHELL, Launcher, LauncherLostError, LaunchTimeoutError, shellQuote } from './launcher.ts';

const scratch = mkdtempSync(join(tmpdir(), 'launcher-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function newLauncher(commandsPerShell?: number): { l: Launcher; dir: string } {
  const dir = mkdtempSync(join(scratch, 'l-'));
  return { l: new Launcher(dir, commandsPerShell !== undefined ? { commandsPerShell } : {}), dir };
}

describe('launcher', () => {
  it('runs a command and answers its exit code, stdout and stderr', async () => {
    const { l } = newLauncher();
    const r = await l.run('sh', ['-c', 'echo out; echo err >&2; exit 7']);
    assert.deepEqual(r, { code: 7, stdout: 'out\n', stderr: 'err\n' });
  });

  it('passes every argument as one word, quotes, newlines and all', async () => {
    const { l } = newLauncher();
    const args = ["it's", 'two words', '$HOME', '`id`', 'a\nb', '', '"', '\\', '*'];
    const r = await l.run('printf', ['%s|', ...args]);
    assert.equal(r.stdout, `${args.join('|')}|`);
  });

  it('feeds input on stdin, and /dev/null when there is none', async () => {
    const { l } = newLauncher();
    assert.equal((await l.run('cat', [], { input: 'line 1\nline 2\n' })).stdout, 'line 1\nline 2\n');
    assert.equal((await l.run('cat', [])).stdout, '');
  });

  it('runs in the directory and with exactly the environment given, or PATH and what is added', async () => {
    const { l } = newLauncher();
    assert.equal((await l.run('pwd', [], { cwd: scratch })).stdout.trim(), scratch);
    const r = await l.run('/usr/bin/env', [], { env: { ONLY: 'this one', PATH: '/usr/bin:/bin' } });
    assert.deepEqual(r.stdout.trim().split('\n').sort(), ['ONLY=this one', 'PATH=/usr/bin:/bin']);
    const plain = await l.run('/usr/bin/env', [], { extraEnv: { _OCI_SYNCPIPE: '3', SPACED: "it's here" } });
    assert.deepEqual(plain.stdout.trim().split('\n').sort(), ['PATH=' + process.env.PATH, 'PWD=/', "SPACED=it's here", '_OCI_SYNCPIPE=3'],
      "by default PATH (and the PWD dash exports) alone, none of Berth's own variables, and what extraEnv adds");
    await assert.rejects(l.run('/usr/bin/env', [], { extraEnv: { 'NOT-A-NAME': 'x' } }), /not a variable name/);
    const bad = await l.run('pwd', [], { cwd: join(scratch, 'missing') });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /missing/);
  });

  it('fails with ENOENT for a command that is not installed, as spawn does', async () => {
    const { l } = newLauncher();
    await assert.rejects(l.run('no-such-tool-berth', []), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  });

  it('kills a command that outlives its timeout', async () => {
    const { l } = newLauncher();
    const t0 = Date.now();
    await assert.rejects(l.run('sleep', ['30'], { timeoutMs: 200 }), LaunchTimeoutError);
    assert.ok(Date.now() - t0 < 30_000, 'killed at its timeout, not run to its end');
  });

  it('runs many commands at once, each answered with its own output', async () => {
    const { l } = newLauncher();
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => l.run('sh', ['-c', `echo ${i}; exit ${i % 7}`])));
    results.forEach((r, i) => assert.deepEqual(r, { code: i % 7, stdout: `${i}\n`, stderr: '' }));
  });

  it('leaves no files behind', async () => {
    const { l, dir } = newLauncher();
    await l.run('cat', [], { input: 'x' });
    await l.run('false', []);
    await assert.rejects(l.run('sleep', ['5'], { timeoutMs: 50 }));
    assert.deepEqual(readdirSync(dir), []);
  });

  it('answers with the first line of fd 3 for a command that keeps running (conmon\'s sync pipe)', async () => {
    const { l } = newLauncher();
    const errFile = join(scratch, 'monitor.err');
    // Reports on fd 3, then goes on in the background as a daemonised monitor would.
    // The background process outlives any answer that waited for it (a bound of its length, not a speed).
    const script = 'echo \'{"data": 42}\' >&3; echo noise; echo complaint >&2; (sleep 30 &) ; exit 0';
    const t0 = Date.now();
    const r = await l.run('sh', ['-c', script], { resultFd: 3, stderrFile: errFile });
    assert.equal(r.stdout, '{"data": 42}\n');
    assert.equal(readFileSync(errFile, 'utf8'), 'complaint\n');
    assert.ok(Date.now() - t0 < 30_000, 'does not wait for the background process');
  });

  it('starts a fresh shell after its quota of commands, and answers across the change', async () => {
    const { l } = newLauncher(10);
    const results = await Promise.all(Array.from({ length: 35 }, (_, i) => l.run('sh', ['-c', `echo ${i}`])));
    results.forEach((r, i) => assert.equal(r.stdout, `${i}\n`));
    assert.equal(l.shellsStarted, 4);
    assert.ok(COMMANDS_PER_SHELL >= 1_000, 'the default quota keeps shells long-lived');
  });

  it('fails the commands under way when the shell is killed, and the next command gets a new shell', async () => {
    const { l } = newLauncher();
    await l.run('true', []);
    const shellPid = l.shellPid!;
    const slow = l.run('sleep', ['1']);
    process.kill(shellPid, 'SIGKILL');
    // The command itself still finishes and answers: its subshell holds the pipe.
    const r = await slow.catch((e: unknown) => e);
    assert.ok((r as { code?: number }).code === 0 || r instanceof LauncherLostError);
    assert.equal((await l.run('echo', ['again'])).stdout, 'again\n');
    assert.notEqual(l.shellPid, shellPid);
  });
});

describe('shellQuote', () => {
  it('leaves plain words alone and single-quotes the rest', () => {
    assert.equal(shellQuote('/usr/sbin/ip'), '/usr/sbin/ip');
    assert.equal(shellQuote('a b'), "'a b'");
    assert.equal(shellQuote("it's"), "'it'\\''s'");
    assert.equal(shellQuote(''), "''");
  });
});

describe('launcher shell upkeep', () => {
  it('leaves no zombies once nothing is under way', async () => {
    const { l } = newLauncher();
    await l.run('true', []);
    const shellPid = l.shellPid!;
    await Promise.all(Array.from({ length: 20 }, () => l.run('true', [])));
    await new Promise((r) => setTimeout(r, 200));
    const children = readFileSync(`/proc/${shellPid}/task/${shellPid}/children`, 'utf8').trim();
    assert.equal(children, '', `the shell still has children: ${children}`);
  });
});
