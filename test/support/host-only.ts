/**
 * bin/test runs host tests (files that name /tmp/berth-host.lock) one at a time, and every
 * other file beside them with BERTH_TEST_SHARED set. What touches the host through
 * test/support calls this first, so that a file that touches the host without saying so
 * fails at once, naming the fix, instead of sweeping or sharing a host test's things.
 */
export function assertHostTest(what: string): void {
  if (process.env.BERTH_TEST_SHARED) {
    throw new Error(`${what} touches the host, but this file runs beside the host tests: say in its header that it runs under flock /tmp/berth-host.lock, so that bin/test runs it with them, one at a time`);
  }
}
