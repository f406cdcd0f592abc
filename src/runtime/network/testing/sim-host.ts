/**
 * A simulated pair of hosts for network tests, so tests never change the real host's
 * networking: `host` is a network namespace that plays the Berth host (the manager runs its
 * host-side commands there through `hostNetns`), and `peer` plays another machine on the
 * host's LAN, joined to it by a veth pair:
 *
 *   [peer] up0 198.51.100.2/24 ──veth── up0 198.51.100.1/24 [host] ── berth bridges ── tasks
 *
 * Workloads are real processes (busybox, node) started inside task namespaces.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cgroup2Mount } from '../../container/cgroup2.ts';

/** TEST-NET-2 (RFC 5737): never routed anywhere real. */
export const HOST_IP = '198.51.100.1';
export const PEER_IP = '198.51.100.2';
const UPLINK_PREFIX = 24;
/** A fresh busybox httpd answers within a few ms; allow 2 s on a loaded machine. */
const READY_TRIES = 40;
const READY_POLL_MS = 50;
/** A probe that should fail is given this long (s): drops show up as timeouts. */
export const PROBE_TIMEOUT_S = 1;

export interface Exec {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function exec(cmd: string, args: readonly string[], input = ''): Promise<Exec> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: 30_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 128, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

export async function ok(cmd: string, args: readonly string[], input = ''): Promise<string> {
  const r = await exec(cmd, args, input);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

export class SimHosts {
  readonly host: string;
  readonly peer: string;
  readonly #children: { netns: string; child: ChildProcess }[] = [];
  readonly #dirs: string[] = [];

  constructor(prefix: string) {
    this.host = `${prefix}host`;
    this.peer = `${prefix}peer`;
  }

  /** Creates both namespaces and the link; `routes` are CIDRs the peer reaches through the host. */
  async create(routes: readonly string[]): Promise<void> {
    await ok('ip', ['-batch', '-'], `netns add ${this.host}\nnetns add ${this.peer}\n`);
    await ok('ip', ['-n', this.host, '-batch', '-'], [
      'link set dev lo up',
      `link add up0 type veth peer name up0 netns ${this.peer}`,
      `addr add ${HOST_IP}/${UPLINK_PREFIX} dev up0`,
      'link set dev up0 up',
    ].join('\n'));
    await ok('ip', ['-n', this.peer, '-batch', '-'], [
      'link set dev lo up',
      `addr add ${PEER_IP}/${UPLINK_PREFIX} dev up0`,
      'link set dev up0 up',
      ...routes.map((r) => `route add ${r} via ${HOST_IP}`),
    ].join('\n'));
  }

  /** Runs a command inside a namespace. */
  in(netns: string, cmd: string, args: readonly string[], input = ''): Promise<Exec> {
    return exec('ip', ['netns', 'exec', netns, cmd, ...args], input);
  }

  /** Starts a long-running process inside a namespace; stopped by destroy(). */
  serve(netns: string, cmd: string, args: readonly string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', netns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#children.push({ netns, child });
    return child;
  }

  /** Kills the processes serve() started in these namespaces (all when none are named), as a runtime stops a task's containers. */
  async stop(...netns: string[]): Promise<void> {
    const doomed = this.#children.filter((c) => netns.length === 0 || netns.includes(c.netns)).map((c) => c.child);
    for (const c of doomed) c.kill('SIGKILL');
    await Promise.all(doomed.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('close', r)))));
  }

  /** Serves `body` over HTTP on `port` with busybox httpd inside `netns`; resolves once it answers. */
  async serveHttp(netns: string, port: number, body: string): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'berth-net-www-'));
    this.#dirs.push(dir);
    writeFileSync(join(dir, 'index.html'), body);
    this.serve(netns, 'busybox', ['httpd', '-f', '-p', String(port), '-h', dir]);
    for (let i = 0; i < READY_TRIES; i++) {
      if ((await this.get(netns, `http://127.0.0.1:${port}/`, 1)) === body) return;
      await sleep(READY_POLL_MS);
    }
    throw new Error(`httpd on ${netns}:${port} did not come up`);
  }

  /**
   * A UDP echo server on `port` inside `netns` (node: busybox-static's nc has no -u); it
   * answers `pong:<message>`.
   */
  async serveUdpEcho(netns: string, port: number): Promise<void> {
    const script = `const s=require('node:dgram').createSocket('udp4');s.on('message',(m,r)=>s.send('pong:'+m,r.port,r.address));s.bind(${port},()=>console.log('ready'));`;
    const child = this.serve(netns, process.execPath, ['-e', script]);
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (c: Buffer) => c.toString().includes('ready') && resolve());
      child.once('close', () => reject(new Error(`udp echo in ${netns} exited`)));
    });
  }

  /** Sends one UDP datagram from inside `netns`; the answer, or undefined after the timeout. */
  async udp(netns: string, host: string, port: number, message: string): Promise<string | undefined> {
    const script = `const s=require('node:dgram').createSocket('udp4');setTimeout(()=>process.exit(2),${PROBE_TIMEOUT_S * 1000});s.on('message',(m)=>{process.stdout.write(String(m));process.exit(0)});s.send(${JSON.stringify(message)},${port},${JSON.stringify(host)});`;
    const r = await this.in(netns, process.execPath, ['-e', script]);
    return r.code === 0 ? r.stdout : undefined;
  }

  /** HTTP GET from inside `netns`; the body, or undefined when it failed within the timeout. */
  async get(netns: string, url: string, timeoutS = 3): Promise<string | undefined> {
    const r = await this.in(netns, 'curl', ['-sS', '--max-time', String(timeoutS), url]);
    return r.code === 0 ? r.stdout : undefined;
  }

  async destroy(): Promise<void> {
    await this.stop();
    for (const d of this.#dirs) rmSync(d, { recursive: true, force: true });
    await exec('ip', ['-force', '-batch', '-'], `netns del ${this.host}\nnetns del ${this.peer}\n`);
  }
}

/** Every /run/netns entry starting with `prefix`. */
export async function namespacesWithPrefix(prefix: string): Promise<string[]> {
  const out = await ok('ip', ['netns', 'list']);
  return out.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(prefix));
}

/**
 * A network test's teardown: the manager removes every task it set up and closes, the
 * simulated hosts and the state dir go (and `cgroupTop`, the cgroup v2 tree host-mode tasks
 * were given, with the link nft resolves it through on hybrid hosts), and then no namespace with the test's prefix may
 * be left (what the manager made is checked, whatever failed before).
 */
export async function tearDownNetworkTest(manager: { cleanupAll(): Promise<unknown>; close(): Promise<unknown> } | undefined, sim: SimHosts, stateDir: string, prefix: string, cgroupTop?: string): Promise<void> {
  try {
    await manager?.cleanupAll();
    await manager?.close();
  } finally {
    await sim.destroy();
    rmSync(stateDir, { recursive: true, force: true });
    if (cgroupTop !== undefined) removeCgroupTree(cgroupTop);
  }
  const left = await namespacesWithPrefix(prefix);
  if (left.length > 0) throw new Error(`namespaces left behind: ${left.join(', ')}`);
}

/** Removes a test's cgroup v2 tree (leaves first) and its /sys/fs/cgroup link; what is gone already is fine. */
function removeCgroupTree(top: string): void {
  rmSync(`/sys/fs/cgroup/${top}`, { force: true });
  const mount = cgroup2Mount();
  if (mount === undefined) return;
  const remove = (dir: string): void => {
    let children: string[] = [];
    try {
      children = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(dir, d.name));
    } catch { return; }
    for (const child of children) remove(child);
    try {
      rmdirSync(dir);
    } catch { /* busy or gone: the namespace check below still runs */ }
  };
  remove(join(mount, top));
}
