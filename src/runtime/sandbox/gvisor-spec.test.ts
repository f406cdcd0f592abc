import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OciSpec } from '../container/oci-spec.ts';
import { CONTAINER_TYPE_ANNOTATION, hiddenNetSysctlCommand, memberSpec, pauseSpec, runscFlags, SANDBOX_ID_ANNOTATION, sandboxId, taskCpuQuota, taskResources } from './gvisor-spec.ts';

test('the task size becomes the sandbox cgroup\'s limits: 1024 units per vCPU over a 100 ms period, MiB to bytes', () => {
  assert.deepEqual(taskResources(512, 1024).cpu, { quota: 50_000, period: 100_000, shares: 512 });
  assert.equal(taskResources(512, 1024).memory?.limit, 1024 * 1024 * 1024);
  assert.deepEqual(taskResources(4096, undefined).cpu, { quota: 400_000, period: 100_000, shares: 4096 });
  assert.equal(taskResources(undefined, undefined).cpu, undefined);
  assert.equal(taskResources(undefined, undefined).memory, undefined);
  assert.equal(taskResources(1, 1).cpu?.quota, 1000, 'the kernel\'s least quota is 1 ms');
});

test('the task\'s CPU quota, set once its first container runs: its vCPUs over a 100 ms period; none without a CPU size', () => {
  assert.deepEqual(taskCpuQuota(256), { quotaUs: 25_000, periodUs: 100_000 });
  assert.deepEqual(taskCpuQuota(2048), { quotaUs: 200_000, periodUs: 100_000 });
  assert.equal(taskCpuQuota(undefined), undefined);
  assert.equal(taskCpuQuota(0), undefined);
});

test('the pause spec holds the sandbox: annotated as the sandbox, in the task netns and cgroup, nothing but catatonit -P', () => {
  const s = pauseSpec({ taskId: 't1', cgroupPath: '/berth/t1', netnsPath: '/run/netns/x', cpuUnits: 256, memoryMiB: 512, hostname: 'ip-10-0-0-2' }, '/r');
  assert.deepEqual(s.process.args, ['/catatonit', '-P']);
  assert.equal(s.annotations?.[CONTAINER_TYPE_ANNOTATION], 'sandbox');
  assert.equal(s.annotations?.[SANDBOX_ID_ANNOTATION], sandboxId('t1'));
  assert.equal(s.linux.cgroupsPath, '/berth/t1');
  assert.deepEqual(s.linux.namespaces.filter((n) => n.type === 'network'), [{ type: 'network', path: '/run/netns/x' }]);
  assert.equal(s.linux.resources.memory?.limit, 512 * 1024 * 1024);
  assert.deepEqual(s.linux.resources.cpu, { shares: 256 }, 'the quota comes once a container runs');
  assert.deepEqual(s.root, { path: '/r', readonly: true });
  assert.deepEqual(s.process.capabilities.bounding, []);
  const alone = pauseSpec({ taskId: 't1', cgroupPath: '/berth/t1', hostname: 'h' }, '/r');
  assert.deepEqual(alone.linux.namespaces.filter((n) => n.type === 'network'), [{ type: 'network' }]);
});

const containerSpec = (): OciSpec => ({
  ociVersion: '1.0.2', hostname: 'h', mounts: [], root: { path: '/rootfs', readonly: false },
  process: { terminal: false, user: { uid: 0, gid: 0 }, args: ['sh'], env: [], cwd: '/', capabilities: { bounding: [], effective: [], permitted: [] }, rlimits: [], noNewPrivileges: true },
  annotations: { 'com.example': 'kept' },
  linux: {
    namespaces: [{ type: 'pid' }, { type: 'network', path: '/run/netns/other' }, { type: 'mount' }, { type: 'user' }],
    cgroupsPath: '/berth/t1/web', resources: { devices: [] },
    seccomp: { defaultAction: 'SCMP_ACT_ERRNO', architectures: [], syscalls: [] },
  },
});

test('a member spec joins the sandbox by annotation, takes the task netns once, keeps its own cgroup and labels, has no terminal', () => {
  const m = memberSpec(containerSpec(), 't1', '/run/netns/x');
  assert.equal(m.annotations?.[CONTAINER_TYPE_ANNOTATION], 'container');
  assert.equal(m.annotations?.[SANDBOX_ID_ANNOTATION], 't1-sandbox');
  assert.equal(m.annotations?.['com.example'], 'kept');
  assert.deepEqual(m.linux.namespaces, [{ type: 'pid' }, { type: 'mount' }, { type: 'network', path: '/run/netns/x' }]);
  assert.equal(m.linux.cgroupsPath, '/berth/t1/web');
  assert.equal(m.linux.seccomp, undefined, 'the Sentry is the syscall boundary');
  assert.equal(memberSpec({ ...containerSpec(), process: { ...containerSpec().process, terminal: true } }, 't1', undefined).process.terminal, false, 'no terminal in the sandbox (nothing takes runsc\'s console)');
});

test('runsc flags: systrap, gVisor\'s own network stack, the overlay file store on the ephemeral disk', () => {
  const rs = { binary: '/usr/bin/runsc', root: '/run/berth/runsc', platform: 'systrap' as const };
  assert.deepEqual(runscFlags(rs, '/d/eph'), ['--root', '/run/berth/runsc', '--platform=systrap', '--network=sandbox', '--overlay2=root:dir=/d/eph']);
  assert.equal(runscFlags(rs, undefined).at(-1), '--overlay2=root:memory');
});

test('the network-check workaround runs runsc itself under an empty /proc/sys/net in a private mount namespace', () => {
  const argv = hiddenNetSysctlCommand('/usr/bin/unshare', '/usr/bin/runsc');
  assert.deepEqual(argv.slice(0, 4), ['/usr/bin/unshare', '--mount', '--propagation', 'private']);
  assert.match(argv[6]!, /mount -t tmpfs .* \/proc\/sys\/net && exec "\$0" "\$@"/);
  assert.equal(argv[7], '/usr/bin/runsc');
});
