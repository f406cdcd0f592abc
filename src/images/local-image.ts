/**
 * What the agent needs to know about a pulled image to run a container from it: the
 * manifest that was pulled, the run settings from its config, and its layers (by
 * diff_id, bottom first).
 */

import type { Digest } from '../oci/digest.ts';
import type { ImageConfig } from '../oci/media-types.ts';

/** Docker's HEALTHCHECK as images carry it; durations are nanoseconds. */
export interface ImageHealthcheck {
  /** `["NONE"]`, `["CMD", args...]` or `["CMD-SHELL", command]`. */
  readonly Test?: readonly string[];
  readonly Interval?: number;
  readonly Timeout?: number;
  readonly StartPeriod?: number;
  readonly Retries?: number;
}

/** The image config's run settings (config.md "config"), which task definitions may override. */
export interface RunConfig {
  readonly Cmd?: readonly string[];
  readonly Entrypoint?: readonly string[];
  readonly Env?: readonly string[];
  readonly WorkingDir?: string;
  readonly User?: string;
  readonly ExposedPorts?: readonly string[];
  readonly StopSignal?: string;
  readonly Healthcheck?: ImageHealthcheck;
  readonly Labels?: Readonly<Record<string, string>>;
  readonly Volumes?: readonly string[];
}

export interface LocalImage {
  /** The references it was pulled as, resolved (`127.0.0.1:8700/library/nginx:latest`). */
  readonly references: readonly string[];
  /** The platform manifest's digest (not the index's). */
  readonly manifestDigest: Digest;
  /** The index the reference named, when it named one. */
  readonly indexDigest?: Digest;
  readonly configDigest: Digest;
  readonly os: string;
  readonly architecture: string;
  readonly config: RunConfig;
  /** diff_ids, bottom layer first. */
  readonly layers: readonly Digest[];
  /** Bytes downloaded for the layers (compressed). */
  readonly size: number;
  readonly pulledAt: string;
}

/** The run settings of an image config; fields of the wrong type are left out rather than trusted. */
export function runConfigOf(config: ImageConfig): RunConfig {
  const c = (config.config ?? {}) as Record<string, unknown>;
  const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? v : undefined);
  const string = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const keys = (v: unknown): string[] | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : undefined);
  const out: Record<string, unknown> = {
    Cmd: strings(c.Cmd),
    Entrypoint: strings(c.Entrypoint),
    Env: strings(c.Env),
    WorkingDir: string(c.WorkingDir),
    User: string(c.User),
    ExposedPorts: keys(c.ExposedPorts),
    StopSignal: string(c.StopSignal),
    Healthcheck: healthcheckOf(c.Healthcheck),
    Labels: labelsOf(c.Labels),
    Volumes: keys(c.Volumes),
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as RunConfig;
}

function healthcheckOf(v: unknown): ImageHealthcheck | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const h = v as Record<string, unknown>;
  const n = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : undefined);
  const test = Array.isArray(h.Test) && h.Test.every((s) => typeof s === 'string') ? (h.Test as string[]) : undefined;
  const out = { Test: test, Interval: n(h.Interval), Timeout: n(h.Timeout), StartPeriod: n(h.StartPeriod), Retries: n(h.Retries) };
  return Object.fromEntries(Object.entries(out).filter(([, x]) => x !== undefined)) as ImageHealthcheck;
}

function labelsOf(v: unknown): Record<string, string> | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const entries = Object.entries(v as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string');
  return entries.length ? Object.fromEntries(entries) : undefined;
}
