/**
 * The per-container state directory: the OCI bundle, conmon's persist and exit
 * directories, and a record of how the container was made. Everything an agent needs
 * to find a container again after kill -9 is in here, so it lives on a filesystem that
 * outlives the agent (e.g. /run/berth/containers/<id>).
 *
 *   <stateDir>/config.json       OCI runtime config (the directory is the bundle)
 *   <stateDir>/container.json    {@link ContainerRecord}
 *   <stateDir>/etc/              generated hosts, hostname, resolv.conf
 *   <stateDir>/conmon.pid        conmon's pid (-P)
 *   <stateDir>/pidfile           the container's init pid, host view (-p)
 *   <stateDir>/exits/<id>        exit status, written by conmon when the container ends
 *   <stateDir>/exit, oom         conmon's persist files: status again; oom if the cgroup hit OOM
 *   <stateDir>/conmon.err        conmon's stderr
 *   <stateDir>/ctl, winsz        conmon's FIFOs (`ctl` takes `1 <rows> <cols>\n`: a terminal's
 *                                size); <stateDir>/sockets/<id> -> <stateDir>
 */

import { readFileSync } from 'node:fs';
import { replaceFileSync } from '../../lib/replace-file.ts';
import { join } from 'node:path';
import type { OciRuntime } from './oci-runtime.ts';

/** Bumped when the record's meaning changes, so an old agent's leftovers are recognized. */
export const RECORD_VERSION = 1;

/** How a container was made: what reattach and cleanup need besides conmon's files. */
export interface ContainerRecord {
  readonly version: typeof RECORD_VERSION;
  readonly id: string;
  readonly runtime: OciRuntime;
  readonly cgroupsPath: string;
  /** The first cgroup level Berth owns (e.g. /berth); cleanup removes empty dirs up to, not including, it. */
  readonly cgroupParent: string;
  readonly logPath: string;
  readonly rootfsPath: string;
  readonly stopSignal: string;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Started with its stdin open (conmon -i): its attach socket takes input. Absent: stdin is /dev/null. */
  readonly stdin?: true;
  /** Started on a terminal (conmon -t, `process.terminal`): its attach socket carries the pty, whose size the `ctl` FIFO sets. */
  readonly terminal?: true;
}

export const statePaths = (stateDir: string, id: string) => ({
  config: join(stateDir, 'config.json'),
  record: join(stateDir, 'container.json'),
  etcDir: join(stateDir, 'etc'),
  conmonPid: join(stateDir, 'conmon.pid'),
  pidfile: join(stateDir, 'pidfile'),
  exitDir: join(stateDir, 'exits'),
  exitFile: join(stateDir, 'exits', id),
  oomFile: join(stateDir, 'oom'),
  conmonErr: join(stateDir, 'conmon.err'),
  socketDir: join(stateDir, 'sockets'),
});

export function writeJsonAtomic(path: string, value: unknown): void {
  replaceFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function readRecord(stateDir: string): ContainerRecord {
  const path = join(stateDir, 'container.json');
  const rec = JSON.parse(readFileSync(path, 'utf8')) as ContainerRecord;
  if (rec.version !== RECORD_VERSION) throw new Error(`${path}: record version ${rec.version}, this agent reads ${RECORD_VERSION}`);
  return rec;
}

/** A small decimal file (pid, exit status); undefined when absent or not (yet) a number. */
export function readNumberFile(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
  return /^-?[0-9]+$/.test(text) ? Number(text) : undefined;
}
