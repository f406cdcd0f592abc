/**
 * Prints, syscall by syscall, where the seccomp filter Berth gives a container differs
 * from the one Docker's default profile gives it: x86_64, Docker's default capabilities
 * (or those named). src/runtime/container/seccomp.md is this output, annotated.
 *
 *   node scripts/seccomp-compare.ts DOCKER_PROFILE [BERTH_PROFILE] [--caps CAP_A,CAP_B]
 *
 * DOCKER_PROFILE is moby's profiles/seccomp/default.json (not kept in this repository);
 * BERTH_PROFILE defaults to Debian's /usr/share/containers/seccomp.json. Docker's side is
 * the profile's rules for those capabilities as they are; Berth's side is what the agent
 * writes into config.json (convertSeccompProfile, Docker's stricter rules included).
 */

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DOCKER_DEFAULT_CAPABILITIES } from '../src/runtime/container/capabilities.ts';
import { SECCOMP_PROFILE_PATH } from '../src/runtime/container/host-facts.ts';
import { compareFilters } from '../src/runtime/container/seccomp-compare.ts';
import { convertSeccompProfile, selectProfileRules } from '../src/runtime/container/seccomp.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { caps: { type: 'string' } } });
const [dockerPath, berthPath = SECCOMP_PROFILE_PATH] = positionals;
if (dockerPath === undefined) {
  process.stderr.write('usage: node scripts/seccomp-compare.ts DOCKER_PROFILE [BERTH_PROFILE] [--caps CAP_A,CAP_B]\n');
  process.exit(2);
}
const capabilities = values.caps ? values.caps.split(',') : [...DOCKER_DEFAULT_CAPABILITIES];
const options = { arch: 'amd64', capabilities };
const read = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));
const docker = selectProfileRules(read(dockerPath), options);
const berth = convertSeccompProfile(read(berthPath), options);

const cell = (lines: readonly string[]) => lines.join('<br>');
process.stdout.write(`Default: Docker ${docker.defaultAction} ${docker.defaultErrnoRet ?? ''}, Berth ${berth.defaultAction} ${berth.defaultErrnoRet ?? ''}\n\n`);
process.stdout.write('| syscall | Docker | Berth | verdict |\n|---|---|---|---|\n');
for (const d of compareFilters(docker, berth)) {
  const verdict = d.verdict === 'left stricter' ? 'Docker stricter' : d.verdict === 'right stricter' ? 'Berth stricter' : d.verdict;
  process.stdout.write(`| ${d.name} | ${cell(d.left)} | ${cell(d.right)} | ${verdict} |\n`);
}
