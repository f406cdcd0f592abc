// Touches the host: run under flock /tmp/berth-host.lock (bin/test runs host tests one at a time).
// One container under conmon, with crun and with runc: logs, exit codes, OOM, stop with
// and without an init, read-only rootfs, env/cwd/user, ulimits, exec, stats, cleanup.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Container, findRuntime, type CreateOptions, type OciRuntime, type RuntimeName } from '../src/runtime/container/index.ts';
import { readHostFacts } from '../src/runtime/container/host-facts.ts';
import { hierarchies } from '../src/runtime/container/cgroups.ts';
import { RuntimeCommandError } from '../src/runtime/container/errors.ts';
import { useRuntimeFixture } from '../src/runtime/container/testing/fixtures.ts';
import type { TestImageName } from '../test/fixtures/images/build.ts';

const isRoot = process.getuid?.() === 0;
/** Long enough for a container that exits at once; a hang fails the test instead of the suite. */
const EXIT_WAIT_MS = 10_000;
/** The stop timeout of the "ignores SIGTERM" test: short, the point is that SIGKILL follows it. */
const SHORT_STOP_TIMEOUT_SECONDS = 1;
/** A stop timeout no SIGTERM-forwarding stop should reach: reaching it would mean SIGKILL. */
const LONG_STOP_TIMEOUT_SECONDS = 30;

const fixture = useRuntimeFixture('berth-test-rt', isRoot);

test('BERTH_RUNTIME picks the runtime; crun on this hybrid host creates with cgroup2 hidden', { skip: !isRoot && 'needs root' }, async () => {
  const saved = process.env.BERTH_RUNTIME;
  try {
    process.env.BERTH_RUNTIME = 'runc';
    assert.equal((await findRuntime({ runDir: fixture().runDir })).name, 'runc');
    process.env.BERTH_RUNTIME = 'kata';
    await assert.rejects(findRuntime({ runDir: fixture().runDir }), /BERTH_RUNTIME=kata: use crun or runc/);
    delete process.env.BERTH_RUNTIME;
    const preferred = await findRuntime({ runDir: fixture().runDir });
    assert.equal(preferred.name, 'crun');
    const hybrid = existsSync('/sys/fs/cgroup/unified/cgroup.controllers') && readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8').trim() !== '';
    assert.equal(preferred.createCommand.some((a) => a.includes(' /sys/fs/cgroup/unified 2>/dev/null; exec ')), hybrid);
  } finally {
    if (saved === undefined) delete process.env.BERTH_RUNTIME;
    else process.env.BERTH_RUNTIME = saved;
  }
});

for (const runtimeName of ['crun', 'runc'] as const satisfies readonly RuntimeName[]) {
  describe(`${runtimeName}`, { skip: !isRoot && 'containers need root' }, () => {
    let rt: OciRuntime;
    before(async () => {
      rt = await findRuntime({ runDir: fixture().runDir, prefer: runtimeName });
    });

    /** Creates and starts a container of `image`, deleting it (and checking its cleanup) after the test. */
    async function run(t: { after: (fn: () => Promise<void>) => void }, name: string, image: TestImageName, definition: CreateOptions['definition'], extra: Partial<CreateOptions> = {}): Promise<Container> {
      const { rootfs, config } = await fixture().rootfs(image);
      const c = await Container.create(fixture().options(name, { rootfsPath: rootfs, image: config, definition, ...extra }, rt));
      t.after(async () => {
        await c.delete();
        assert.equal(existsSync(c.stateDir), false, 'state dir removed');
        for (const h of hierarchies()) assert.equal(existsSync(join(h, c.record.cgroupsPath, '..')), false, `task cgroup gone in ${h}`);
        assert.equal(c.conmonPid(), undefined, 'conmon gone');
      });
      await c.start();
      return c;
    }
    const log = (c: Container) => readFileSync(c.record.logPath, 'utf8');

    test('echo: stdout and stderr land in the k8s-file log; exit 0', async (t) => {
      const c = await run(t, 'echo', 'busybox', { command: ['sh', '-c', 'echo to-stdout; echo to-stderr >&2'] });
      assert.deepEqual(await c.wait(EXIT_WAIT_MS), { exitCode: 0, oomKilled: false });
      assert.match(log(c), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+[+-]\d\d:\d\d stdout F to-stdout$/m);
      assert.match(log(c), / stderr F to-stderr$/m);
    });

    test('the exit code is the process\'s: 7', async (t) => {
      const c = await run(t, 'exit7', 'exit-with', { command: ['7'] });
      assert.deepEqual(await c.wait(EXIT_WAIT_MS), { exitCode: 7, oomKilled: false });
      assert.match(log(c), /exit-with: exiting with 7/);
    });

    test('over its 16 MiB memory limit the container is OOM-killed: 137, oomKilled, SIGKILL', async (t) => {
      const c = await run(t, 'oom', 'memhog', { memory: 16, command: ['64'] });
      assert.deepEqual(await c.wait(EXIT_WAIT_MS), { exitCode: 137, oomKilled: true, signal: 'SIGKILL' });
    });

    test('stop: sleep as PID 1 ignores SIGTERM, so SIGKILL follows after the timeout', async (t) => {
      const c = await run(t, 'sleeper', 'sleep', {});
      // A second start finds nobody waiting on the exec FIFO (crun) and says so in the runtime's words.
      await assert.rejects(c.start(), (e: Error) => e instanceof RuntimeCommandError && /start/.test(e.message), 'a running container cannot be started again');
      const started = performance.now();
      const status = await c.stop(SHORT_STOP_TIMEOUT_SECONDS);
      const seconds = (performance.now() - started) / 1000;
      assert.deepEqual(status, { exitCode: 137, oomKilled: false, signal: 'SIGKILL' });
      // SIGKILL (the status) came after the timeout, not before it.
      assert.ok(seconds >= SHORT_STOP_TIMEOUT_SECONDS, `stopped after ${seconds.toFixed(2)} s`);
    });

    test('stop with initProcessEnabled: the init forwards SIGTERM and the container exits at once', async (t) => {
      const c = await run(t, 'init', 'sleep', { linuxParameters: { initProcessEnabled: true } });
      // catatonit blocks signals, then forks the command: once it has a child, SIGTERM is forwarded.
      // Sent earlier (a busy machine), it would reach a PID 1 with no handler yet and be ignored.
      const children = `/proc/${c.pid}/task/${c.pid}/children`;
      for (const deadline = Date.now() + 10_000; readFileSync(children, 'utf8').trim() === '' && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 10));
      const started = performance.now();
      const status = await c.stop(LONG_STOP_TIMEOUT_SECONDS);
      const seconds = (performance.now() - started) / 1000;
      // Ended by SIGTERM (143, not SIGKILL's 137), so before the timeout.
      assert.equal(status.exitCode, 143, JSON.stringify(status));
      assert.equal(status.signal, 'SIGTERM');
      assert.ok(seconds < LONG_STOP_TIMEOUT_SECONDS, `stopped after ${seconds.toFixed(2)} s`);
    });

    test('readonlyRootFilesystem refuses writes to the rootfs', async (t) => {
      const c = await run(t, 'ro', 'busybox', { readonlyRootFilesystem: true, command: ['sh', '-c', 'touch /made-here && echo wrote; touch /dev/shm/ok && echo shm-ok'] });
      assert.equal((await c.wait(EXIT_WAIT_MS))?.exitCode, 0);
      assert.match(log(c), /Read-only file system/);
      assert.doesNotMatch(log(c), /wrote/);
      assert.match(log(c), /shm-ok/, '/dev/shm stays writable');
    });

    test('environment, workingDirectory and user are applied', async (t) => {
      const c = await run(t, 'env', 'busybox', {
        environment: [{ name: 'GREETING', value: 'hello world' }],
        workingDirectory: '/tmp',
        user: 'nobody',
        hostname: 'env-test',
        command: ['sh', '-c', 'echo "greeting=$GREETING cwd=$(pwd) uid=$(id -u) gid=$(id -g) host=$(hostname) home=$HOME"'],
      });
      assert.equal((await c.wait(EXIT_WAIT_MS))?.exitCode, 0);
      assert.match(log(c), /greeting=hello world cwd=\/tmp uid=65534 gid=65534 host=env-test home=\/nonexistent/);
    });

    test('ulimits above the agent\'s own hard limit are clamped to it, not refused', async (t) => {
      const hard = readHostFacts().rlimits.RLIMIT_NOFILE?.hard ?? Infinity;
      assert.ok(Number.isFinite(hard) && hard < 1_000_000, `this test needs a finite agent nofile hard limit, got ${hard}`);
      const c = await run(t, 'ulimit', 'busybox', { ulimits: [{ name: 'nofile', softLimit: 1024, hardLimit: 1_000_000 }], command: ['sh', '-c', 'echo "soft=$(ulimit -n) hard=$(ulimit -Hn)"'] });
      assert.equal((await c.wait(EXIT_WAIT_MS))?.exitCode, 0);
      assert.match(log(c), new RegExp(`soft=1024 hard=${hard}`));
      assert.match(c.warnings.join('\n'), /RLIMIT_NOFILE lowered/);
    });

    test('exec: runs in the container with its environment; exit codes; a timeout kills the command', async (t) => {
      const c = await run(t, 'exec', 'sleep', { environment: [{ name: 'FROM_DEF', value: 'yes' }] });
      const r = await c.exec(['sh', '-c', 'echo "$FROM_DEF $EXTRA"; cat /proc/1/cmdline | tr "\\0" " "; echo err >&2'], { env: ['EXTRA=added'] });
      assert.deepEqual(r, { exitCode: 0, stdout: 'yes added\nsleep 3600 ', stderr: 'err\n', timedOut: false });
      assert.equal((await c.exec(['sh', '-c', 'exit 3'])).exitCode, 3);
      assert.equal((await c.exec(['id', '-u'], { user: '65534' })).stdout, '65534\n');
      const started = performance.now();
      const slow = await c.exec(['sleep', '30'], { timeoutMs: 300 });
      assert.equal(slow.timedOut, true);
      assert.equal(slow.exitCode, 137);
      assert.ok(performance.now() - started < 30_000, 'killed at its timeout, not run to its end');
      assert.doesNotMatch((await c.exec(['ps'])).stdout, /sleep 30/, 'the timed-out command is gone');
      const stats = c.stats();
      assert.ok((stats.memoryBytes ?? 0) > 0 && (stats.pids ?? 0) >= 1, JSON.stringify(stats));
    });

    test('mounts and /etc: a read-only bind, a sized tmpfs, /dev/shm from sharedMemorySize, extraHosts and DNS', async (t) => {
      const volume = mkdtempSync(join(fixture().work, 'volume-'));
      writeFileSync(join(volume, 'file'), 'from the host\n');
      const c = await run(t, 'mounts', 'busybox', {
        linuxParameters: { sharedMemorySize: 8, tmpfs: [{ containerPath: '/scratch', size: 2, mountOptions: ['noexec'] }] },
        extraHosts: [{ hostname: 'db.internal', ipAddress: '10.1.2.3' }],
        dnsServers: ['10.0.0.2'],
        command: ['sh', '-c', [
          'cat /data/file',
          'touch /data/new 2>/dev/null && echo data=writable || echo data=read-only',
          'echo "scratch=$(df -k /scratch | tail -1 | awk \'{print $2}\') shm=$(df -k /dev/shm | tail -1 | awk \'{print $2}\')"',
          'grep db.internal /etc/hosts; grep -c localhost /etc/hosts; cat /etc/resolv.conf',
        ].join('; ')],
      }, { mounts: [{ source: volume, destination: '/data', readOnly: true }] });
      assert.equal((await c.wait(EXIT_WAIT_MS))?.exitCode, 0);
      const out = log(c);
      assert.match(out, /F from the host$/m);
      assert.match(out, /F data=read-only$/m);
      assert.match(out, /F scratch=2048 shm=8192$/m);
      assert.match(out, /F 10\.1\.2\.3\tdb\.internal$/m);
      assert.match(out, /F nameserver 10\.0\.0\.2$/m);
    });

    test('containers of one task share its cgroup; it goes with the last of them', async () => {
      const { rootfs, config } = await fixture().rootfs('sleep');
      const task = `${fixture().cgroupParent}/task-shared`;
      const a = await Container.create(fixture().options('share-a', { rootfsPath: rootfs, image: config, definition: {}, cgroupsPath: `${task}/a` }, rt));
      const b = await Container.create(fixture().options('share-b', { rootfsPath: rootfs, image: config, definition: {}, cgroupsPath: `${task}/b` }, rt));
      try {
        await a.start();
        await b.start();
        await a.delete();
        assert.equal(existsSync(join('/sys/fs/cgroup/memory', task)), true, 'kept while b runs');
        assert.equal(existsSync(join('/sys/fs/cgroup/memory', task, 'a')), false);
      } finally {
        await a.delete();
        await b.delete();
      }
      for (const h of hierarchies()) assert.equal(existsSync(join(h, task)), false, `${h}${task} removed`);
    });

    test('a create that fails reports the runtime\'s reason and leaves nothing behind', async () => {
      const { rootfs, config } = await fixture().rootfs('busybox');
      const o = fixture().options('bad', { rootfsPath: rootfs, image: config, definition: { command: ['/no/such/binary'] } }, rt);
      // The binary is looked up at start (runc) or create (crun); either way it must fail cleanly.
      let c: Container | undefined;
      try {
        c = await Container.create(o);
        await assert.rejects(c.start());
      } catch (e) {
        assert.match(String(e), /no such file|not found|executable/i);
      } finally {
        await c?.delete();
      }
      assert.equal(existsSync(o.stateDir), false);
    });
  });
}
