/**
 * One `berth up --no-agent` shared by the tests of a file (or of a `describe`), its state
 * wiped before each test, so each starts from a clean slate without paying for a start:
 *
 *   const berth = sharedBerth();   // at the top of the file, or first in a describe
 *   test('…', async () => { … berth.endpoint … });
 *
 * It registers the hooks where it is called: `before` starts Berth, `beforeEach` resets it
 * (POST /_berth/reset: every account's and region's state, the registry's and S3's files),
 * `after` stops it and removes its data dir. The answer stands for the Berth once `before`
 * has run: read it inside tests and hooks, not while the file is loading.
 */
import { after, before, beforeEach } from 'node:test';
import { startBerth, type BerthProcess } from './berth.ts';

export function sharedBerth(extraArgs: readonly string[] = []): BerthProcess {
  let berth: BerthProcess | undefined;
  const started = (): BerthProcess => {
    if (!berth) throw new Error('the shared Berth starts in the before hook sharedBerth() registered: use it inside tests and hooks');
    return berth;
  };
  before(async () => { berth = await startBerth(extraArgs); });
  after(async () => { await berth?.stop(); });
  beforeEach(async () => { await resetBerth(started().endpoint); });
  return {
    get endpoint() { return started().endpoint; },
    get port() { return started().port; },
    get dataDir() { return started().dataDir; },
    joinToken: () => started().joinToken(),
    pid: () => started().pid(),
    log: () => started().log(),
    kill9: () => started().kill9(),
    restart: () => started().restart(),
    stop: (options) => started().stop(options),
  };
}

/** Wipes a running Berth's state (POST /_berth/reset from this host, which needs no token); a refusal fails the caller. */
export async function resetBerth(endpoint: string): Promise<void> {
  const res = await fetch(`${endpoint}/_berth/reset`, { method: 'POST' });
  const body = await res.text();
  if (!res.ok) throw new Error(`POST /_berth/reset answered ${res.status}: ${body}`);
}
