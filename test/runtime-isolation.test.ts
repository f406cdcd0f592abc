// Touches the host: run under flock /tmp/berth-host.lock (bin/test runs host tests one at a time).
// Isolation probes from inside a default container (crun and runc): no host processes,
// no mounts, no user namespaces (the seccomp gap closed), read-only /proc/sys and /sys,
// masked /proc/kcore, no_new_privs, seccomp, Docker's capability set; and the same
// probes from a privileged container, which may mount.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Container, findRuntime, type CreateOptions, type OciRuntime } from '../src/runtime/container/index.ts';
import { capabilityMask, DOCKER_DEFAULT_CAPABILITIES } from '../src/runtime/container/capabilities.ts';
import { readHostFacts } from '../src/runtime/container/host-facts.ts';
import { probeOutput, useRuntimeFixture } from '../src/runtime/container/testing/fixtures.ts';

const isRoot = process.getuid?.() === 0;
const EXIT_WAIT_MS = 10_000;

/** Each probe prints `name=value`; the test reads them back. */
const PROBES = `
echo "pid1=$(cat /proc/1/comm)"
echo "max_pid=$(ls /proc | grep -E '^[0-9]+$' | sort -n | tail -1)"
test -e /proc/$HOST_PID && echo "host_pid=visible" || echo "host_pid=hidden"
mount -t tmpfs probe /tmp 2>/dev/null && echo "mount=ok" || echo "mount=refused"
unshare -U true 2>/dev/null && echo "userns=ok" || echo "userns=refused"
unshare -m true 2>/dev/null && echo "mountns=ok" || echo "mountns=refused"
(echo 1 > /proc/sys/kernel/ns_last_pid) 2>/dev/null && echo "procsys=written" || echo "procsys=refused"
(echo x > /sys/kernel/uevent_helper) 2>/dev/null && echo "sys=written" || echo "sys=refused"
test -e /proc/kcore && echo "kcore_bytes=$(wc -c < /proc/kcore)" || echo "kcore_bytes=absent"
echo "timer_list_bytes=$(wc -c < /proc/timer_list)"
echo "firmware_entries=$(ls -A /sys/firmware | wc -l)"
echo "nonewprivs=$(awk '/^NoNewPrivs/ {print $2}' /proc/self/status)"
echo "seccomp=$(awk '/^Seccomp:/ {print $2}' /proc/self/status)"
echo "capeff=$(awk '/^CapEff/ {print $2}' /proc/self/status)"
echo "links=$(cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ' | tr '\\n' ,)"
`;

const fixture = useRuntimeFixture('berth-test-iso', isRoot);

for (const runtimeName of ['crun', 'runc'] as const) {
  describe(runtimeName, { skip: !isRoot && 'containers need root' }, () => {
    let rt: OciRuntime;
    before(async () => {
      rt = await findRuntime({ runDir: fixture().runDir, prefer: runtimeName });
    });

    async function probe(t: { after: (fn: () => Promise<void>) => void }, name: string, definition: CreateOptions['definition'], extra: Partial<CreateOptions> = {}): Promise<Record<string, string>> {
      const { rootfs, config } = await fixture().rootfs('busybox');
      const c = await Container.create(fixture().options(name, {
        rootfsPath: rootfs, image: config,
        definition: { ...definition, environment: [{ name: 'HOST_PID', value: String(process.pid) }], command: ['sh', '-c', PROBES] },
        ...extra,
      }, rt));
      return probeOutput(t, c, EXIT_WAIT_MS);
    }

    test('a default container is isolated and confined', async (t) => {
      const p = await probe(t, 'default', {});
      assert.equal(p.pid1, 'sh', 'its own command is PID 1');
      assert.ok(Number(p.max_pid) < 20, `only its own few processes are visible (highest pid ${p.max_pid})`);
      assert.equal(p.host_pid, 'hidden');
      assert.equal(p.mount, 'refused');
      assert.equal(p.userns, 'refused', 'unshare -U: the seccomp gap is closed');
      assert.equal(p.mountns, 'refused');
      assert.equal(p.procsys, 'refused', '/proc/sys is read-only');
      assert.equal(p.sys, 'refused', '/sys is read-only');
      // This kernel has no /proc/kcore; where it exists, it reads as /dev/null.
      assert.ok(p.kcore_bytes === '0' || p.kcore_bytes === 'absent', `/proc/kcore is masked (${p.kcore_bytes})`);
      assert.equal(p.timer_list_bytes, '0', '/proc/timer_list is masked');
      assert.equal(p.firmware_entries, '0', '/sys/firmware is masked');
      assert.equal(p.nonewprivs, '1');
      assert.equal(p.seccomp, '2', 'a seccomp filter is on');
      assert.equal(p.capeff, capabilityMask(DOCKER_DEFAULT_CAPABILITIES), 'Docker\'s default capabilities, no more');
      assert.equal(p.links, 'lo,', 'network mode none: loopback only');
    });

    test('a privileged container can mount, and holds every capability the agent has', async (t) => {
      const p = await probe(t, 'privileged', { privileged: true });
      assert.equal(p.mount, 'ok');
      assert.equal(p.nonewprivs, '0');
      assert.equal(p.seccomp, '0');
      assert.equal(p.capeff, capabilityMask(readHostFacts().capabilityBounding));
      assert.equal(p.host_pid, 'hidden', 'still its own PID namespace');
      assert.notEqual(p.timer_list_bytes, '0', 'nothing masked');
    });

    test('capabilities add and drop take effect: NET_RAW dropped, SYS_ADMIN added (mount then works)', async (t) => {
      const p = await probe(t, 'caps', { linuxParameters: { capabilities: { add: ['SYS_ADMIN'], drop: ['NET_RAW'] } } });
      const expected = capabilityMask([...DOCKER_DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_NET_RAW'), 'CAP_SYS_ADMIN']);
      assert.equal(p.capeff, expected);
      assert.equal(p.mount, 'ok');
      assert.equal(p.seccomp, '2');
    });

    test('network: a given namespace is joined; host mode sees the host\'s interfaces', async (t) => {
      const ns = `berth-test-iso-${runtimeName}-${process.pid}`;
      execFileSync('ip', ['netns', 'add', ns]);
      t.after(() => execFileSync('ip', ['netns', 'del', ns]));
      execFileSync('ip', ['-n', ns, 'link', 'add', 'probe0', 'type', 'veth', 'peer', 'name', 'probe1']);
      const joined = await probe(t, 'netns', {}, { network: { mode: 'namespace', path: `/run/netns/${ns}`, addresses: ['10.9.9.9'] } });
      assert.deepEqual(joined.links?.split(',').filter(Boolean).sort(), ['lo', 'probe0', 'probe1']);
      const host = await probe(t, 'hostnet', {}, { network: { mode: 'host' } });
      const hostLinks = readFileSync('/proc/net/dev', 'utf8').split('\n').slice(2).map((l) => l.split(':')[0]!.trim()).filter(Boolean);
      assert.deepEqual(host.links?.split(',').filter(Boolean).sort(), hostLinks.sort());
    });
  });
}
