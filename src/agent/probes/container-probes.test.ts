import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProbeSpec } from '../../core/workload/spec.ts';
import { startProbes, type ProbeClock, type Verdict } from './container-probes.ts';
import type { ProbeKind } from './probe-state.ts';

/** A clock the test moves: timers fire in time order as it advances. */
function fakeClock(): ProbeClock & { advance(ms: number): Promise<void> } {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; f: () => void }>();
  return {
    now: () => now,
    setTimeout: (f, ms) => { timers.set(++seq, { at: now + ms, f }); return seq; },
    clearTimeout: (t) => void timers.delete(t as number),
    async advance(ms) {
      const end = now + ms;
      for (;;) {
        const next = [...timers.entries()].sort((a, b) => a[1].at - b[1].at)[0];
        if (!next || next[1].at > end) break;
        timers.delete(next[0]);
        now = next[1].at;
        next[1].f();
        // Let the probe's awaited result land before the next timer.
        for (let i = 0; i < 5; i++) await Promise.resolve();
      }
      now = end;
    },
  };
}

const probe = (name: string, o: Partial<ProbeSpec> = {}): ProbeSpec => ({
  handler: { exec: { command: [name] } }, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3, ...o,
});

function harness(results: Record<string, boolean[]>) {
  const clock = fakeClock();
  const calls: { name: string; at: number }[] = [];
  const verdicts: Verdict[] = [];
  const failed: { kind: ProbeKind; grace: number | undefined; at: number }[] = [];
  const run = (h: ProbeSpec['handler']) => {
    const name = 'exec' in h ? h.exec.command[0]! : '?';
    calls.push({ name, at: clock.now() });
    return Promise.resolve(results[name]?.shift() ?? true);
  };
  const events = { onVerdict: (v: Verdict) => verdicts.push(v), onFailed: (kind: ProbeKind, grace: number | undefined) => failed.push({ kind, grace, at: clock.now() }) };
  return { clock, calls, verdicts, failed, run, events };
}

test('readiness: not ready until it passes after its initial delay; a failure threshold later unreadies it; the container is never killed for it', async () => {
  const h = harness({ ready: [true, false, false, false, true] });
  const p = startProbes({ readiness: probe('ready', { initialDelaySeconds: 5 }) }, { address: '', exec: async () => 0 }, 0, h.events, h.clock, h.run);
  assert.deepEqual(p.verdict(), { started: true, ready: false });
  await h.clock.advance(4999);
  assert.equal(h.calls.length, 0, 'the initial delay');
  await h.clock.advance(1);
  assert.deepEqual(h.verdicts, [{ started: true, ready: true }]);
  await h.clock.advance(30_000);
  assert.deepEqual(h.verdicts.at(-1), { started: true, ready: false }, 'three failures in a row');
  await h.clock.advance(10_000);
  assert.deepEqual(h.verdicts.at(-1), { started: true, ready: true });
  assert.deepEqual(h.calls.map((c) => c.at), [5000, 15_000, 25_000, 35_000, 45_000]);
  assert.deepEqual(h.failed, []);
  p.stop();
  await h.clock.advance(100_000);
  assert.equal(h.calls.length, 5, 'stopped');
});

test('liveness: its failure threshold asks for the kill with its own grace period, and every probe stops', async () => {
  const h = harness({ live: [false, false, false] });
  startProbes({ liveness: probe('live', { terminationGracePeriodSeconds: 7 }), readiness: probe('ready') }, { address: '', exec: async () => 0 }, 0, h.events, h.clock, h.run);
  await h.clock.advance(20_000);
  assert.deepEqual(h.failed, [{ kind: 'liveness', grace: 7, at: 20_000 }]);
  const n = h.calls.length;
  await h.clock.advance(60_000);
  assert.equal(h.calls.length, n, 'no probe after the kill was asked for');
});

test('a startup probe holds liveness and readiness back until it passes, then runs no more', async () => {
  const h = harness({ start: [false, false, true] });
  const p = startProbes({ startup: probe('start', { periodSeconds: 2, failureThreshold: 5 }), liveness: probe('live'), readiness: probe('ready') }, { address: '', exec: async () => 0 }, 0, h.events, h.clock, h.run);
  assert.deepEqual(p.verdict(), { started: false, ready: false });
  await h.clock.advance(4000);
  assert.deepEqual(h.calls.map((c) => c.name), ['start', 'start', 'start']);
  assert.deepEqual(h.verdicts, [{ started: true, ready: false }]);
  await h.clock.advance(10_000);
  assert.deepEqual(h.calls.filter((c) => c.name === 'start').length, 3, 'done once passed');
  assert.ok(h.calls.some((c) => c.name === 'live') && h.calls.some((c) => c.name === 'ready'), 'the others run once it passed');
  assert.deepEqual(h.verdicts.at(-1), { started: true, ready: true });
  p.stop();
});

test('a startup probe that fails its threshold asks for the kill', async () => {
  const h = harness({ start: [false, false] });
  startProbes({ startup: probe('start', { periodSeconds: 1, failureThreshold: 2 }), liveness: probe('live') }, { address: '', exec: async () => 0 }, 0, h.events, h.clock, h.run);
  await h.clock.advance(5000);
  assert.deepEqual(h.failed.map((f) => f.kind), ['startup']);
  assert.equal(h.calls.some((c) => c.name === 'live'), false);
});
