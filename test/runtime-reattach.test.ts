// Touches the host: run under flock /tmp/berth-host.lock (bin/test runs host tests one at a time).
// Containers outlive their agent: a child Node process (standing in for the agent)
// starts containers under conmon and is killed with kill -9; this process then reattaches
// from the state directories alone, finds the same PID still running, stops it and gets
// its exit code, and collects the exit code of one that ended while no agent was there.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Container, findRuntime, reattach, type CreateOptions, type OciRuntime } from '../src/runtime/container/index.ts';
import { statePaths } from '../src/runtime/container/state-dir.ts';
import { waitForFile, waitForProcessExit } from '../src/runtime/container/exit-watch.ts';
import { useRuntimeFixture } from '../src/runtime/container/testing/fixtures.ts';

const isRoot = process.getuid?.() === 0;
/** The child needs a few hundred ms to import the runtime and start two containers. */
const CHILD_REPORT_TIMEOUT_MS = 20_000;
/** The second container ends this long after it starts: after the kill -9, before the reattach. */
const SHORT_LIVED_SECONDS = 0.5;
const INDEX_URL = new URL('../src/runtime/container/index.ts', import.meta.url).href;

/** The "agent": creates and starts each container, prints their pids, then waits to be killed. */
const CHILD = `
import { Container } from ${JSON.stringify(INDEX_URL)};
const options = JSON.parse(process.env.BERTH_TEST_CONTAINERS);
const pids = [];
for (const o of options) {
  const c = await Container.create(o);
  await c.start();
  pids.push(c.pid);
}
console.log(JSON.stringify(pids));
setInterval(() => {}, 1000);
`;

const fixture = useRuntimeFixture('berth-test-reattach', isRoot);

for (const runtimeName of ['crun', 'runc'] as const) {
  describe(runtimeName, { skip: !isRoot && 'containers need root' }, () => {
    let rt: OciRuntime;
    before(async () => {
      rt = await findRuntime({ runDir: fixture().runDir, prefer: runtimeName });
    });

    test('after kill -9 of the agent: the same PID runs on, is stopped with its own exit code; one that ended meanwhile is collected', async () => {
      const busybox = await fixture().rootfs('busybox');
      const exitWith = await fixture().rootfs('exit-with');
      const options: CreateOptions[] = [
        // Exits 5 on SIGTERM, so the status proves it came through conmon, not a kill.
        fixture().options('survivor', { rootfsPath: busybox.rootfs, image: busybox.config, definition: { command: ['sh', '-c', 'trap "exit 5" TERM; while :; do sleep 0.05; done'] } }, rt),
        fixture().options('ender', { rootfsPath: exitWith.rootfs, image: exitWith.config, definition: { command: ['3'], environment: [{ name: 'EXIT_DELAY', value: String(SHORT_LIVED_SECONDS) }] } }, rt),
      ];
      const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
        env: { ...process.env, BERTH_TEST_CONTAINERS: JSON.stringify(options) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const line = await once(createInterface({ input: child.stdout }), 'line', { signal: AbortSignal.timeout(CHILD_REPORT_TIMEOUT_MS) }).then(([l]) => l as string);
      const [survivorPid, enderPid] = JSON.parse(line) as number[];
      child.kill('SIGKILL');
      await once(child, 'exit');

      const survivor = await reattach(options[0]!.stateDir);
      assert.equal(survivor.state, 'running');
      assert.equal(survivor.state === 'running' && survivor.monitored, true, 'its conmon is alive');
      assert.equal(survivor.container.pid, survivorPid, 'the same process, not a restart');
      assert.deepEqual(await survivor.container.stop(10), { exitCode: 5, oomKilled: false });
      await survivor.container.delete();

      assert.ok(await waitForFile(statePaths(options[1]!.stateDir, options[1]!.id).exitFile, 10_000), 'conmon wrote the exit file with no agent around');
      const ender = await reattach(options[1]!.stateDir);
      assert.equal(ender.container.pid, enderPid);
      assert.deepEqual(ender.state === 'exited' && ender.exit, { exitCode: 3, oomKilled: false });
      await ender.container.delete();
      for (const o of options) assert.equal(existsSync(o.stateDir), false);
    });

    test('a container created but never started is found as created', async (t) => {
      const busybox = await fixture().rootfs('busybox');
      const c = await Container.create(fixture().options('unstarted', { rootfsPath: busybox.rootfs, image: busybox.config, definition: { command: ['true'] } }, rt));
      t.after(async () => {
        await c.delete();
      });
      const found = await reattach(c.stateDir);
      assert.deepEqual([found.state, found.container.pid], ['created', c.pid]);
    });

    test('if conmon itself is killed, reattach says so, and stop still ends the container (status inferred)', async (t) => {
      const busybox = await fixture().rootfs('busybox');
      const c = await Container.create(fixture().options('orphan', { rootfsPath: busybox.rootfs, image: busybox.config, definition: { command: ['sh', '-c', 'trap "exit 5" TERM; while :; do sleep 0.05; done'] } }, rt));
      t.after(async () => {
        await c.delete();
      });
      await c.start();
      const conmon = c.conmonPid();
      assert.ok(conmon !== undefined);
      process.kill(conmon, 'SIGKILL');
      await waitForProcessExit(conmon, 5_000);
      const found = await reattach(c.stateDir);
      assert.deepEqual(found.state === 'running' && [found.monitored, found.container.pid], [false, c.pid]);
      // The real status (5) dies with conmon; what is known is the signal that was sent.
      assert.deepEqual(await found.container.stop(10), { exitCode: 143, oomKilled: false, signal: 'SIGTERM', monitorLost: true });
    });
  });
}
