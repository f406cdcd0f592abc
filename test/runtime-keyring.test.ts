// Touches the host: run under flock /tmp/berth-host.lock (bin/test runs host tests one at a time).
// The host's keyrings from inside a container (crun and runc): a key in the host root's
// user keyring can be neither read, changed, requested nor joined by another, and
// /proc/keys shows nothing. Keyrings are not namespaced, so a container whose uid is 0
// would reach root's user keyring itself: only the seccomp filter (keyctl, add_key and
// request_key refused, as in Docker) stands between them. A privileged container, which
// runs without the filter, reads the key: the probe is real, and so was the exposure.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Container, findRuntime, type CreateOptions, type OciRuntime } from '../src/runtime/container/index.ts';
import { probeOutput, useRuntimeFixture } from '../src/runtime/container/testing/fixtures.ts';

const isRoot = process.getuid?.() === 0;
const EXIT_WAIT_MS = 10_000;
const EPERM = '1';
const PROBE_SOURCE = join(import.meta.dirname, 'fixtures/keyring-probe/keyring-probe.c');
const PROBE_IN_CONTAINER = '/keyring-probe';

const fixture = useRuntimeFixture('berth-test-keys', isRoot);

/** Builds the probe (static, so it runs in a busybox rootfs) into the fixture's scratch dir. */
function buildProbe(): string {
  const out = join(fixture().work, 'keyring-probe');
  execFileSync('gcc', ['-static', '-O2', '-o', out, PROBE_SOURCE]);
  return out;
}

for (const runtimeName of ['crun', 'runc'] as const) {
  describe(runtimeName, { skip: !isRoot && 'containers and root\'s keyring need root' }, () => {
    let rt: OciRuntime;
    let probe: string;
    before(async () => {
      rt = await findRuntime({ runDir: fixture().runDir, prefer: runtimeName });
      probe = buildProbe();
    });

    /** Runs the probe on the host: its output, trimmed ("errno=N" when the call failed). */
    const onHost = (...args: string[]): string => spawnSync(probe, args, { encoding: 'utf8' }).stdout.trim();

    /** A key in the host root's user keyring, invalidated after the test whatever happens. */
    function hostKey(t: { after: (fn: () => void) => void }, payload: string): string {
      const serial = execFileSync(probe, ['add', `berth-test-${runtimeName}-${process.pid}`, payload], { encoding: 'utf8' }).trim();
      assert.match(serial, /^\d+$/);
      t.after(() => execFileSync(probe, ['invalidate', serial]));
      return serial;
    }

    async function inContainer(t: { after: (fn: () => Promise<void>) => void }, name: string, script: string, extra: Partial<CreateOptions['definition']> = {}): Promise<Record<string, string>> {
      const { rootfs, config } = await fixture().rootfs('busybox');
      const c = await Container.create(fixture().options(name, {
        rootfsPath: rootfs, image: config,
        definition: { ...extra, command: ['sh', '-c', script] },
        mounts: [{ source: probe, destination: PROBE_IN_CONTAINER, readOnly: true }],
      }, rt));
      return probeOutput(t, c, EXIT_WAIT_MS);
    }

    test('a default container can neither read, change, request nor add keys of the host root\'s keyring', async (t) => {
      const serial = hostKey(t, 'host-secret');
      const description = `berth-test-${runtimeName}-${process.pid}`;
      const p = await inContainer(t, 'keys', `
        echo "uid=$(id -u)"
        echo "possess=$(${PROBE_IN_CONTAINER} possess-user -)"
        echo "read=$(${PROBE_IN_CONTAINER} read ${serial})"
        echo "update=$(${PROBE_IN_CONTAINER} update ${serial} container-was-here)"
        echo "request=$(${PROBE_IN_CONTAINER} request ${description})"
        echo "add=$(${PROBE_IN_CONTAINER} add berth-test-planted planted)"
        echo "proc_keys_bytes=$(wc -c < /proc/keys)"
        echo "proc_key_users_bytes=$(wc -c < /proc/key-users)"
      `);
      assert.equal(p.uid, '0', 'root in the container: the same kernel user as the host\'s root');
      assert.deepEqual([p.possess, p.read, p.update, p.request, p.add], Array(5).fill(`errno=${EPERM}`), 'keyctl, request_key and add_key are EPERM, as in Docker');
      assert.equal(p.proc_keys_bytes, '0', '/proc/keys is masked');
      assert.equal(p.proc_key_users_bytes, '0', '/proc/key-users (every host user\'s key count) is masked');
      assert.equal(onHost('read', serial), 'host-secret', 'the key is unchanged');
      const planted = onHost('request', 'berth-test-planted');
      if (/^\d+$/.test(planted)) onHost('invalidate', planted);
      assert.match(planted, /^errno=/, 'no key was planted');
    });

    test('control: a privileged container, without the seccomp filter, reads the host key', async (t) => {
      const serial = hostKey(t, 'host-secret');
      const p = await inContainer(t, 'keys-priv', `
        echo "possess=$(${PROBE_IN_CONTAINER} possess-user -)"
        echo "read=$(${PROBE_IN_CONTAINER} read ${serial})"
      `, { privileged: true });
      assert.deepEqual([p.possess, p.read], ['linked', 'host-secret']);
    });
  });
}
