/**
 * Test fixtures for the container runtime: rootfs directories unpacked from the test
 * images (test/fixtures/images) with src/oci's applyLayer, a scratch area whose cgroup
 * parent, runtime dir and state dirs are unique per test process, and a leak check.
 *
 *   const fx = await RuntimeFixture.create('berth-test-rt');
 *   const { rootfs, config } = await fx.rootfs('busybox');
 *   const c = await Container.create(fx.options('c1', { rootfsPath: rootfs, image: config, definition: {...} }, runtime));
 *   ...
 *   await fx.cleanup();   // deletes any container left, then checks nothing leaked
 */

import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestImage, type TestImageName } from '../../../../test/fixtures/images/build.ts';
import { applyLayer } from '../../../oci/layer-apply.ts';
import { openLayout } from '../../../oci/layout.ts';
import { resolveImage } from '../../../oci/image-source.ts';
import type { ContainerConfig } from '../../../oci/media-types.ts';
import { hierarchies } from '../cgroups.ts';
import type { CreateOptions } from '../container.ts';
import type { OciRuntime } from '../oci-runtime.ts';
import { reattach, stateDirsUnder } from '../reattach.ts';

/** What the runtime tests run on (runtime-notes §6): installed with apt-get when missing, tests only. */
export const RUNTIME_TEST_PACKAGES = ['crun', 'runc', 'conmon', 'catatonit', 'golang-github-containers-common'];

export function ensureRuntimePackages(): void {
  const missing = RUNTIME_TEST_PACKAGES.filter((p) => {
    try {
      return !execFileSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).includes('install ok installed');
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env, stdio: 'ignore' });
  try {
    install();
  } catch {
    execFileSync('apt-get', ['update', '-qq'], { env, stdio: 'ignore' });
    install();
  }
}

export interface UnpackedImage {
  readonly rootfs: string;
  readonly config: ContainerConfig;
}

export class RuntimeFixture {
  /** Scratch root: images, rootfs dirs, state dirs, logs. */
  readonly work: string;
  /** Per-process cgroup parent, e.g. /berth-test-rt-1234. */
  readonly cgroupParent: string;
  /** Per-process runtime dir (wrapper, runtime --root). */
  readonly runDir: string;
  #unpacked = new Map<string, Promise<UnpackedImage>>();

  private constructor(prefix: string) {
    this.work = mkdtempSync(join(tmpdir(), `${prefix}-`));
    this.cgroupParent = `/${prefix}-${process.pid}`;
    this.runDir = mkdtempSync(join('/run', `${prefix}-`));
  }

  static async create(prefix: string): Promise<RuntimeFixture> {
    return new RuntimeFixture(prefix);
  }

  get containersDir(): string {
    return join(this.work, 'containers');
  }

  /** An unpacked copy of a test image (one per image and fixture; containers may share it read-only). */
  rootfs(name: TestImageName, copy = ''): Promise<UnpackedImage> {
    const key = `${name}/${copy}`;
    let p = this.#unpacked.get(key);
    if (p === undefined) {
      p = this.#unpack(name, key.replace('/', '-'));
      this.#unpacked.set(key, p);
    }
    return p;
  }

  async #unpack(name: TestImageName, dirName: string): Promise<UnpackedImage> {
    const image = await buildTestImage(name);
    const rootfs = join(this.work, 'rootfs', dirName);
    mkdirSync(rootfs, { recursive: true });
    const source = await openLayout(image.dir);
    try {
      const resolved = await resolveImage(source, 'latest');
      for (const layer of resolved.manifest.layers) await applyLayer(rootfs, await source.open(layer.digest));
      return { rootfs, config: resolved.config.config ?? {} };
    } finally {
      await source.close();
    }
  }

  /** Create options for container `name` (id, state dir, cgroups path, log) around the given spec input. */
  options(name: string, input: Pick<CreateOptions, 'rootfsPath' | 'image' | 'definition'> & Partial<CreateOptions>, runtime: OciRuntime): CreateOptions {
    const id = `${runtime.name}-${name}-${process.pid}`;
    return {
      id,
      stateDir: join(this.containersDir, id),
      runtime,
      cgroupParent: this.cgroupParent,
      cgroupsPath: `${this.cgroupParent}/task-${name}/${name}`,
      logPath: join(this.work, 'logs', `${id}.log`),
      network: { mode: 'none' },
      defaultHostname: name,
      ...input,
    };
  }

  /** Deletes every container still in the state dirs, then removes cgroups, runtime dir and scratch. */
  async cleanup(): Promise<void> {
    for (const dir of stateDirsUnder(this.containersDir)) {
      const found = await reattach(dir).catch(() => undefined);
      await found?.container.delete().catch((e: unknown) => console.error(`cleanup of ${dir}: ${String(e)}`));
    }
    for (const h of hierarchies()) {
      if (existsSync(join(h, this.cgroupParent))) {
        try {
          execFileSync('find', [join(h, this.cgroupParent), '-depth', '-type', 'd', '-exec', 'rmdir', '{}', ';'], { stdio: 'ignore' });
        } catch {
          // reported by leaks()
        }
      }
    }
    rmSync(this.runDir, { recursive: true, force: true });
    rmSync(this.work, { recursive: true, force: true });
  }

  /** What this fixture left behind: conmon processes, cgroups, mounts under the scratch dirs. */
  leaks(): string[] {
    const out: string[] = [];
    for (const h of hierarchies()) if (existsSync(join(h, this.cgroupParent))) out.push(`cgroup ${join(h, this.cgroupParent)}`);
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '');
    for (const m of mounts) if (m.startsWith(this.work) || m.startsWith(this.runDir)) out.push(`mount ${m}`);
    out.push(...conmonsOf(this.work).map((p) => `conmon ${p}`));
    return out;
  }
}

/** Pids of conmon processes whose command line mentions `dir` (each test's own, not other engineers'). */
export function conmonsOf(dir: string): number[] {
  let out = '';
  try {
    out = execFileSync('pgrep', ['-f', `conmon .*${dir}`], { encoding: 'utf8' });
  } catch {
    return [];
  }
  return out.split('\n').filter(Boolean).map(Number);
}

/**
 * The one fixture of a runtime test file: made before its tests (as root, with the
 * runtime packages installed), cleaned after them with a check that nothing was left
 * behind. Returns how the tests reach it.
 */
export function useRuntimeFixture(name: string, isRoot: boolean): () => RuntimeFixture {
  let fx: RuntimeFixture | undefined;
  before(async () => {
    if (!isRoot) return;
    ensureRuntimePackages();
    fx = await RuntimeFixture.create(name);
  });
  after(async () => {
    if (!fx) return;
    await fx.cleanup();
    assert.deepEqual(fx.leaks(), [], 'nothing left behind');
  });
  return () => fx!;
}

/** What {@link probeOutput} needs of a container: created, not yet started. */
interface ProbeContainer {
  readonly record: { readonly logPath: string };
  start(): Promise<void>;
  wait(timeoutMs: number): Promise<{ exitCode?: number } | undefined>;
  delete(): Promise<unknown>;
}

/**
 * Starts a probe container, deletes it after the test, checks it exits 0 within `waitMs`
 * and reads what it printed as `key<separator>value` lines: how the isolation probes
 * (runtime, keyring, network) report what they found.
 */
export async function probeOutput(t: { after: (fn: () => Promise<void>) => void }, c: ProbeContainer, waitMs: number, separator: '=' | ' ' = '='): Promise<Record<string, string>> {
  t.after(async () => {
    await c.delete();
  });
  await c.start();
  assert.equal((await c.wait(waitMs))?.exitCode, 0);
  const line = new RegExp(` stdout F (\\w+)${separator}(.*)$`);
  const out: Record<string, string> = {};
  for (const text of readFileSync(c.record.logPath, 'utf8').split('\n')) {
    const m = line.exec(text);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}
