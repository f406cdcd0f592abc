/**
 * Selectors: incremental structures that answer "which candidate does the strategy chain
 * prefer?" without rescanning the snapshot. A chain [s1, s2, …] becomes a tree: s1 splits
 * candidates into buckets, each bucket holds a selector for [s2, …], and a leaf breaks the
 * last ties by registration order (or at random, for `random`).
 *
 * The best of a union is the best of the parts' bests, so a level compares its buckets'
 * answers — as a lexicographic {@link Pick.key} — and only the bucket a placed task
 * touched ever changes.
 */
import type { Rng } from './types.ts';

export interface Pick {
  /** The slot index chosen. */
  readonly i: number;
  /** Its scores, level by level, lower preferred; compared lexicographically. */
  readonly key: readonly number[];
  /** How many candidates tie with it (a random leaf: all of them; otherwise 1). */
  readonly ties: number;
}

export interface Selector {
  readonly size: number;
  add(i: number): void;
  /** Adds many at once, in ascending order (a request's set-up: cheaper than one by one). */
  addAll(sorted: readonly number[]): void;
  remove(i: number): void;
  /** A task was placed on candidate `i` and it is still a candidate: its scores may have moved. */
  changed(i: number): void;
  best(): Pick | undefined;
}

export type SelectorFactory = () => Selector;

/**
 * What the leaves of one tree share: a slot is in at most one leaf at a time, so one array
 * says which (`owner`) and where (`pos`), instead of a set per leaf.
 */
export class Leaves {
  readonly owner: Int32Array;
  readonly pos: Int32Array;
  private next = 1;
  constructor(slots: number) {
    this.owner = new Int32Array(slots);
    this.pos = new Int32Array(slots);
  }
  id(): number { return this.next++; }
}

/** A binary min-heap of numbers (bucket keys, slot indexes). */
export class MinHeap {
  private a: number[] = [];
  /** Its entries, in heap order (to rebuild it without its stale ones). */
  entries(): readonly number[] { return this.a; }
  /** Replaces the contents with an ascending array (a valid heap as it is). */
  fill(sorted: readonly number[]): void { this.a = sorted.slice(); }
  get length(): number { return this.a.length; }
  peek(): number | undefined { return this.a[0]; }
  push(v: number): void {
    const a = this.a;
    let k = a.push(v) - 1;
    while (k > 0) {
      const parent = (k - 1) >> 1;
      if (a[parent]! <= v) break;
      a[k] = a[parent]!;
      k = parent;
    }
    a[k] = v;
  }
  pop(): number | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let k = 0;
    for (;;) {
      const l = 2 * k + 1, r = l + 1;
      let m = k;
      let mv = last;
      if (l < a.length && a[l]! < mv) { m = l; mv = a[l]!; }
      if (r < a.length && a[r]! < mv) { m = r; }
      if (m === k) break;
      a[k] = a[m]!;
      k = m;
    }
    a[k] = last;
    return top;
  }
}

/** Leaf: the candidate registered first (the snapshot's stable order breaks every remaining tie). */
export class OrderLeaf implements Selector {
  private readonly heap: MinHeap;
  private readonly leaves: Leaves;
  private readonly id: number;
  private count = 0;
  constructor(leaves: Leaves) { this.leaves = leaves; this.id = leaves.id(); this.heap = new MinHeap(); }
  get size(): number { return this.count; }
  add(i: number): void {
    if (this.leaves.owner[i] === this.id) return;
    this.leaves.owner[i] = this.id;
    this.heap.push(i);
    this.count++;
  }
  addAll(sorted: readonly number[]): void {
    // An ascending array is already a min-heap.
    if (this.count === 0) {
      this.heap.fill(sorted);
      for (const i of sorted) this.leaves.owner[i] = this.id;
      this.count = sorted.length;
    } else for (const i of sorted) this.add(i);
  }
  remove(i: number): void {
    if (this.leaves.owner[i] !== this.id) return;
    this.leaves.owner[i] = 0;
    this.count--;
  }
  changed(): void {}
  best(): Pick | undefined {
    // Lazy deletion: removed indexes leave the heap when they reach its top.
    let top = this.heap.peek();
    while (top !== undefined && this.leaves.owner[top] !== this.id) { this.heap.pop(); top = this.heap.peek(); }
    return top === undefined ? undefined : { i: top, key: [top], ties: 1 };
  }
}

/** Leaf for `random`: any candidate, uniformly; strategies after `random` can never break a tie. */
export class RandomLeaf implements Selector {
  private readonly items: number[] = [];
  private readonly rng: Rng;
  private readonly leaves: Leaves;
  private readonly id: number;
  constructor(leaves: Leaves, rng: Rng) { this.leaves = leaves; this.id = leaves.id(); this.rng = rng; }
  get size(): number { return this.items.length; }
  add(i: number): void {
    if (this.leaves.owner[i] === this.id) return;
    this.leaves.owner[i] = this.id;
    this.leaves.pos[i] = this.items.length;
    this.items.push(i);
  }
  addAll(sorted: readonly number[]): void { for (const i of sorted) this.add(i); }
  remove(i: number): void {
    if (this.leaves.owner[i] !== this.id) return;
    const p = this.leaves.pos[i]!;
    const last = this.items.pop()!;
    if (last !== i) { this.items[p] = last; this.leaves.pos[last] = p; }
    this.leaves.owner[i] = 0;
  }
  changed(): void {}
  best(): Pick | undefined {
    if (this.items.length === 0) return undefined;
    return { i: this.items[Math.floor(this.rng() * this.items.length)]!, key: [], ties: this.items.length };
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
  /** The score each member was filed under, shared by the level's selectors (NaN: not a member of any). */
  private readonly scoreOf: Float64Array;
  constructor(score: (i: number) => number, child: SelectorFactory, scoreOf: Float64Array) { this.score = score; this.child = child; this.scoreOf = scoreOf; }
  get size(): number { return this.count; }
  add(i: number): void {
    const s = this.score(i);
    this.scoreOf[i] = s;
    let b = this.buckets.get(s);
    if (!b) { b = this.child(); this.buckets.set(s, b); this.heap.push(s); }
    b.add(i);
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
    for (const [s, members] of groups) {
      let b = this.buckets.get(s);
      if (!b) { b = this.child(); this.buckets.set(s, b); this.heap.push(s); }
      b.addAll(members);
      this.count += members.length;
    }
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
}

/**
 * A level that spreads over an attribute's values: candidates bucketed by value, a bucket
 * scored by the group's tasks on every instance with that value (shared `counts`, kept by
 * the strategy). The fewest wins; buckets that tie are compared on their own bests.
 * Cost per pick: one look at each value that has candidates (a handful of zones).
 */
export class SpreadLevel implements Selector {
  private readonly buckets = new Map<string, Selector>();
  private count = 0;
  /** Each slot's value of the attribute (fixed for the request), shared by the level's selectors. */
  private readonly values: readonly string[];
  private readonly counts: ReadonlyMap<string, number>;
  private readonly child: SelectorFactory;
  private readonly rng: Rng;
  constructor(values: readonly string[], counts: ReadonlyMap<string, number>, child: SelectorFactory, rng: Rng) {
    this.values = values; this.counts = counts; this.child = child; this.rng = rng;
  }
  get size(): number { return this.count; }
  add(i: number): void {
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
      let b = this.buckets.get(v);
      if (!b) { b = this.child(); this.buckets.set(v, b); }
      b.addAll(members);
      this.count += members.length;
    }
  }
  remove(i: number): void {
    const b = this.buckets.get(this.values[i]!);
    if (!b || b.size === 0) return;
    const before = b.size;
    b.remove(i);
    if (b.size === before) return;
    if (b.size === 0) this.buckets.delete(this.values[i]!);
    this.count--;
  }
  changed(i: number): void {
    this.buckets.get(this.values[i]!)?.changed(i);
  }
  best(): Pick | undefined {
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
        if (this.rng() * tiedBuckets < p.ties) best = { ...p, ties: tiedBuckets };
        else best = { ...best!, ties: tiedBuckets };
      }
    }
    return best && { i: best.i, key: [least, ...best.key], ties: best.ties };
  }
}

export function compareKeys(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) if (a[k] !== b[k]) return a[k]! < b[k]! ? -1 : 1;
  return a.length - b.length;
}
