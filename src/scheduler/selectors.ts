/**
 * Selectors: incremental structures that answer "which candidate does the strategy chain
 * prefer?" without rescanning the candidates. A chain [s1, s2, …] becomes a tree: s1 splits
 * candidates into buckets, each bucket holds a selector for [s2, …], and a leaf breaks the
 * last ties by registration order (or at random, for `random`). The best of a union is the
 * best of the parts' bests, so a level compares its buckets' answers — as a lexicographic
 * {@link Pick.key} — and only the bucket a placed task touched ever changes.
 *
 * place() builds a tree for one request; a placement session (session-shape.ts) keeps one
 * per request shape across many requests. A kept tree answers exactly what a freshly built
 * one answers, rng draws included:
 *
 * - a fresh tree holds its candidates in ascending order, so a random leaf's k-th item is
 *   the k-th smallest candidate; within a request a removed item's place is taken by the
 *   last one. {@link RandomLeaf} keeps the members sorted and, during a request, an overlay
 *   of those swaps, folded back at the next request.
 * - a fresh spread level meets its values in the order of their smallest candidate, and
 *   with a random leaf below, that order decides the rng draws of tied values.
 *   {@link SpreadLevel} re-sorts its values so at the first touch of each request.
 * - deterministic levels (binpack, spread over instances, registration order) depend only
 *   on who the candidates are and their scores: they need no such care.
 *
 * A {@link TreeContext} marks which request is running (`active`, `epoch`) and carries its
 * rng; place()'s tree has one request, so its context is {@link oneRequest}.
 */
import { MinHeap } from './min-heap.ts';
import type { Rng } from './types.ts';

export interface Pick {
  /** The slot index chosen. */
  readonly i: number;
  /** Its scores, level by level, lower preferred; compared lexicographically. */
  readonly key: readonly number[];
  /** How many candidates tie with it (a random leaf: all of them; otherwise 1). */
  readonly ties: number;
}

/** Stale heap entries a selector tolerates beyond twice its live ones before it rebuilds the heap. */
const HEAP_SLACK = 64;

/** The request the tree is serving, shared by every selector of one tree. */
export interface TreeContext {
  /** True while the tree's own request runs; false while a session's tree catches up on other changes. */
  active: boolean;
  /** Increases with every request the tree serves. */
  epoch: number;
  rng: Rng;
  /** Which leaf each slot is in (0: none); a slot is in at most one leaf of the tree. */
  owner: Int32Array;
  /** The next leaf id. */
  nextLeaf: number;
}

/** The context of a tree that serves one request (place()): active from the start. */
export function oneRequest(slots: number, rng: Rng): TreeContext {
  return { active: true, epoch: 1, rng, owner: new Int32Array(slots), nextLeaf: 1 };
}

export interface Selector {
  readonly size: number;
  add(i: number): void;
  /** Adds many at once, in ascending order, to an empty selector (building the tree). */
  addAll(sorted: readonly number[]): void;
  remove(i: number): void;
  changed(i: number): void;
  best(): Pick | undefined;
  /** Its smallest member (Infinity when empty): the order a fresh tree meets it in. */
  min(): number;
}

export type SelectorFactory = () => Selector;

/** Leaf: registration order breaks the last ties. A heap with lazy deletion, rebuilt when stale entries pile up. */
export class OrderLeaf implements Selector {
  private readonly heap = new MinHeap();
  private readonly id: number;
  private count = 0;
  private readonly r: TreeContext;
  constructor(r: TreeContext) { this.r = r; this.id = r.nextLeaf++; }
  get size(): number { return this.count; }
  add(i: number): void {
    if (this.r.owner[i] === this.id) return;
    this.r.owner[i] = this.id;
    this.heap.push(i);
    this.count++;
    if (this.heap.length > 2 * this.count + HEAP_SLACK) this.compact();
  }
  addAll(sorted: readonly number[]): void {
    this.heap.fill(sorted);
    for (const i of sorted) this.r.owner[i] = this.id;
    this.count = sorted.length;
  }
  remove(i: number): void {
    if (this.r.owner[i] !== this.id) return;
    this.r.owner[i] = 0;
    this.count--;
  }
  changed(): void {}
  best(): Pick | undefined {
    const top = this.top();
    return top === undefined ? undefined : { i: top, key: [top], ties: 1 };
  }
  min(): number { return this.top() ?? Infinity; }
  private top(): number | undefined {
    let top = this.heap.peek();
    while (top !== undefined && this.r.owner[top] !== this.id) { this.heap.pop(); top = this.heap.peek(); }
    return top;
  }
  /** A slot removed and added again is in the heap twice: keep each live member once. */
  private compact(): void {
    const live = [...new Set(this.heap.entries().filter((i) => this.r.owner[i] === this.id))].sort((a, b) => a - b);
    this.heap.fill(live);
  }
}

/** Leaf for `random`: any candidate, uniformly (the k-th member for k drawn from the rng, see the header); strategies after `random` can never break a tie. */
export class RandomLeaf implements Selector {
  /** The members, ascending, as of the start of the current request (live outside a request). */
  private sorted: number[] = [];
  private readonly id: number;
  private count = 0;
  private readonly r: TreeContext;
  /** The request whose overlay is held (-1: none). */
  private epoch = -1;
  /** The overlay: a fresh tree's item array length, the positions written, where moved slots are, who changed. */
  private length = 0;
  private readonly written = new Map<number, number>();
  private readonly movedTo = new Map<number, number>();
  private touched: number[] = [];
  constructor(r: TreeContext) { this.r = r; this.id = r.nextLeaf++; }
  get size(): number { return this.count; }
  add(i: number): void {
    this.sync();
    if (this.r.owner[i] === this.id) return;
    this.r.owner[i] = this.id;
    this.count++;
    if (this.epoch < 0) { insertSorted(this.sorted, i); return; }
    this.written.set(this.length, i);
    this.movedTo.set(i, this.length);
    this.length++;
    this.touched.push(i);
  }
  addAll(sorted: readonly number[]): void {
    this.sorted = sorted.slice();
    for (const i of sorted) this.r.owner[i] = this.id;
    this.count = sorted.length;
  }
  remove(i: number): void {
    this.sync();
    if (this.r.owner[i] !== this.id) return;
    this.r.owner[i] = 0;
    this.count--;
    if (this.epoch < 0) { removeSorted(this.sorted, i); return; }
    // As in a fresh tree's item array: the last item takes the removed one's place.
    const at = this.movedTo.get(i) ?? lowerBound(this.sorted, i);
    const last = this.at(this.length - 1);
    if (last !== i) { this.written.set(at, last); this.movedTo.set(last, at); }
    this.movedTo.delete(i);
    this.length--;
    this.touched.push(i);
  }
  changed(): void {}
  best(): Pick | undefined {
    this.sync();
    if (this.count === 0) return undefined;
    const n = this.epoch < 0 ? this.sorted.length : this.length;
    return { i: this.at(Math.floor(this.r.rng() * n)), key: [], ties: n };
  }
  min(): number {
    this.sync();
    if (this.count === 0) return Infinity;
    if (this.touched.length === 0) return this.sorted[0]!;
    let least = Infinity;
    for (let k = 0; k < this.length; k++) least = Math.min(least, this.at(k));
    return least;
  }
  private at(k: number): number {
    // Most draws come before any removal: no overlay to look in (a draw per placed task).
    return this.written.size === 0 ? this.sorted[k]! : this.written.get(k) ?? this.sorted[k]!;
  }
  /** Folds a finished request's overlay into the sorted members; opens one for a new request. */
  private sync(): void {
    if (this.r.active && this.epoch === this.r.epoch) return;
    if (this.touched.length > 0) {
      for (const i of this.touched) {
        const member = this.r.owner[i] === this.id;
        const k = lowerBound(this.sorted, i);
        const listed = this.sorted[k] === i;
        if (member && !listed) this.sorted.splice(k, 0, i);
        else if (!member && listed) this.sorted.splice(k, 1);
      }
      this.touched = [];
      this.written.clear();
      this.movedTo.clear();
    }
    this.epoch = this.r.active ? this.r.epoch : -1;
    this.length = this.sorted.length;
  }
}

/**
 * A level scored by a number of the candidate itself (binpack: what it has left; spread over
 * instances: the group's tasks on it). Buckets by score; the lowest bucket wins, so a pick
 * is a heap peek, and a placement moves one candidate between two buckets.
 */
export class ScoreLevel implements Selector {
  private readonly buckets = new Map<number, Selector>();
  private readonly heap = new MinHeap();
  private count = 0;
  private readonly score: (i: number) => number;
  private readonly child: SelectorFactory;
  /** The score each member was filed under, shared by the level's selectors. */
  private readonly scoreOf: Float64Array;
  constructor(score: (i: number) => number, child: SelectorFactory, scoreOf: Float64Array) { this.score = score; this.child = child; this.scoreOf = scoreOf; }
  get size(): number { return this.count; }
  add(i: number): void {
    const s = this.score(i);
    this.scoreOf[i] = s;
    this.bucket(s).add(i);
    this.count++;
  }
  addAll(sorted: readonly number[]): void {
    const groups = new Map<number, number[]>();
    for (const i of sorted) {
      const s = this.score(i);
      this.scoreOf[i] = s;
      const g = groups.get(s);
      if (g) g.push(i); else groups.set(s, [i]);
    }
    for (const [s, members] of groups) { this.bucket(s).addAll(members); this.count += members.length; }
  }
  remove(i: number): void {
    const s = this.scoreOf[i]!;
    const b = this.buckets.get(s);
    if (!b) return;
    b.remove(i);
    if (b.size === 0) this.buckets.delete(s);
    this.scoreOf[i] = NaN;
    this.count--;
  }
  changed(i: number): void {
    const s = this.scoreOf[i]!;
    const b = this.buckets.get(s);
    if (!b) return;
    if (s === this.score(i)) { b.changed(i); return; }
    this.remove(i);
    this.add(i);
  }
  best(): Pick | undefined {
    let top = this.heap.peek();
    while (top !== undefined && !this.buckets.has(top)) { this.heap.pop(); top = this.heap.peek(); }
    if (top === undefined) return undefined;
    const p = this.buckets.get(top)!.best()!;
    return { i: p.i, key: [top, ...p.key], ties: p.ties };
  }
  min(): number {
    let least = Infinity;
    for (const b of this.buckets.values()) least = Math.min(least, b.min());
    return least;
  }
  private bucket(s: number): Selector {
    let b = this.buckets.get(s);
    if (!b) {
      b = this.child();
      this.buckets.set(s, b);
      this.heap.push(s);
      // Deleted buckets leave their keys in the heap; a long session must not pile them up.
      if (this.heap.length > 2 * this.buckets.size + HEAP_SLACK) this.heap.fill([...this.buckets.keys()].sort((x, y) => x - y));
    }
    return b;
  }
}

/**
 * A level that spreads over an attribute's values: a bucket per value, scored by the group's
 * tasks on every instance with that value (`counts`, kept by the strategy or the shape). The
 * fewest wins; buckets that tie are compared on their own bests: one look at each value that
 * has candidates per pick (a handful of zones). With a random leaf below (`ordered`), its
 * values are re-sorted by their smallest member when a request first touches it, the order
 * a fresh tree has.
 */
export class SpreadLevel implements Selector {
  private buckets = new Map<string, Selector>();
  private count = 0;
  private epoch = -1;
  private readonly values: readonly string[];
  private readonly counts: ReadonlyMap<string, number>;
  private readonly child: SelectorFactory;
  private readonly r: TreeContext;
  private readonly ordered: boolean;
  constructor(values: readonly string[], counts: ReadonlyMap<string, number>, child: SelectorFactory, r: TreeContext, ordered: boolean) {
    this.values = values; this.counts = counts; this.child = child; this.r = r; this.ordered = ordered;
  }
  get size(): number { return this.count; }
  add(i: number): void {
    this.sync();
    const v = this.values[i]!;
    let b = this.buckets.get(v);
    if (!b) { b = this.child(); this.buckets.set(v, b); }
    b.add(i);
    this.count++;
  }
  addAll(sorted: readonly number[]): void {
    const groups = new Map<string, number[]>();
    for (const i of sorted) {
      const v = this.values[i]!;
      const g = groups.get(v);
      if (g) g.push(i); else groups.set(v, [i]);
    }
    for (const [v, members] of groups) {
      const b = this.child();
      this.buckets.set(v, b);
      b.addAll(members);
      this.count += members.length;
    }
  }
  remove(i: number): void {
    this.sync();
    const b = this.buckets.get(this.values[i]!);
    if (!b || b.size === 0) return;
    const before = b.size;
    b.remove(i);
    if (b.size === before) return;
    if (b.size === 0) this.buckets.delete(this.values[i]!);
    this.count--;
  }
  changed(i: number): void {
    this.sync();
    this.buckets.get(this.values[i]!)?.changed(i);
  }
  best(): Pick | undefined {
    this.sync();
    let least = Infinity;
    for (const v of this.buckets.keys()) least = Math.min(least, this.counts.get(v) ?? 0);
    let best: Pick | undefined;
    let tiedBuckets = 0;
    for (const [v, b] of this.buckets) {
      if ((this.counts.get(v) ?? 0) !== least) continue;
      const p = b.best()!;
      const order = best === undefined ? -1 : compareKeys(p.key, best.key);
      if (order < 0) { best = p; tiedBuckets = p.ties; continue; }
      if (order === 0) {
        // Equal keys only come from random leaves: keep each candidate equally likely.
        tiedBuckets += p.ties;
        if (this.r.rng() * tiedBuckets < p.ties) best = { ...p, ties: tiedBuckets };
        else best = { ...best!, ties: tiedBuckets };
      }
    }
    return best && { i: best.i, key: [least, ...best.key], ties: best.ties };
  }
  min(): number {
    let least = Infinity;
    for (const b of this.buckets.values()) least = Math.min(least, b.min());
    return least;
  }
  private sync(): void {
    if (!this.ordered || !this.r.active || this.epoch === this.r.epoch) return;
    this.epoch = this.r.epoch;
    const byMin = [...this.buckets].map(([v, b]) => ({ v, b, min: b.min() })).sort((x, y) => x.min - y.min);
    this.buckets = new Map(byMin.map((e) => [e.v, e.b]));
  }
}

export function compareKeys(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) if (a[k] !== b[k]) return a[k]! < b[k]! ? -1 : 1;
  return a.length - b.length;
}

function lowerBound(a: readonly number[], x: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (a[mid]! < x) lo = mid + 1; else hi = mid; }
  return lo;
}

function insertSorted(a: number[], x: number): void {
  const k = lowerBound(a, x);
  if (a[k] !== x) a.splice(k, 0, x);
}

function removeSorted(a: number[], x: number): void {
  const k = lowerBound(a, x);
  if (a[k] === x) a.splice(k, 1);
}
