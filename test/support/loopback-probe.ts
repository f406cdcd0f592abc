import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './berth.ts';

/**
 * Compiles test/fixtures/loopback-probe.c statically into `dir` (so it runs in a busybox
 * image; bin/test installs gcc and libc6-dev) and returns the binary's path.
 */
export function buildLoopbackProbe(dir: string): string {
  const out = join(dir, 'loopback-probe');
  execFileSync('cc', ['-static', '-O2', '-Wall', '-Wextra', '-Werror', '-o', out, join(ROOT, 'test/fixtures/loopback-probe.c')], { stdio: 'pipe' });
  return out;
}
