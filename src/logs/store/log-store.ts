/**
 * The log store: every log group's events on disk under `<dataDir>/logs/<groupId>/`, one
 * GroupLog (group-log.ts) per group, opened on first use. A group is known here only by the
 * id its record in the Berth store carries, so a group deleted and created again under the
 * same name starts empty, and nothing of names or metadata lives in these files but the
 * stream id and name each batch carries.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { InputEvent } from './format.ts';
import { GroupLog, type AppendListener, type StoredEvent, type StreamStats } from './group-log.ts';
import type { Position } from './position.ts';

/** Groups whose files are open at once (an fd and the segment summaries each); least recently used closed first. */
export const MAX_OPEN_GROUPS = 256;

export type { StoredEvent, StreamStats } from './group-log.ts';

export class LogStore {
  private readonly root: string;
  /** Open groups, least recently used first (Map keeps insertion order). */
  private readonly open = new Map<string, GroupLog>();
  private readonly maxOpen: number;
  /** Live tail sessions listening per group (their number is bounded by the live tail quota). */
  private readonly listeners = new Map<string, Set<AppendListener>>();

  private readonly limits: ConstructorParameters<typeof GroupLog>[1];

  /** `maxOpen` and `limits` (segment sizes) are for tests of eviction and retention. */
  constructor(dataDir: string, maxOpen = MAX_OPEN_GROUPS, limits: ConstructorParameters<typeof GroupLog>[1] = {}) {
    this.root = join(dataDir, 'logs');
    this.maxOpen = maxOpen;
    this.limits = limits;
    mkdirSync(this.root, { recursive: true });
  }

  private group(groupId: string): GroupLog {
    if (!/^[0-9a-f]{32}$/.test(groupId)) throw new Error(`not a log group id: ${groupId}`);
    let log = this.open.get(groupId);
    if (log) {
      this.open.delete(groupId);
    } else {
      log = new GroupLog(join(this.root, groupId), this.limits, (streamId, streamName, ingestionTime, events) => {
        const set = this.listeners.get(groupId);
        if (!set) return;
        const decoded = events();
        for (const l of set) l(streamId, streamName, ingestionTime, decoded);
      });
      if (this.open.size >= this.maxOpen) {
        // The least recently used idle group is closed. A busy one never is: opening its files
        // again before its writes finish would make two writers. When every group is busy the
        // bound is passed until one is idle again (each holds one fd and its summaries).
        for (const [oldId, old] of this.open) {
          if (old.busy) continue;
          this.open.delete(oldId);
          void old.close();
          break;
        }
      }
    }
    this.open.set(groupId, log);
    return log;
  }

  /** Appends a batch to a stream (with the awslogs driver's producer offset, if given); resolves when it is durable. */
  append(groupId: string, streamId: string, streamName: string, ingestionTime: number, events: readonly InputEvent[], producerOffset?: number): Promise<void> {
    return this.group(groupId).append(streamId, streamName, ingestionTime, events, producerOffset);
  }

  /** `append` for events already encoded as a record holds them (the awslogs driver's batches). */
  appendEncoded(groupId: string, streamId: string, streamName: string, ingestionTime: number, count: number, region: Buffer, producerOffset?: number): Promise<void> {
    return this.group(groupId).appendEncoded(streamId, streamName, ingestionTime, count, region, producerOffset);
  }

  /** The highest producer offset stored for a stream: where its awslogs driver's durable output ends. */
  producerOffset(groupId: string, streamId: string): number | undefined {
    return this.group(groupId).producerOffset(streamId);
  }

  streamStats(groupId: string): Map<string, StreamStats> {
    return this.group(groupId).streamStats();
  }

  storedBytes(groupId: string): number {
    return this.group(groupId).storedBytes();
  }

  readStream(groupId: string, streamId: string, q: Parameters<GroupLog['readStream']>[1]): StoredEvent[] {
    return this.group(groupId).readStream(streamId, q);
  }

  scan(groupId: string, q: Parameters<GroupLog['scan']>[0]): { events: StoredEvent[]; next: Position | undefined } {
    return this.group(groupId).scan(q);
  }

  /** Drops whole segments whose every event is older than `cutoff` (retention). */
  dropBefore(groupId: string, cutoff: number): number {
    return this.group(groupId).dropBefore(cutoff);
  }

  /** Calls `listener` with every batch of the group once it is durable; returns the unsubscribe. */
  subscribe(groupId: string, listener: AppendListener): () => void {
    let set = this.listeners.get(groupId);
    if (!set) this.listeners.set(groupId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(groupId) === set) this.listeners.delete(groupId);
    };
  }

  /** Removes a group's files. */
  async destroy(groupId: string): Promise<void> {
    const log = this.group(groupId);
    this.open.delete(groupId);
    await log.destroy();
  }

  /**
   * Removes the directories of groups that no longer exist: a DeleteLogGroup whose record
   * was deleted but whose files were not (a crash between the two). Called before any
   * request is served, so no group can be created meanwhile.
   */
  removeOrphans(live: ReadonlySet<string>): string[] {
    const removed: string[] = [];
    for (const id of readdirSync(this.root)) {
      if (live.has(id) || this.open.has(id)) continue;
      rmSync(join(this.root, id), { recursive: true, force: true });
      removed.push(id);
    }
    return removed;
  }

  async close(): Promise<void> {
    for (const log of this.open.values()) await log.close();
    this.open.clear();
  }
}
