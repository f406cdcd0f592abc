/**
 * The Spot reclaim settings (fargate.ts: SpotSettings) as stored: one record per region,
 * set by the operator (`berth spot settings`, through the admin API) and read by the Spot
 * controller (the reclaim model) and the Fargate pool (zone capacity).
 *
 *   berth spot settings --interruptions-per-hour 2 --capacity us-east-1a=4
 *        │ POST /_berth/spot/settings
 *        ▼
 *   parseSpotSettings (validate, merge over the current) ─▶ writeSpotSettings ─▶ /berth/spot/<region>/settings
 *        ▲                                                                        │
 *   readSpotSettings ◀── Spot controller, Fargate pool ◀──────────────────────────┘
 *
 * Absent: DEFAULT_SPOT_SETTINGS (no interruption, no zone limit). The record carries
 * `updatedAt`, so the reclaim model knows when the rate last changed (spot-reclaim.ts).
 */
import type { Store } from '../../store/store.ts';
import { fail } from '../errors.ts';
import { DEFAULT_SPOT_SETTINGS, type SpotSettings } from './fargate.ts';

/** The store key of a region's settings (outside every account: the operator's, not a caller's). */
export function spotSettingsKey(region: string): string {
  return `/berth/spot/${region}/settings`;
}

/** The highest rate accepted: one interruption per task per second on average, far past any test's need. */
export const MAX_INTERRUPTIONS_PER_HOUR = 3600;
/** Zones one settings record names at most (AWS regions have at most six). */
export const MAX_CAPACITY_ZONES = 64;
/** A zone's capacity at most: far above what one Berth runs. */
export const MAX_ZONE_CAPACITY = 1_000_000;
/** What a zone name looks like: us-east-1a, eu-west-3c, local-a. */
const ZONE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Settings as stored: SpotSettings and when they last changed. */
export interface StoredSpotSettings extends SpotSettings {
  /** Epoch ms of the last change; absent for the defaults. */
  readonly updatedAt?: number;
}

/** A change asked for: every field optional; `capacity` replaces the named zones, a value of -1 (`none`) drops one. */
export interface SpotSettingsChange {
  readonly interruptionsPerHour?: unknown;
  readonly seed?: unknown;
  readonly capacity?: unknown;
}

/** The region's settings, or the defaults when none were ever written. */
export async function readSpotSettings(store: Store, region: string): Promise<StoredSpotSettings> {
  const kv = await store.get(spotSettingsKey(region));
  return kv === undefined ? DEFAULT_SPOT_SETTINGS : (JSON.parse(kv.value) as StoredSpotSettings);
}

/**
 * Writes a region's settings whole (validated first: bad settings throw and change
 * nothing). Resolves once durable, with the settings as stored.
 */
export async function writeSpotSettings(store: Store, region: string, settings: SpotSettings, nowMs: number): Promise<StoredSpotSettings> {
  const checked = applySpotSettingsChange(DEFAULT_SPOT_SETTINGS, settings, nowMs);
  await store.txn({ ops: [{ type: 'put', key: spotSettingsKey(region), value: JSON.stringify(checked) }] });
  return checked;
}

/**
 * Changes a region's settings by read-modify-write (compare-and-set, retried on a
 * concurrent change), validating the change as a whole before anything is written.
 */
export async function changeSpotSettings(store: Store, region: string, change: SpotSettingsChange, nowMs: number): Promise<StoredSpotSettings> {
  for (let attempt = 0; ; attempt++) {
    const kv = await store.get(spotSettingsKey(region));
    const current = kv === undefined ? DEFAULT_SPOT_SETTINGS : (JSON.parse(kv.value) as StoredSpotSettings);
    const next = applySpotSettingsChange(current, change, nowMs);
    const r = await store.txn({ if: [{ key: spotSettingsKey(region), modRevision: kv?.modRevision ?? 0 }], ops: [{ type: 'put', key: spotSettingsKey(region), value: JSON.stringify(next) }] });
    if (r.ok) return next;
    if (attempt >= 10) fail('ConflictException', 'The Spot settings kept changing while this change was applied; run the command again.');
  }
}

/** Pure: `current` with `change` applied, validated. Throws InvalidParameterException naming the field. */
export function applySpotSettingsChange(current: SpotSettings, change: SpotSettingsChange, nowMs: number): StoredSpotSettings {
  let { interruptionsPerHour, seed } = current;
  const capacity: Record<string, number> = { ...current.capacity };
  if (change.interruptionsPerHour !== undefined) {
    const r = change.interruptionsPerHour;
    if (typeof r !== 'number' || !Number.isFinite(r) || r < 0 || r > MAX_INTERRUPTIONS_PER_HOUR) {
      fail('InvalidParameterException', `interruptionsPerHour must be a number from 0 to ${MAX_INTERRUPTIONS_PER_HOUR} (expected interruptions per running FARGATE_SPOT task per hour; 0 turns interruptions off).`);
    }
    interruptionsPerHour = r;
  }
  if (change.seed !== undefined) {
    const s = change.seed;
    if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0 || s > 0xffffffff) {
      fail('InvalidParameterException', 'seed must be a whole number from 0 to 4294967295.');
    }
    seed = s;
  }
  if (change.capacity !== undefined) {
    const c = change.capacity;
    if (typeof c !== 'object' || c === null || Array.isArray(c)) fail('InvalidParameterException', 'capacity must be an object of zone name to task count, such as {"us-east-1a": 4}.');
    for (const [zone, n] of Object.entries(c as Record<string, unknown>)) {
      if (!ZONE_NAME.test(zone)) fail('InvalidParameterException', `capacity: '${zone}' is not an availability zone name (lowercase letters, digits and dashes, such as us-east-1a).`);
      if (n === null || n === -1) {
        delete capacity[zone];
        continue;
      }
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > MAX_ZONE_CAPACITY) {
        fail('InvalidParameterException', `capacity of ${zone} must be a whole number of tasks from 0 to ${MAX_ZONE_CAPACITY} (or none, to lift the limit).`);
      }
      capacity[zone] = n;
    }
    if (Object.keys(capacity).length > MAX_CAPACITY_ZONES) fail('InvalidParameterException', `capacity names more than ${MAX_CAPACITY_ZONES} zones; drop some with ZONE=none.`);
  }
  return { interruptionsPerHour, seed, capacity, updatedAt: nowMs };
}
