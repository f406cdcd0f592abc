/**
 * The fast placement session: `openSession(snapshot)`, equivalent to `referenceSession`
 * (session.ts) and built so a request of 10 on 10,000 instances costs its 10 placements,
 * not a pass over the instances.
 *
 *   slots: the working copy, one PlacementInstance per slot in registration order
 *          (a deleted instance leaves a hole; a new one takes the next slot)
 *     │ every change to a slot (a task placed, set, delete) is written to the change log
 *     ▼
 *   shapes (LRU, MAX_SHAPES): per request shape, the candidates and their selector tree
 *     place(r): the shape of r catches up on the log (re-checks each slot named there),
 *               then picks, takes, and re-checks the slot it took, as place() does
 *
 * A shape not used for a while is rebuilt rather than caught up when the log has moved on
 * by more than it keeps (CHANGE_LOG_ENTRIES) or than there are slots, or the session
 * outgrew its arrays.
 *
 * An instance's ARN names one instance of the cluster: a snapshot that lists an ARN twice is
 * outside the contract (set() and delete() act on the first).
 */
import { constraintFilters } from './constraints.ts';
import { filtersFor } from './filters.ts';
import { Shape, shapeKey } from './session-shape.ts';
import type { OpenSession, PlacementSession } from './session.ts';
import { Slot } from './slot.ts';
import type { Failure, PlacementInstance, PlacementRequest, PlacementSnapshot, Plan, Rng } from './types.ts';

/** Request shapes a session keeps built, least recently used out first: a cluster's services and task families in use at once. */
export const MAX_SHAPES = 32;
/** Slot changes remembered for shapes not in use; a shape further behind is rebuilt (one pass over the slots). */
export const CHANGE_LOG_ENTRIES = 4096;
/** Holes (deleted instances) tolerated before the slots are renumbered, at least this many and at least as many as live slots. */
export const MIN_HOLES_BEFORE_COMPACTION = 1024;
/** Slots the arrays of a new session hold at least; they double as instances join. */
const MIN_CAPACITY = 64;

export const openSession: OpenSession = (snapshot) => new FastSession(snapshot);

/** What a session holds, for tests of its bounds. */
export interface SessionStats {
  /** Shapes cached now. */
  readonly shapes: number;
  /** Shapes built (or rebuilt) since the session opened. */
  readonly built: number;
  /** Slots, holes included. */
  readonly slots: number;
}

export class FastSession implements PlacementSession {
  /** The working copy by slot (undefined: deleted). Shapes read it; only this class writes it. */
  private slots: (PlacementInstance | undefined)[] = [];
  /** Slots by ARN; built at the first set, delete or StartTask (opening a session is a copy of the array). */
  private byArn: Map<string, number> | undefined;
  /** Slots by instance id, ascending (StartTask names an instance by ARN or id; the later one wins, as in place()); built at the first StartTask. */
  private byId: Map<string, number[]> | undefined;
  private holes = 0;
  /** Slots whose record this session made and nobody else holds: a placement may write to it. */
  private own: boolean[] = [];
  /** Of those, the ones whose ports set is this session's own too. */
  private ownPorts: boolean[] = [];
  private capacity = MIN_CAPACITY;
  private readonly shapes = new Map<string, Shape>();
  /** The shape key of a request object already seen (the placer and benchmarks reuse requests). */
  private readonly keys = new WeakMap<PlacementRequest, string>();
  private readonly log = new Int32Array(CHANGE_LOG_ENTRIES);
  /** Changes ever written to the log. */
  private head = 0;
  private built = 0;

  constructor(opening: PlacementSnapshot) {
    this.slots = opening.instances.slice();
    this.grow();
  }

  place(request: PlacementRequest, _now: number, rng: Rng): Plan {
    if (request.targets) return this.placeOnTargets(request);
    const shape = this.shapeFor(request);
    const placements: string[] = [];
    shape.begin(rng);
    try {
      while (placements.length < request.count) {
        const i = shape.best();
        if (i === undefined) return { placements, failures: shape.failures() };
        const inst = this.take(i, request);
        shape.placed(i);
        // The shape saw its own change: it stays caught up.
        shape.seq = this.head;
        placements.push(inst.arn);
      }
    } finally {
      shape.end();
    }
    return { placements, failures: [] };
  }

  set(instance: PlacementInstance): void {
    const at = this.arnIndex().get(instance.arn);
    if (at === undefined) { this.join(instance); this.note(this.slots.length - 1); return; }
    const old = this.slots[at]!;
    if (old.id !== instance.id && this.byId) { unlist(this.byId, old.id, at); list(this.byId, instance.id, at); }
    this.slots[at] = instance;
    this.own[at] = false;
    this.note(at);
  }

  delete(arn: string): void {
    const at = this.arnIndex().get(arn);
    if (at === undefined) return;
    if (this.byId) unlist(this.byId, this.slots[at]!.id, at);
    this.arnIndex().delete(arn);
    this.slots[at] = undefined;
    this.own[at] = false;
    this.holes++;
    this.note(at);
    if (this.holes >= MIN_HOLES_BEFORE_COMPACTION && this.holes > this.slots.length - this.holes) this.compact();
  }

  snapshot(): PlacementSnapshot {
    // The records handed out are the caller's now: the next placement on each copies it first.
    this.own = [];
    return { instances: this.slots.filter((i): i is PlacementInstance => i !== undefined) };
  }

  stats(): SessionStats {
    return { shapes: this.shapes.size, built: this.built, slots: this.slots.length };
  }

  /** The request's shape, caught up on every change since it last placed (or built, or rebuilt). */
  private shapeFor(request: PlacementRequest): Shape {
    let key = this.keys.get(request);
    if (key === undefined) { key = shapeKey(request); this.keys.set(request, key); }
    let shape = this.shapes.get(key);
    if (shape) this.shapes.delete(key);
    // Behind by more than the log keeps, or by more changes than there are slots (a pass over them is then cheaper): rebuild.
    const behind = shape ? this.head - shape.seq : 0;
    if (shape && (shape.capacity < this.slots.length || behind > CHANGE_LOG_ENTRIES || behind > this.slots.length || shape.worn)) shape = undefined;
    if (shape) {
      for (let q = shape.seq; q < this.head; q++) shape.resync(this.log[q % CHANGE_LOG_ENTRIES]!);
    } else {
      shape = new Shape(request, this.slots, this.capacity);
      this.built++;
    }
    shape.seq = this.head;
    this.shapes.set(key, shape);
    if (this.shapes.size > MAX_SHAPES) this.shapes.delete(this.shapes.keys().next().value!);
    return shape;
  }

  /** StartTask: one task on each named instance, in order, as place() does (no shape: targets are few). */
  private placeOnTargets(request: PlacementRequest): Plan {
    const filters = [...filtersFor(request.demand, request.pod), ...constraintFilters(request.constraints)];
    const placements: string[] = [];
    const failures: Failure[] = [];
    for (const ref of request.targets!) {
      const at = this.resolve(ref);
      if (at === undefined) { failures.push({ arn: ref, reason: 'MISSING' }); continue; }
      const slot = new Slot(0, this.slots[at]!, request.group);
      const failed = filters.find((f) => !f.admits(slot));
      if (failed) { failures.push({ arn: slot.instance.arn, reason: failed.reason }); continue; }
      placements.push(this.take(at, request).arn);
    }
    return { placements, failures };
  }

  private resolve(ref: string): number | undefined {
    const byArn = this.arnIndex().get(ref);
    if (!this.byId) {
      this.byId = new Map();
      this.slots.forEach((inst, at) => { if (inst) list(this.byId!, inst.id, at); });
    }
    const ids = this.byId.get(ref);
    const byId = ids?.[ids.length - 1];
    if (byArn === undefined) return byId;
    return byId === undefined ? byArn : Math.max(byArn, byId);
  }

  /** One task of the request out of slot i (consume() for one placement), written to the log. */
  private take(i: number, request: PlacementRequest): PlacementInstance {
    const d = request.demand;
    let inst = this.slots[i]! as Writable;
    if (!this.own[i]) {
      // Copy on first write: the caller's records (opening, set) and what snapshot() handed out stay as they were.
      // The ports too, but only once a task takes some: most demands have none.
      inst = { ...inst, groups: new Map(inst.groups) };
      this.slots[i] = inst;
      this.own[i] = true;
      this.ownPorts[i] = false;
    }
    inst.cpu -= d.cpu;
    inst.memory -= d.memory;
    if (d.eni) inst.eni -= 1;
    if (d.pod) inst.pods = (inst.pods ?? 0) + 1;
    if (d.ports.length > 0) {
      if (!this.ownPorts[i]) { inst.portsInUse = new Set(inst.portsInUse); this.ownPorts[i] = true; }
      for (const p of d.ports) inst.portsInUse.add(p);
    }
    inst.groups.set(request.group, (inst.groups.get(request.group) ?? 0) + 1);
    inst.taskCount += 1;
    this.note(i);
    return inst;
  }

  /** A new instance takes the next slot (registration order); shapes built for fewer slots rebuild. */
  private join(inst: PlacementInstance): void {
    const at = this.slots.length;
    this.slots.push(inst);
    if (this.byArn && !this.byArn.has(inst.arn)) this.byArn.set(inst.arn, at);
    if (this.byId) list(this.byId, inst.id, at);
    this.grow();
  }

  private grow(): void {
    while (this.capacity < this.slots.length) this.capacity *= 2;
  }

  private arnIndex(): Map<string, number> {
    if (!this.byArn) {
      this.byArn = new Map();
      // The first of an ARN listed twice, as findIndex finds it (see the header).
      this.slots.forEach((inst, at) => { if (inst && !this.byArn!.has(inst.arn)) this.byArn!.set(inst.arn, at); });
    }
    return this.byArn;
  }

  private note(i: number): void {
    this.log[this.head % CHANGE_LOG_ENTRIES] = i;
    this.head++;
  }

  /** Renumbers the slots without their holes; every shape is rebuilt on its next request. */
  private compact(): void {
    this.slots = this.slots.filter((i): i is PlacementInstance => i !== undefined);
    // Renumbered: the next placement on each slot copies its record again (rare, and simpler than renumbering ownership).
    this.own = [];
    this.byArn = undefined;
    this.byId = undefined;
    this.holes = 0;
    this.shapes.clear();
  }
}

/** A record this session made itself, so it may write to it (see `own`). */
type Writable = { -readonly [K in keyof PlacementInstance]: PlacementInstance[K] } & { groups: Map<string, number>; portsInUse: Set<string> };

function list(index: Map<string, number[]>, key: string, at: number): void {
  const l = index.get(key);
  if (!l) { index.set(key, [at]); return; }
  let k = l.length;
  while (k > 0 && l[k - 1]! > at) k--;
  l.splice(k, 0, at);
}

function unlist(index: Map<string, number[]>, key: string, at: number): void {
  const l = index.get(key);
  if (!l) return;
  const k = l.indexOf(at);
  if (k >= 0) l.splice(k, 1);
  if (l.length === 0) index.delete(key);
}
