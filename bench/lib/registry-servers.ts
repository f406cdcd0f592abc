/**
 * The two registries of bench/registry-bench.ts, each its own process on 127.0.0.1:
 * Berth as users run it (`bin/berth up`, no agent, no registry auth so skopeo needs no
 * login), and the reference, Debian's `docker-registry` (distribution 2.8) on the
 * filesystem driver in a temp dir. Both are stopped by bench/lib/processes.ts at exit.
 */

import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ownCpuMs } from './cpu-usage.ts';
import { freePort, spawnTracked, stopGracefully, waitReady, type Service } from './processes.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface RegistryServer {
  readonly name: string;
  /** host:port, as image references name it. */
  readonly host: string;
  readonly service: Service;
  /** CPU time (user + system, all threads) the server process has used so far, in ms. */
  cpuMs(): number;
  stop(): Promise<void>;
}

export async function startBerth(dataDir: string): Promise<RegistryServer> {
  const port = await freePort();
  const service = spawnTracked(join(ROOT, 'bin/berth'), ['up', '--no-agent', '--no-registry-auth', '--port', String(port), '--data-dir', dataDir]);
  await waitReady(service, `http://127.0.0.1:${port}/v2/`, 'berth up');
  return server('berth', port, service);
}

export async function startReference(workDir: string): Promise<RegistryServer> {
  const port = await freePort();
  const config = join(workDir, 'reference.yml');
  await writeFile(config, [
    'version: 0.1',
    'log: {level: error}',
    'storage:',
    `  filesystem: {rootdirectory: ${join(workDir, 'reference-data')}}`,
    '  delete: {enabled: true}',
    `http: {addr: "127.0.0.1:${port}"}`,
  ].join('\n'));
  const service = spawnTracked('docker-registry', ['serve', config]);
  await waitReady(service, `http://127.0.0.1:${port}/v2/`, 'docker-registry');
  return server('reference', port, service);
}

function server(name: string, port: number, service: Service): RegistryServer {
  const pid = service.child.pid;
  if (pid === undefined) throw new Error(`${name} has no process id`);
  return {
    name,
    host: `127.0.0.1:${port}`,
    service,
    // bin/berth execs node, so the pid is the server's own.
    cpuMs: () => ownCpuMs(pid),
    stop: () => stopGracefully(service.child),
  };
}
