import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BERTH_MASKED_PATHS, buildSpec, commandLine, DEFAULT_PATH, environment, MASKED_PATHS, READONLY_PATHS } from './spec.ts';
import { CAPABILITIES, DOCKER_DEFAULT_CAPABILITIES } from './capabilities.ts';
import { ContainerConfigError } from './errors.ts';
import type { OciSeccomp } from './oci-spec.ts';
import type { ContainerFields, HostFacts, SpecInput } from './spec-input.ts';
import type { ContainerDefinition } from '../../core/ecs/task-definition.ts';

const SECCOMP: OciSeccomp = { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'], syscalls: [] };
const HOST: HostFacts = {
  rlimits: { RLIMIT_NOFILE: { soft: 1024, hard: 20000 }, RLIMIT_NPROC: { soft: Infinity, hard: Infinity } },
  oomScoreAdj: 0,
  // This machine's agent: everything but CAP_SYS_RESOURCE (runtime-notes §0).
  capabilityBounding: CAPABILITIES.filter((c) => c !== 'CAP_SYS_RESOURCE'),
  resolvConf: 'nameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch corp.example\noptions edns0\n',
  initBinary: '/usr/bin/catatonit',
  arch: 'amd64',
};
const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000::/home/app:/bin/sh\n';
const GROUP = 'root:x:0:\nnogroup:x:65534:\napp:x:1000:\nstaff:x:50:app\naudio:x:29:app,other\n';

function input(definition: ContainerFields = {}, over: Partial<SpecInput> = {}): SpecInput {
  return {
    id: 'c1',
    rootfsPath: '/var/lib/berth/rootfs/c1',
    image: { Env: ['PATH=/usr/bin:/bin', 'LANG=C'], Cmd: ['sh'], WorkingDir: '/srv' },
    definition,
    cgroupsPath: '/berth/task1/web',
    network: { mode: 'namespace', path: '/run/netns/task1', addresses: ['10.0.0.5'] },
    defaultHostname: 'c1',
    etcDir: '/run/berth/containers/c1/etc',
    host: HOST,
    users: { passwd: PASSWD, group: GROUP },
    seccomp: () => SECCOMP,
    ...over,
  };
}
const build = (d: ContainerFields = {}, over: Partial<SpecInput> = {}) => buildSpec(input(d, over));
const mount = (s: ReturnType<typeof build>, dest: string) => s.spec.mounts.find((m) => m.destination === dest);

test('command line: entryPoint replaces the image Entrypoint and drops its Cmd; command replaces Cmd', () => {
  assert.deepEqual(commandLine(['/ep'], ['a'], {}), ['/ep', 'a']);
  assert.deepEqual(commandLine(['/ep'], ['a'], { command: ['b'] }), ['/ep', 'b']);
  assert.deepEqual(commandLine(['/ep'], ['a'], { entryPoint: ['/other'] }), ['/other']);
  assert.deepEqual(commandLine(['/ep'], ['a'], { entryPoint: ['/other'], command: ['c'] }), ['/other', 'c']);
  assert.deepEqual(commandLine(null, ['sh'], { entryPoint: [], command: [] }), ['sh'], 'empty lists count as unset');
  assert.throws(() => commandLine(undefined, undefined, {}), /no command to run/);
});

test('environment: image Env overridden by name, PATH default only when missing, HOSTNAME and HOME added', () => {
  assert.deepEqual(environment(['PATH=/bin', 'A=1', 'B=2'], [{ name: 'A', value: 'x' }, { name: 'C', value: 'a=b' }], 'h', '/root'),
    ['PATH=/bin', 'A=x', 'B=2', 'C=a=b', 'HOSTNAME=h', 'HOME=/root']);
  assert.deepEqual(environment([], [{ name: 'HOME', value: '/h' }], 'h', '/root'), [DEFAULT_PATH, 'HOME=/h', 'HOSTNAME=h']);
  assert.throws(() => environment([], [{ name: 'A=B', value: '' }], 'h', '/'), ContainerConfigError);
});

test('defaults: Docker capabilities, no_new_privs, seccomp, masked and read-only paths, read-only /sys', () => {
  const { spec } = build();
  assert.deepEqual(spec.process.capabilities.bounding, CAPABILITIES.filter((c) => DOCKER_DEFAULT_CAPABILITIES.includes(c)));
  assert.deepEqual(spec.process.capabilities.effective, spec.process.capabilities.bounding);
  assert.equal(spec.process.noNewPrivileges, true);
  assert.equal(spec.linux.seccomp, SECCOMP);
  assert.deepEqual(spec.linux.maskedPaths, [...MASKED_PATHS, ...BERTH_MASKED_PATHS]);
  assert.ok(spec.linux.maskedPaths?.includes('/proc/key-users'), 'the host\'s key counts per user');
  assert.deepEqual(spec.linux.readonlyPaths, READONLY_PATHS);
  assert.ok(spec.linux.maskedPaths?.includes('/proc/kcore'));
  assert.ok(mount(build(), '/sys')?.options.includes('ro'));
  assert.equal(spec.root.readonly, false);
  assert.deepEqual(spec.process.args, ['sh']);
  assert.equal(spec.process.cwd, '/srv');
  assert.deepEqual(spec.process.user, { uid: 0, gid: 0 });
  assert.equal(spec.linux.resources.devices[0]?.allow, false, 'the device list starts by denying everything');
  assert.deepEqual(spec.linux.namespaces.map((n) => n.type), ['pid', 'ipc', 'uts', 'mount', 'network']);
});

test('privileged: every capability the agent holds, no seccomp, no masks, writable /sys, all devices', () => {
  const { spec } = build({ privileged: true });
  assert.deepEqual(spec.process.capabilities.bounding, HOST.capabilityBounding);
  assert.equal(spec.process.noNewPrivileges, false);
  assert.equal(spec.linux.seccomp, undefined);
  assert.equal(spec.linux.maskedPaths, undefined);
  assert.equal(spec.linux.readonlyPaths, undefined);
  assert.ok(mount(build({ privileged: true }), '/sys')?.options.includes('rw'));
  assert.deepEqual(spec.linux.resources.devices, [{ allow: true, access: 'rwm' }]);
});

test('capabilities: add and drop (with or without CAP_, any case), ALL on either side', () => {
  const caps = (add?: string[], drop?: string[]) => build({ linuxParameters: { capabilities: { ...(add ? { add } : {}), ...(drop ? { drop } : {}) } } }).spec.process.capabilities.bounding;
  const withAdmin = caps(['SYS_ADMIN'], ['net_raw', 'CAP_MKNOD']);
  assert.ok(withAdmin.includes('CAP_SYS_ADMIN'));
  assert.ok(!withAdmin.includes('CAP_NET_RAW') && !withAdmin.includes('CAP_MKNOD'));
  assert.deepEqual(caps(['NET_ADMIN'], ['ALL']), ['CAP_NET_ADMIN']);
  assert.deepEqual(caps(undefined, ['ALL']), []);
  const all = caps(['ALL'], ['SYS_ADMIN']);
  assert.ok(all.includes('CAP_SYS_MODULE') && !all.includes('CAP_SYS_ADMIN'));
  assert.ok(!all.includes('CAP_SYS_RESOURCE'), 'what the agent lacks is left out');
  assert.throws(() => caps(['SYS_WHATEVER']), /unknown capability "SYS_WHATEVER"/);
});

test('capabilities the agent lacks are left out with a warning', () => {
  const built = build({ linuxParameters: { capabilities: { add: ['SYS_RESOURCE'] } } });
  assert.ok(!built.spec.process.capabilities.bounding.includes('CAP_SYS_RESOURCE'));
  assert.match(built.warnings.join('\n'), /CAP_SYS_RESOURCE left out/);
});

test('seccomp is asked for the final capability set', () => {
  let asked: readonly string[] = [];
  build({ linuxParameters: { capabilities: { drop: ['ALL'], add: ['KILL'] } } }, { seccomp: (c) => ((asked = c), SECCOMP) });
  assert.deepEqual(asked, ['CAP_KILL']);
});

test('cpu units become cpu.shares, at least 2 (0 and unset too), at most the kernel maximum', () => {
  const shares = (cpu?: number) => build(cpu === undefined ? {} : { cpu }).spec.linux.resources.cpu?.shares;
  assert.equal(shares(), 2);
  assert.equal(shares(0), 2);
  assert.equal(shares(1), 2);
  assert.equal(shares(512), 512);
  assert.equal(shares(10_000_000), 262144);
  assert.throws(() => shares(-1), ContainerConfigError);
});

test('a CPU limit in units becomes a CFS quota over a 100 ms period (units/1024 CPUs), never under 1 ms; none without one', () => {
  const cpu = (o: { cpu?: number; cpuLimit?: number }) => build(o).spec.linux.resources.cpu;
  assert.deepEqual(cpu({ cpu: 256, cpuLimit: 512 }), { shares: 256, quota: 50_000, period: 100_000 });
  assert.deepEqual(cpu({ cpuLimit: 2048 }), { shares: 2, quota: 200_000, period: 100_000 });
  assert.deepEqual(cpu({ cpuLimit: 1 }), { shares: 2, quota: 1000, period: 100_000 }, 'the kernel refuses less than 1 ms');
  assert.deepEqual(cpu({ cpu: 100 }), { shares: 100 });
  assert.throws(() => cpu({ cpuLimit: 0 }), ContainerConfigError);
  assert.throws(() => cpu({ cpuLimit: 1.5 }), ContainerConfigError);
});

test('memory is the hard limit and memoryReservation the soft one, in MiB', () => {
  assert.deepEqual(build({ memory: 16, memoryReservation: 8 }).spec.linux.resources.memory, { limit: 16 * 1048576, reservation: 8 * 1048576 });
  assert.deepEqual(build({ memoryReservation: 64 }).spec.linux.resources.memory, { reservation: 64 * 1048576 });
  assert.equal(build().spec.linux.resources.memory, undefined);
  assert.throws(() => build({ memory: 16, memoryReservation: 32 }), /above memory/);
  assert.throws(() => build({ memory: 4 }), /at least 6/);
});

test('ulimits are clamped to the agent\'s own hard limits, with a warning; nofile defaults to Fargate\'s 65535 (clamped)', () => {
  const def = build();
  assert.deepEqual(def.spec.process.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 }]);
  assert.deepEqual(def.warnings, [], 'the default is clamped quietly');
  const asked = build({ ulimits: [{ name: 'nofile', softLimit: 4096, hardLimit: 1_000_000 }, { name: 'nproc', softLimit: 100, hardLimit: 200 }] });
  assert.deepEqual(asked.spec.process.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 4096, hard: 20000 }, { type: 'RLIMIT_NPROC', soft: 100, hard: 200 }]);
  assert.match(asked.warnings.join('\n'), /RLIMIT_NOFILE lowered from 4096:1000000 to 4096:20000/);
  assert.throws(() => build({ ulimits: [{ name: 'files', softLimit: 1, hardLimit: 1 }] }), /unknown ulimit "files"/);
  assert.throws(() => build({ ulimits: [{ name: 'core', softLimit: 2, hardLimit: 1 }] }), /softLimit 2 is above hardLimit 1/);
});

test('oomScoreAdj is never below the agent\'s own, nor below 0', () => {
  assert.equal(build().spec.process.oomScoreAdj, 0);
  assert.equal(build({}, { host: { ...HOST, oomScoreAdj: -500 } }).spec.process.oomScoreAdj, 0);
  assert.equal(build({}, { host: { ...HOST, oomScoreAdj: 300 } }).spec.process.oomScoreAdj, 300);
});

test('user: names, ids and groups resolved against the image, supplementary groups from /etc/group', () => {
  const user = (u: string) => build({ user: u }).spec.process.user;
  assert.deepEqual(user('app'), { uid: 1000, gid: 1000, additionalGids: [50, 29] });
  assert.deepEqual(user('app:staff'), { uid: 1000, gid: 50 });
  assert.deepEqual(user('1000'), { uid: 1000, gid: 1000, additionalGids: [50, 29] });
  assert.deepEqual(user('4242'), { uid: 4242, gid: 0 }, 'an id missing from passwd runs with gid 0');
  assert.deepEqual(user('4242:77'), { uid: 4242, gid: 77 });
  assert.deepEqual(user('nobody:1'), { uid: 65534, gid: 1 });
  assert.throws(() => user('ghost'), /user "ghost" is not in the image's \/etc\/passwd/);
  assert.throws(() => user('app:ghosts'), /group "ghosts"/);
  assert.ok(build({ user: 'app' }).spec.process.env.includes('HOME=/home/app'));
  assert.deepEqual(build({}, { image: { Cmd: ['sh'], User: 'nobody' } }).spec.process.user, { uid: 65534, gid: 65534 }, 'the image User applies when the definition sets none');
});

test('workingDirectory overrides the image and must be absolute', () => {
  assert.equal(build({ workingDirectory: '/app/./x/' }).spec.process.cwd, '/app/x');
  assert.equal(build({}, { image: { Cmd: ['sh'] } }).spec.process.cwd, '/');
  assert.throws(() => build({ workingDirectory: 'rel' }), /must be an absolute path/);
});

test('readonlyRootFilesystem makes the root and the generated /etc files read-only', () => {
  const built = build({ readonlyRootFilesystem: true });
  assert.equal(built.spec.root.readonly, true);
  assert.ok(mount(built, '/etc/hosts')?.options.includes('ro'));
  assert.ok(mount(build(), '/etc/hosts')?.options.includes('rw'));
});

test('/dev/shm is 64 MiB unless sharedMemorySize says otherwise; tmpfs mounts take ECS options', () => {
  assert.ok(mount(build(), '/dev/shm')?.options.includes('size=65536k'));
  assert.ok(mount(build({ linuxParameters: { sharedMemorySize: 128 } }), '/dev/shm')?.options.includes('size=131072k'));
  const t = mount(build({ linuxParameters: { tmpfs: [{ containerPath: '/scratch/', size: 10, mountOptions: ['noexec', 'mode=1777', 'defaults'] }] } }), '/scratch');
  assert.deepEqual(t, { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'mode=1777', 'size=10240k'] });
  assert.throws(() => build({ linuxParameters: { tmpfs: [{ containerPath: '/x', size: 1, mountOptions: ['exec,suid'] }] } }), /not allowed/);
  assert.throws(() => build({ linuxParameters: { tmpfs: [{ containerPath: '/a/../etc', size: 1 }] } }), /without ".."/);
});

test('initProcessEnabled runs the command under the bind-mounted init', () => {
  const built = build({ linuxParameters: { initProcessEnabled: true } });
  assert.deepEqual(built.spec.process.args, ['/dev/init', '--', 'sh']);
  assert.deepEqual(mount(built, '/dev/init'), { destination: '/dev/init', type: 'bind', source: '/usr/bin/catatonit', options: ['bind', 'ro', 'nosuid', 'nodev'] });
  assert.throws(() => build({ linuxParameters: { initProcessEnabled: true } }, { host: { ...HOST, initBinary: undefined } }), /apt-get install catatonit/);
});

test('network: join a namespace, share the host\'s, or get a fresh empty one', () => {
  const netns = (b: ReturnType<typeof build>) => b.spec.linux.namespaces.find((n) => n.type === 'network');
  assert.deepEqual(netns(build()), { type: 'network', path: '/run/netns/task1' });
  assert.equal(netns(build({}, { network: { mode: 'host' } })), undefined);
  assert.deepEqual(netns(build({}, { network: { mode: 'none' } })), { type: 'network' });
  assert.deepEqual(netns(build({ disableNetworking: true })), { type: 'network' });
});

test('hosts and resolv.conf: hostname, addresses, extraHosts, DNS servers and search domains', () => {
  const built = build({ hostname: 'web', extraHosts: [{ hostname: 'db.internal', ipAddress: '10.0.0.9' }], dnsSearchDomains: ['svc.local'] });
  assert.equal(built.spec.hostname, 'web');
  assert.equal(built.etc.hosts, '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.0.0.5\tweb\n10.0.0.9\tdb.internal\n');
  assert.equal(built.etc.resolvConf, 'nameserver 10.0.0.2\nsearch svc.local\noptions edns0\n', 'the host\'s loopback resolver is unreachable from the namespace');
  assert.equal(built.etc.hostname, 'web\n');
  assert.ok(built.spec.process.env.includes('HOSTNAME=web'));
  assert.equal(build({ dnsServers: ['1.1.1.1'] }).etc.resolvConf, 'nameserver 1.1.1.1\nsearch corp.example\noptions edns0\n');
  assert.equal(build({ dnsServers: ['10.100.0.10'], dnsSearchDomains: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], dnsOptions: ['ndots:5'] }).etc.resolvConf,
    'nameserver 10.100.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n', 'a pod\'s resolver, as the kubelet writes it');
  assert.throws(() => build({ dnsOptions: ['ndots 5'] }), /dnsOptions entry "ndots 5"/);
  assert.match(build({}, { network: { mode: 'host' } }).etc.resolvConf, /^nameserver 127\.0\.0\.53\n/);
  assert.match(build({}, { network: { mode: 'none' } }).etc.hosts, /127\.0\.1\.1\tc1\n/);
  assert.match(build({}, { host: { ...HOST, resolvConf: 'nameserver 127.0.0.1\n' } }).etc.resolvConf, /^nameserver 8\.8\.8\.8\n/);
  assert.throws(() => build({ extraHosts: [{ hostname: 'x', ipAddress: 'nope' }] }), /ipAddress/);
  assert.throws(() => build({ hostname: 'bad_name!' }), /not a valid host name/);
});

test('bind mounts, dockerLabels, stop signal, sysctls, ignored settings', () => {
  const built = build(
    { dockerLabels: { team: 'a' }, linuxParameters: { maxSwap: 0 }, systemControls: [{ namespace: 'net.ipv4.ip_forward', value: '1' }] },
    { mounts: [{ source: '/var/lib/berth/volumes/v', destination: '/data', readOnly: true }], image: { Cmd: ['nginx'], StopSignal: 'QUIT' } },
  );
  assert.deepEqual(mount(built, '/data'), { destination: '/data', type: 'bind', source: '/var/lib/berth/volumes/v', options: ['rbind', 'rprivate', 'ro'] });
  assert.deepEqual(built.spec.annotations, { team: 'a' });
  assert.equal(built.stopSignal, 'SIGQUIT');
  assert.equal(build().stopSignal, 'SIGTERM');
  assert.deepEqual(built.spec.linux.sysctl, { 'net.ipv4.ip_forward': '1' });
  assert.match(built.warnings.join('\n'), /maxSwap and swappiness ignored/);
  assert.throws(() => build({ systemControls: [{ namespace: 'vm.swappiness', value: '1' }] }), /not namespaced/);
  assert.throws(() => build({ systemControls: [{ namespace: 'net.core.somaxconn', value: '1' }] }, { network: { mode: 'host' } }), /host network mode/);
  assert.throws(() => build({}, { mounts: [{ source: 'relative', destination: '/x' }] }), /absolute host path/);
});

test('devices: nodes and cgroup rules from resolved linuxParameters.devices', () => {
  const built = build({}, { devices: [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0, access: 'rw' }] });
  assert.deepEqual(built.spec.linux.devices, [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 }]);
  assert.deepEqual(built.spec.linux.resources.devices.at(-1), { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' });
});

test('cgroupsPath must be absolute', () => {
  assert.throws(() => build({}, { cgroupsPath: 'berth/t/c' }), /must be absolute/);
});

test('an ECS ContainerDefinition as stored by src/core is accepted as is', () => {
  const stored: ContainerDefinition = { name: 'web', image: 'busybox', essential: true, memory: 32, command: ['sh'], linuxParameters: { initProcessEnabled: false } };
  assert.deepEqual(build(stored).spec.process.args, ['sh']);
});

test('userNamespace: a user namespace mapping root to the given host range, uid and gid alike; none by default', () => {
  const s = build({}, { userNamespace: { hostId: 100000, size: 65536 } }).spec;
  assert.ok(s.linux.namespaces.some((n) => n.type === 'user' && n.path === undefined));
  assert.deepEqual(s.linux.uidMappings, [{ containerID: 0, hostID: 100000, size: 65536 }]);
  assert.deepEqual(s.linux.gidMappings, [{ containerID: 0, hostID: 100000, size: 65536 }]);
  assert.equal(s.process.noNewPrivileges, true);
  assert.ok(s.linux.seccomp);
  const plain = build().spec;
  assert.equal(plain.linux.namespaces.some((n) => n.type === 'user'), false);
  assert.equal(plain.linux.uidMappings, undefined);
});

test('pseudoTerminal: the process on a terminal with TERM=xterm unless the image or definition sets TERM; none by default', () => {
  const on = build({ pseudoTerminal: true });
  assert.equal(on.spec.process.terminal, true);
  assert.ok(on.spec.process.env.includes('TERM=xterm'));
  assert.deepEqual(on.warnings, []);
  assert.ok(build({ pseudoTerminal: true, environment: [{ name: 'TERM', value: 'vt100' }] }).spec.process.env.includes('TERM=vt100'));
  assert.ok(!build({ pseudoTerminal: true, environment: [{ name: 'TERM', value: 'vt100' }] }).spec.process.env.includes('TERM=xterm'));
  const off = build({ pseudoTerminal: false });
  assert.equal(off.spec.process.terminal, false);
  assert.ok(!off.spec.process.env.some((e) => e.startsWith('TERM=')));
  assert.equal(build().spec.process.terminal, false);
});
