// A Fargate task's boundary on the host: two containers in one gVisor sandbox (runsc).
// Its own kernel (uname -r differs from the host's), one network namespace (the
// containers reach each other on localhost, the task's IP answers from the host), the
// task's memory limit on the whole sandbox (past it: 137, OOM), its ephemeral storage
// bounding what the containers write (ENOSPC), stop's SIGTERM then
// SIGKILL after the timeout, and nothing left behind (sandbox, netns, mounts, cgroups).
// Run under `flock /tmp/berth-host.lock`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from '../src/lib/executables.ts';
import { useRuntimeFixture } from '../src/runtime/container/testing/fixtures.ts';
import type { CreateOptions } from '../src/runtime/container/index.ts';
import { GvisorBackend } from '../src/runtime/sandbox/gvisor.ts';
import { detectIsolation } from '../src/runtime/sandbox/detect.ts';
import { shiftedRootfs, USERNS_BACKEND } from '../src/runtime/sandbox/userns.ts';
import { findRuntime } from '../src/runtime/container/index.ts';
import { statSync } from 'node:fs';
import type { SandboxTask, TaskContainer, TaskSandbox } from '../src/runtime/sandbox/types.ts';

const isRoot = process.getuid?.() === 0;
const runscBinary = findExecutable('runsc');
const skip = !isRoot ? 'sandboxes need root' : !runscBinary ? 'runsc is not installed (scripts/backports-packages.txt)' : false;
/** A container's whole life here takes a second or two under load; this bounds a hang. */
const EXIT_WAIT_MS = 20_000;
const NS = `bgv${process.pid % 100000}`;
const HOST_IP = '10.253.77.1';
const TASK_IP = '10.253.77.2';

const fixture = useRuntimeFixture('berth-test-gv', isRoot && !!runscBinary);
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });

/** The task's awsvpc-style namespace: eth0 with the task's IP, its host end addressed. */
function makeNetns(): void {
  ip('netns', 'add', NS);
  ip('link', 'add', `${NS}h`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', NS);
  ip('addr', 'add', `${HOST_IP}/24`, 'dev', `${NS}h`);
  ip('link', 'set', `${NS}h`, 'up');
  ip('-n', NS, 'addr', 'add', `${TASK_IP}/24`, 'dev', 'eth0');
  ip('-n', NS, 'link', 'set', 'eth0', 'up');
  ip('-n', NS, 'link', 'set', 'lo', 'up');
  ip('-n', NS, 'route', 'add', 'default', 'via', HOST_IP);
}

function removeNetns(): void {
  try { ip('netns', 'del', NS); } catch { /* not there */ }
  try { ip('link', 'del', `${NS}h`); } catch { /* went with the namespace */ }
}

const logText = (c: CreateOptions) => (existsSync(c.logPath) ? readFileSync(c.logPath, 'utf8') : '');

describe('gVisor sandbox: a two-container task', { skip }, () => {
  let backend: GvisorBackend;
  let task: SandboxTask;
  let sandbox: TaskSandbox | undefined;
  const made: TaskContainer[] = [];

  before(() => {
    removeNetns();
    makeNetns();
    backend = new GvisorBackend({
      runsc: { binary: runscBinary!, root: join(fixture().runDir, 'runsc'), platform: 'systrap', unshare: findExecutable('unshare')! },
      runDir: fixture().runDir,
      pauseBinary: '/usr/bin/catatonit',
    });
    task = {
      taskId: `gv${process.pid}`, dir: join(fixture().work, 'task'), cgroupPath: `${fixture().cgroupParent}/task`,
      netnsPath: `/run/netns/${NS}`, cpuUnits: 512, memoryMiB: 160, ephemeralStorageGiB: 1, hostname: 'ip-10-253-77-2',
    };
  });

  after(async () => {
    for (const c of made) await c.delete().catch((e: unknown) => console.error(`delete: ${String(e)}`));
    await sandbox?.destroy().catch((e: unknown) => console.error(`destroy: ${String(e)}`));
    removeNetns();
    // The fixture checks cgroups and mounts; the sandbox's own processes (sandbox, file proxies) too:
    const left = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(join(fixture().runDir, 'runsc')));
    assert.deepEqual(left, [], 'no runsc process left');
    assert.equal(existsSync(`/run/netns/${NS}`), false);
  });

  async function member(name: string, command: string[], extra: Partial<CreateOptions['definition']> = {}): Promise<{ c: TaskContainer; o: CreateOptions }> {
    const { rootfs, config } = await fixture().rootfs('busybox', name);
    const o: CreateOptions = {
      id: `${task.taskId}-${name}`, stateDir: join(task.dir, 'containers', name), runtime: undefined as never,
      cgroupParent: fixture().cgroupParent, cgroupsPath: `${task.cgroupPath}/${name}`,
      logPath: join(task.dir, 'logs', `${name}.log`), rootfsPath: rootfs, image: config,
      definition: { command, ...extra }, network: { mode: 'namespace', path: task.netnsPath!, addresses: [TASK_IP] },
      defaultHostname: task.hostname,
    };
    const c = await sandbox!.createContainer(o);
    made.push(c);
    return { c, o };
  }

  test('the sandbox: its own kernel, localhost between containers, the task IP from the host, stop and OOM', async () => {
    sandbox = await backend.open(task);
    assert.equal(sandbox.isolation, 'gvisor');
    // The task's limits are on its cgroup, the sandbox's.
    assert.equal(readFileSync(`/sys/fs/cgroup/memory${task.cgroupPath}/memory.limit_in_bytes`, 'utf8').trim(), String(160 * 1024 * 1024));
    // Its CPU quota once its first container runs (the sandbox's boot is not the task's CPU).
    assert.equal(readFileSync(`/sys/fs/cgroup/cpu${task.cgroupPath}/cpu.cfs_quota_us`, 'utf8').trim(), '-1');

    const web = await member('web', ['sh', '-c', 'mkdir -p /www && uname -r > /www/index.html && exec httpd -f -p 8080 -h /www']);
    await web.c.start();
    assert.equal(readFileSync(`/sys/fs/cgroup/cpu${task.cgroupPath}/cpu.cfs_quota_us`, 'utf8').trim(), '50000');
    const client = await member('client', ['sh', '-c', 'sleep 1; printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc 127.0.0.1 8080']);
    await client.c.start();
    const clientExit = await client.c.wait(EXIT_WAIT_MS);
    assert.equal(clientExit?.exitCode, 0, logText(client.o));
    const kernel = logText(client.o).trim().split('\n').pop()!.trim();
    assert.ok(/^\d+\.\d+/.test(kernel), `the page is the sandbox's uname -r: ${logText(client.o)}`);
    assert.notEqual(kernel, release(), 'the sandbox has its own kernel');
    assert.match(logText(client.o), /200 OK/, 'the client reached the web container on localhost');

    // exec (health checks, berth exec) runs in the container, inside the sandbox.
    const read = await web.c.exec(['sh', '-c', 'cat /www/index.html; echo "path=$PATH"'], { timeoutMs: 10_000 });
    assert.equal(read.exitCode, 0, read.stderr);
    assert.equal(read.stdout.split('\n')[0], kernel);
    assert.match(read.stdout, /path=\/.+/, 'the container\'s environment');

    const fromHost = await fetch(`http://${TASK_IP}:8080/`, { signal: AbortSignal.timeout(5000) });
    assert.equal(fromHost.status, 200);
    assert.equal((await fromHost.text()).trim(), kernel, 'the task IP answers from the host');

    // Stop: SIGTERM, which httpd obeys (143); a container ignoring it gets SIGKILL after the timeout (137).
    const stubborn = await member('stubborn', ['sh', '-c', 'trap "" TERM; while :; do sleep 1; done']);
    await stubborn.c.start();
    assert.equal((await web.c.stop(5)).exitCode, 143);
    const t0 = Date.now();
    const killed = await stubborn.c.stop(1);
    assert.equal(killed.exitCode, 137);
    assert.equal(killed.oomKilled, false);
    assert.ok(Date.now() - t0 >= 1000, 'SIGKILL only after the stop timeout');

    // Ephemeral storage (1 GiB here): a root filesystem write past it fails with ENOSPC; the host's disk is untouched.
    const filler = await member('filler', ['sh', '-c', 'dd if=/dev/zero of=/big bs=1M count=1200 2>&1; echo "dd=$?"; rm -f /big; echo small > /after && echo "after=ok"']);
    await filler.c.start();
    assert.equal((await filler.c.wait(EXIT_WAIT_MS * 3))?.exitCode, 0, logText(filler.o));
    assert.match(logText(filler.o), /No space left on device/);
    assert.match(logText(filler.o), /dd=1/);
    assert.match(logText(filler.o), /after=ok/, 'space comes back once the file is removed');

    // Memory past the task's limit: the host's OOM killer ends the sandbox; 137, OOM.
    const hog = await member('hog', ['sh', '-c', 'dd if=/dev/zero of=/dev/null bs=400M count=1; sleep 30']);
    await hog.c.start();
    const oom = await hog.c.wait(EXIT_WAIT_MS);
    assert.equal(oom?.exitCode, 137, logText(hog.o));
    assert.equal(oom?.oomKilled, true);
  });
});

describe('gVisor sandbox: the agent killed with -9', { skip }, () => {
  test('the sandbox and its member outlive their agent; the next one finds them running, stops and removes them', async (t) => {
    const runsc = { binary: runscBinary!, root: join(fixture().runDir, 'runsc'), platform: 'systrap' as const, unshare: findExecutable('unshare')! };
    const task: SandboxTask = { taskId: `k9${process.pid}`, dir: join(fixture().work, 'k9task'), cgroupPath: `${fixture().cgroupParent}/k9task`, ephemeralStorageGiB: 1, hostname: 'h', memoryMiB: 256 };
    const { rootfs, config } = await fixture().rootfs('busybox', 'k9');
    const create = {
      id: `${task.taskId}-app`, stateDir: join(task.dir, 'containers', 'app'), cgroupParent: fixture().cgroupParent, cgroupsPath: `${task.cgroupPath}/app`,
      logPath: join(task.dir, 'logs', 'app.log'), rootfsPath: rootfs, image: config, definition: { command: ['sh', '-c', 'echo up; trap "exit 0" TERM; while :; do sleep 1; done'] },
      network: { mode: 'none' }, defaultHostname: 'h',
    };
    const agent = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', join(import.meta.dirname, 'fixtures/sandbox/start-and-hang.ts'), JSON.stringify({ runsc, runDir: fixture().runDir, task, create })], { stdio: ['ignore', 'pipe', 'inherit'] });
    const backend = new GvisorBackend({ runsc, runDir: fixture().runDir, pauseBinary: '/usr/bin/catatonit' });
    t.after(async () => {
      agent.kill('SIGKILL');
      const again = await backend.reattach(task, ['app']).catch(() => undefined);
      for (const f of again?.found.values() ?? []) await f.container.delete().catch(() => undefined);
      await again?.sandbox.destroy().catch(() => undefined);
    });
    await new Promise<void>((resolve, reject) => {
      agent.stdout.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(); });
      agent.on('exit', (code) => reject(new Error(`the stand-in agent exited ${code} before it was ready`)));
    });
    agent.kill('SIGKILL');
    await new Promise((r) => agent.once('exit', r));

    const found = await backend.reattach(task, ['app']);
    assert.ok(found, 'the task\'s sandbox is found from its files');
    const app = found.found.get('app');
    assert.equal(app?.state, 'running', 'its member runs on');
    assert.match(readFileSync(create.logPath, 'utf8'), /^up$/m);
    const exit = await app.container.stop(10);
    assert.equal(exit.exitCode, 0, 'the adopted container got the stop signal and ended on it');
    await app.container.delete();
    await found.sandbox.destroy();
    assert.equal(existsSync(join(task.dir, 'sandbox')), false);
  });
});

describe('detectIsolation', { skip }, () => {
  test('runsc runs here: Fargate tasks get gVisor; /dev/kvm is noted, not used', async () => {
    const none = await detectIsolation({ runDir: fixture().runDir, kvmDevice: '/nonexistent/kvm' });
    assert.equal(none.facts.fargate, 'gvisor');
    assert.equal(none.backend?.isolation, 'gvisor');
    assert.equal(none.facts.runsc?.platform, 'systrap');
    assert.equal(none.facts.kvm, false);
    const kvm = await detectIsolation({ runDir: fixture().runDir, kvmDevice: '/dev/null' });
    assert.equal(kvm.facts.kvm, true);
    assert.equal(kvm.facts.fargate, 'gvisor', 'KVM is reported, never chosen');
    assert.ok(kvm.facts.notes.some((n) => n.includes('/dev/kvm')));
  });
});

describe('userns fallback: a task container whose root is an unprivileged id on the host', { skip: !isRoot && 'containers need root' }, () => {
  test('root inside is 100000 outside, writes its own root filesystem, with seccomp and no-new-privileges', async (t) => {
    const rt = await findRuntime({ runDir: fixture().runDir });
    const { rootfs, config } = await fixture().rootfs('busybox', 'userns');
    const task: SandboxTask = { taskId: `un${process.pid}`, dir: join(fixture().work, 'untask'), cgroupPath: `${fixture().cgroupParent}/untask`, ephemeralStorageGiB: 20, hostname: 'h', cpuUnits: 256, memoryMiB: 128 };
    const sandbox = await USERNS_BACKEND.open(task);
    assert.equal(sandbox.isolation, 'userns');
    // The task's size on its cgroup, above its containers'.
    assert.equal(readFileSync(`/sys/fs/cgroup/memory${task.cgroupPath}/memory.limit_in_bytes`, 'utf8').trim(), String(128 * 1024 * 1024));
    assert.equal(readFileSync(`/sys/fs/cgroup/cpu${task.cgroupPath}/cpu.cfs_quota_us`, 'utf8').trim(), '25000');
    const o = fixture().options('userns', {
      rootfsPath: rootfs, image: config, stateDir: join(task.dir, 'containers', 'app'), cgroupsPath: `${task.cgroupPath}/app`,
      definition: { command: ['sh', '-c', 'echo "uid=$(id -u)"; echo "map=$(cat /proc/self/uid_map | tr -s " " | sed "s/^ //")"; echo hi > /written && echo "write=ok"; grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status | tr -d "\\t" | sed "s/:/=/"'] },
    }, rt);
    const c = await sandbox.createContainer(o);
    t.after(async () => {
      await c.delete();
      await sandbox.destroy();
    });
    await c.start();
    assert.equal((await c.wait(EXIT_WAIT_MS))?.exitCode, 0, logText(o));
    const log = logText(o);
    assert.match(log, /uid=0$/m);
    assert.match(log, /map=0 100000 65536$/m);
    assert.match(log, /write=ok$/m);
    assert.match(log, /NoNewPrivs=1$/m);
    assert.match(log, /Seccomp=2$/m);
    assert.equal(statSync(join(shiftedRootfs(o.stateDir), 'written')).uid, 100000, 'what root inside writes is 100000\'s on the host');

    // Past the task's memory: the kernel's OOM killer, counted on the task's cgroup.
    const hogOptions = fixture().options('userns-hog', {
      rootfsPath: rootfs, image: config, stateDir: join(task.dir, 'containers', 'hog'), cgroupsPath: `${task.cgroupPath}/hog`,
      definition: { command: ['sh', '-c', 'dd if=/dev/zero of=/dev/null bs=300M count=1'] },
    }, rt);
    const hog = await sandbox.createContainer(hogOptions);
    t.after(() => hog.delete());
    await hog.start();
    const oom = await hog.wait(EXIT_WAIT_MS);
    assert.equal(oom?.exitCode, 137, logText(hogOptions));
    assert.equal(oom?.oomKilled, true);
  });
});
