// A container's wait when `runsc wait` fails while its sandbox still lives: the OOM
// killer's victim (the Sentry) drops runsc's connection at once but takes a while to
// exit. The wait asks again rather than giving up, which had left such a task RUNNING for
// good. A fake runsc (a shell script) stands in: no root, no sandbox.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GvisorBackend } from './gvisor.ts';
import type { SandboxTask } from './types.ts';

/** A runsc whose `state` says running (this test's own pid: a live process) and whose `wait` fails `failures` times, then answers 137. */
function fakeRunsc(dir: string, failures: number): { binary: string; waits: () => number } {
  const counter = join(dir, 'waits');
  const binary = join(dir, 'runsc');
  writeFileSync(binary, `#!/bin/sh
case "$3" in
  state) echo '{"status":"running","pid":${process.pid}}' ;;
  wait)
    n=$(cat ${counter} 2>/dev/null || echo 0); echo $((n + 1)) > ${counter}
    if [ "$n" -lt ${failures} ]; then echo 'urpc: connection reset by peer' >&2; exit 1; fi
    echo '{"exitStatus":137}' ;;
esac
`);
  chmodSync(binary, 0o755);
  return { binary, waits: () => Number(readFileSync(counter, 'utf8')) };
}

/** A task with one running member, found again through reattach, over the fake runsc. */
async function runningMember(t: { after: (fn: () => void) => void }, failures: number) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-gvisor-wait-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const runsc = fakeRunsc(dir, failures);
  const task: SandboxTask = { taskId: 'tw', dir: join(dir, 'task'), cgroupPath: '/berth-test-none/tw', ephemeralStorageGiB: 20, hostname: 'h' };
  mkdirSync(join(task.dir, 'sandbox'), { recursive: true });
  writeFileSync(join(task.dir, 'sandbox', 'sandbox.json'), JSON.stringify(task));
  const stateDir = join(task.dir, 'containers', 'c');
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(join(stateDir, 'member.json'), JSON.stringify({
    id: 'tw-c', sandbox: 'tw-sandbox', stopSignal: 'SIGTERM', cgroupsPath: '/berth-test-none/tw/c', taskCgroup: task.cgroupPath,
    logPath: join(dir, 'c.log'), ephemeralDir: join(dir, 'ephemeral'),
  }));
  const backend = new GvisorBackend({ runsc: { binary: runsc.binary, root: join(dir, 'root'), platform: 'systrap', unshare: '/bin/false' }, runDir: dir, pauseBinary: '/bin/false' });
  const found = (await backend.reattach(task, ['c']))?.found.get('c');
  assert.equal(found?.state, 'running');
  return { container: found.container, waits: runsc.waits };
}

test('a failed runsc wait on a live sandbox is asked again until it answers', async (t) => {
  const m = await runningMember(t, 3);
  assert.equal((await m.container.wait(10_000))?.exitCode, 137);
  assert.equal(m.waits(), 4, 'three failures, then the answer');
});

test('a wait that keeps failing on a live sandbox still ends at its timeout', async (t) => {
  const m = await runningMember(t, 1_000);
  // Asked until its failures ran out, it would answer 137: no answer is the timeout ending it.
  assert.equal(await m.container.wait(1_000), undefined, 'the timeout bounds the asking');
  assert.ok(m.waits() >= 2 && m.waits() <= 1_000, `asked more than once, and stopped before the answer (${m.waits()})`);
});
