/**
 * Processes and temp dirs of a benchmark, cleaned up whatever happens: on a normal end, on
 * an error, on Ctrl-C (SIGINT), SIGTERM or SIGHUP. Each child runs in its own process
 * group so that a wrapper script (bin/berth execs node, but a shell may sit between) and
 * everything it started go together.
 */

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** How long a service gets to answer its readiness probe after it was spawned. */
const START_TIMEOUT_MS = 30_000;
/** How long a service gets to exit after SIGINT before it is killed. */
const STOP_TIMEOUT_MS = 10_000;

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
let hooked = false;

function hook(): void {
  if (hooked) return;
  hooked = true;
  // 'exit' handlers run synchronously: kill and rm are both synchronous here.
  process.on('exit', cleanupNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, cleaning up\n`);
      cleanupNow();
      process.exit(128 + constants.signals[signal]);
    });
  }
}

/** Kills every child still running (SIGKILL to its group) and removes every temp dir. */
export function cleanupNow(): void {
  for (const child of children) killGroup(child, 'SIGKILL');
  children.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

/** A fresh temp dir (under `parent`, the system temp dir by default), removed at exit. */
export function tempDir(prefix: string, parent = tmpdir()): string {
  hook();
  const dir = mkdtempSync(join(parent, prefix));
  dirs.add(dir);
  return dir;
}

/** A long-running child and the end of what it wrote to stderr (to say why it failed). */
export interface Service {
  readonly child: ChildProcess;
  stderrTail(): string;
}

/** Spawns a long-running child in its own process group; it is killed at exit. */
export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions = {}): Service {
  hook();
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], ...options, detached: true });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const tail: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    tail.push(s);
    if (tail.length > 50) tail.shift();
  });
  return { child, stderrTail: () => tail.join('') };
}

/** SIGKILL the child's whole group and wait until it is gone (kill -9: no chance to flush). */
export async function killHard(child: ChildProcess): Promise<void> {
  const gone = exited(child);
  killGroup(child, 'SIGKILL');
  await gone;
}

/** SIGINT, as Ctrl-C would send; SIGKILL if it has not exited in time. */
export async function stopGracefully(child: ChildProcess, timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
  const gone = exited(child);
  killGroup(child, 'SIGINT');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), timeoutMs);
  await gone;
  clearTimeout(timer);
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try { child.kill(signal); } catch { /* already gone */ }
  }
}

/** Polls `url` until it answers 2xx; fails early if the child exits. */
export async function waitReady({ child, stderrTail }: Service, url: string, name: string, timeoutMs = START_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${stderrTail()}`);
    }
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      if (r.ok) return;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`${name} did not answer ${url} within ${timeoutMs} ms:\n${stderrTail()}`);
    await sleep(50);
  }
}

/** A TCP port free on 127.0.0.1 right now (the test suite's helper: one implementation). */
export { freePort } from '../../test/support/berth.ts';

/**
 * The command prefix that pins a process to some CPUs (`taskset -c LIST`), or nothing when
 * pinning is off or taskset is missing. On a 2-core machine the server gets one core and
 * the load generator the other, so neither steals the other's time.
 */
export function pinned(cpus: string | undefined): string[] {
  return cpus === undefined ? [] : ['taskset', '-c', cpus];
}

/** Runs a command to completion and returns what it printed; rejects on a non-zero exit. */
export function run(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<{ stdout: string; stderr: string }> {
  hook();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options, detached: true });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => { out += s; });
    child.stderr?.setEncoding('utf8').on('data', (s: string) => { err += s; });
    child.once('error', (e) => { children.delete(child); reject(e); });
    child.once('close', (code, signal) => {
      children.delete(child);
      if (code === 0) resolve({ stdout: out, stderr: err });
      else reject(new Error(`${command} ${args.join(' ')} exited ${code ?? signal}:\n${err || out}`));
    });
  });
}
