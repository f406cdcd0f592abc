/**
 * Running iproute2 and nftables: the only place that starts processes. Each call is one
 * process (`ip -batch -`, `nft -f -`) fed on stdin, started by the launcher (a shell
 * forks it, not Node: src/lib/launcher.ts).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { launch } from '../../lib/launcher.ts';

/** A command that should take milliseconds; a hang means a wedged kernel call, not load. */
const TOOL_TIMEOUT_MS = 30_000;
/** The Debian package that ships each tool, for the error a user sees. */
const PACKAGE_OF: Readonly<Record<string, string>> = { ip: 'iproute2', nft: 'nftables' };

export class MissingToolError extends Error {
  override name = 'MissingToolError';
}

export class ToolError extends Error {
  override name = 'ToolError';
  readonly stderr: string;
  constructor(message: string, stderr: string) {
    super(message);
    this.stderr = stderr;
  }
}

export interface ToolResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Tools {
  /** `ip [-force] [-n netns] -batch -`. With `tolerate`, a failing batch resolves instead of throwing. */
  ipBatch(lines: readonly string[], o?: { netns?: string; force?: boolean; tolerate?: boolean }): Promise<ToolResult>;
  /** `ip -j ARGS` in the host namespace, parsed. */
  ipJson(args: readonly string[]): Promise<unknown>;
  /** `nft -f -` in the host namespace. */
  nft(script: string, o?: { tolerate?: boolean }): Promise<ToolResult>;
  /** Reads /proc/sys/<path> in the host namespace. */
  readSysctl(path: string): Promise<string>;
  writeSysctl(path: string, value: string): Promise<void>;
  /** Fails with MissingToolError naming the Debian package when ip or nft is not installed. */
  check(): Promise<void>;
}

/** Tools acting on the caller's namespace, or on `hostNetns` when given (tests). */
export function createTools(hostNetns: string | undefined): Tools {
  const hostN = hostNetns ? ['-n', hostNetns] : [];
  return {
    async ipBatch(lines, o = {}) {
      const args = [...(o.force ? ['-force'] : []), ...(o.netns ? ['-n', o.netns] : []), '-batch', '-'];
      return run('ip', args, `${lines.join('\n')}\n`, o.tolerate ?? false);
    },
    async ipJson(args) {
      const r = await run('ip', [...hostN, '-j', ...args], '', false);
      return JSON.parse(r.stdout || '[]') as unknown;
    },
    async nft(script, o = {}) {
      // nsenter, not `ip netns exec`: that remounts /sys, where nft resolves the host-mode
      // guard's cgroup paths.
      const [cmd, args]: [string, string[]] = hostNetns ? ['nsenter', [`--net=/run/netns/${hostNetns}`, 'nft', '-f', '-']] : ['nft', ['-f', '-']];
      return run(cmd, args, script, o.tolerate ?? false, 'nft');
    },
    async readSysctl(path) {
      if (!hostNetns) return (await readFile(`/proc/sys/${path}`, 'utf8')).trim();
      return (await run('ip', ['netns', 'exec', hostNetns, 'cat', `/proc/sys/${path}`], '', false)).stdout.trim();
    },
    async writeSysctl(path, value) {
      if (!hostNetns) return writeFile(`/proc/sys/${path}`, value);
      await run('ip', ['netns', 'exec', hostNetns, 'sh', '-c', 'printf %s "$0" > "$1"', value, `/proc/sys/${path}`], '', false);
    },
    async check() {
      await run('ip', ['-V'], '', false);
      await run('nft', ['--version'], '', false);
    },
  };
}

async function run(cmd: string, args: readonly string[], input: string, tolerate: boolean, tool = cmd): Promise<ToolResult> {
  let result: ToolResult;
  try {
    result = await launch(cmd, args, { input, timeoutMs: TOOL_TIMEOUT_MS });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new MissingToolError(`'${cmd}' is not installed: install the Debian package ${PACKAGE_OF[cmd] ?? cmd} (apt-get install ${PACKAGE_OF[cmd] ?? cmd})`);
  }
  if (result.code === 0 || tolerate) return result;
  const detail = result.stderr.trim().split('\n').slice(0, 6).join(' | ');
  throw new ToolError(`${tool} exited ${result.code}: ${detail}${input ? `\n--- input ---\n${input}` : ''}`, result.stderr);
}
