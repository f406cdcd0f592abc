/**
 * Where a server's CPU time went, from a V8 `.cpuprofile` (node --cpu-prof): self time per
 * function, and inclusive time (time with the function anywhere on the stack, counted once
 * per sample even when it recurses) for the functions of Berth's request path.
 *
 *   node bench/lib/cpu-profile.ts FILE.cpuprofile [TOP=30] [REQUESTS]   (REQUESTS: to show µs per request)
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface FunctionTime {
  readonly name: string;
  readonly ms: number;
  readonly share: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  /** Samples not idle: the CPU the process used. */
  readonly busyMs: number;
  readonly self: readonly FunctionTime[];
  readonly inclusive: readonly FunctionTime[];
}

/** Frames that are V8's bookkeeping rather than code. */
const IDLE = '(idle)';

export function summarize(path: string, top = 30): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    // timeDeltas[i] is the time before sample i; attribute it to that sample.
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const node = byId.get(id);
    if (!node) return;
    const key = frameName(node);
    if (key === IDLE) { idle += dt; return; }
    self.set(key, (self.get(key) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = frameName(byId.get(cur)!);
      if (!seen.has(k)) { seen.add(k); inclusive.set(k, (inclusive.get(k) ?? 0) + dt); }
    }
  });
  const busy = total - idle;
  const rank = (m: Map<string, number>, keep: (k: string) => boolean) => [...m]
    .filter(([k]) => keep(k))
    .sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, ms]) => ({ name, ms, share: ms / busy }));
  return {
    totalMs: total,
    busyMs: busy,
    self: rank(self, () => true),
    // Inclusive time is telling for our own code and the big library calls, not for the
    // event loop's frames that are on every stack.
    inclusive: rank(inclusive, (k) => k.includes('src/') || /^(JSON\.|parse |stringify |writeHead|end |_write|processTicksAndRejections)/.test(k)),
  };
}

function frameName(n: ProfileNode): string {
  const { functionName, url, lineNumber } = n.callFrame;
  if (!url) return functionName || '(anonymous native)';
  const root = url.indexOf('/src/');
  const where = root >= 0 ? url.slice(root + 1) : url.replace(/^file:\/\/.*\/(bench|node_modules)\//, '$1/');
  return `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
}

/** The summary as text; with `requests`, also the time per request in µs. */
export function formatSummary(s: ProfileSummary, requests?: number): string {
  const perRequest = (ms: number) => (requests ? `${((ms * 1000) / requests).toFixed(1).padStart(7)} µs/req` : '');
  const line = (f: FunctionTime) => `  ${f.ms.toFixed(0).padStart(7)} ms ${(f.share * 100).toFixed(1).padStart(5)}% ${perRequest(f.ms)}  ${f.name}`;
  return [
    `profile: ${s.totalMs.toFixed(0)} ms sampled, ${s.busyMs.toFixed(0)} ms busy (shares are of busy time)` +
      (requests ? `; ${requests} requests, ${perRequest(s.busyMs).trim()} busy` : ''),
    'self time:',
    ...s.self.map(line),
    'inclusive time (Berth code and library calls):',
    ...s.inclusive.map(line),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, top, requests] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: cpu-profile.ts FILE.cpuprofile [TOP] [REQUESTS]\n');
    process.exit(2);
  }
  console.log(formatSummary(summarize(file, Number(top ?? 30)), requests === undefined ? undefined : Number(requests)));
}

/**
 * The summary of the profile Berth's server process wrote into `dir` since `before` was listed
 * (NODE_OPTIONS reaches every node bin/berth runs: the server's is the largest).
 */
export function serverProfile(dir: string, before: ReadonlySet<string>): string | undefined {
  const server = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && !before.has(f)).map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size)[0];
  return server ? `${server}\n${formatSummary(summarize(server))}` : undefined;
}
