/**
 * A running container's probes as its task runner starts them: `started` and `ready` kept on
 * its slot (and reported through `changed`); a failed startup or liveness probe stops the
 * container with the probe's grace period (else its stop timeout), and the runner's exit
 * watch then hands it to its restart policy, as the kubelet does.
 */
import { stopTimeoutSeconds } from '../../runtime/container/index.ts';
import type { Slot } from '../task-slot.ts';
import { startProbes } from './container-probes.ts';

export interface SlotProbeDeps {
  now(): number;
  log(line: string): void;
  /** The slot's started or ready moved: report it. */
  changed(): void;
}

/** Starts the probes of `slot` (which has probes and a running container), reaching it at `address`. */
export function probeSlot(slot: Slot, address: string, deps: SlotProbeDeps): void {
  const container = slot.container!;
  const name = slot.spec.name;
  const target = { address, exec: async (argv: readonly string[], timeoutMs: number) => (await container.exec(argv, { timeoutMs })).exitCode };
  const running = startProbes(slot.spec.probes!, target, slot.startedAt ?? deps.now(), {
    onVerdict: (v) => {
      slot.started = v.started;
      slot.ready = v.ready;
      deps.changed();
    },
    onFailed: (kind, grace) => {
      deps.log(`${name}: its ${kind} probe failed; stopping it`);
      slot.ready = false;
      void container.stop(stopTimeoutSeconds(grace ?? slot.spec.stopTimeout)).catch((e: Error) => deps.log(`${name}: stop: ${e.message}`));
    },
  });
  slot.probes = running;
  ({ started: slot.started, ready: slot.ready } = running.verdict());
}
