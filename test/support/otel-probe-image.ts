/**
 * The image a Fargate task runs OpenTelemetry's ECS detector from (a Fargate task takes no
 * host volumes, so the bridge tasks' way of binding the checkout does not apply): this
 * test process's Node with the shared libraries ldd names, the detector and the packages
 * it loads from this checkout's node_modules, and otel-ecs-detect.ts, in one uncompressed
 * layer (nothing to gain from compressing it for a registry on the same machine).
 *
 *   /probe/node                       process.execPath
 *   /probe/detect.ts                  test/support/otel-ecs-detect.ts
 *   /probe/node_modules/@opentelemetry/{api,core,resources,semantic-conventions,resource-detector-aws}
 *   /lib/x86_64-linux-gnu/…, /lib64/… the libraries, at the paths ldd resolved
 *
 * Its command prints one line (so the awslogs stream exists) and keeps Node idle.
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { LayoutWriter } from '../../src/oci/layout.ts';
import { writeImage, writeLayer } from '../../src/oci/image-writer.ts';
import type { TarEntryInput } from '../../src/oci/tar-writer.ts';
import { sharedLibraries } from '../../src/images/samples/debian.ts';
import { ROOT } from './berth.ts';

/** The packages the detector imports at run time (its dependencies and peer), as npm installed them here. */
const PACKAGES = ['api', 'core', 'resources', 'semantic-conventions', 'resource-detector-aws'].map((p) => `@opentelemetry/${p}`);

export const PROBE_NODE = '/probe/node';
export const PROBE_SCRIPT = '/probe/detect.ts';

/** A host file as a layer entry at `path`, streamed (Node is 120 MB). */
async function hostFile(path: string, source: string): Promise<TarEntryInput> {
  const real = await realpath(source);
  const s = await stat(real);
  return { path, mode: s.mode & 0o7777, size: s.size, stream: () => createReadStream(real) };
}

async function tree(dir: string, under: string, out: TarEntryInput[]): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    const inLayer = `${under}/${e.name}`;
    if (e.isDirectory()) await tree(path, inLayer, out);
    else if (e.isFile()) out.push({ path: inLayer, body: await readFile(path), mode: 0o644 });
  }
}

/** Writes the probe image as an OCI layout in `dir` (tag latest), for `berth image import`. */
export async function writeProbeImage(dir: string): Promise<void> {
  const entries: TarEntryInput[] = [
    await hostFile(PROBE_NODE.slice(1), process.execPath),
    { path: PROBE_SCRIPT.slice(1), body: await readFile(join(ROOT, 'test/support/otel-ecs-detect.ts')), mode: 0o644 },
    { path: 'tmp', type: 'directory', mode: 0o1777 },
  ];
  for (const lib of await sharedLibraries(process.execPath)) entries.push(await hostFile(lib.slice(1), lib));
  for (const p of PACKAGES) await tree(join(ROOT, 'node_modules', p), `probe/node_modules/${p}`, entries);
  // Every parent directory listed before its files, as image tools write them.
  const dirs = new Set<string>();
  for (const e of entries) {
    const parts = e.path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  for (const e of entries) if (e.type === 'directory') dirs.delete(e.path);
  const all = [...[...dirs].map((d): TarEntryInput => ({ path: d, type: 'directory', mode: 0o755 })), ...entries]
    .sort((a, b) => a.path.localeCompare(b.path, 'en'));
  const writer = await LayoutWriter.open(dir);
  const layer = await writeLayer(writer, all, { compression: 'none' });
  await writeImage(writer, {
    layers: [layer],
    config: {
      Env: ['PATH=/probe'], WorkingDir: '/probe',
      Cmd: [PROBE_NODE, '-e', 'console.log("started"); setInterval(() => {}, 1 << 30)'],
    },
  }, 'latest');
  await writer.commit();
}
