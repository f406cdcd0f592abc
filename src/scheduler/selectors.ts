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
  remove(i: number): void;
  /** A task was placed on candidate `i` and it is still a candidate: its scores may have moved. */
  changed(i: number): void;
  best(): Pick | undefined;
}

export type SelectorFactory = () => Selector;

/** A binary min-heap of numbers (bucket keys, slot indexes). */
class MinHeap {
  private readonly a: number[] = [];
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
  private readonly heap = new MinHeap();
  private readonly members = new Set<number>();
  get size(): number { return this.members.size; }
  add(i: number): void { if (!this.members.has(i)) { this.members.add(i); this.heap.push(i); } }
  remove(i: number): void { this.members.delete(i); }
  changed(): void {}
  best(): Pick | undefined {
    // Lazy deletion: removed indexes leave the heap when they reach its top.
    let top = this.heap.peek();
    while (top !== undefined && !this.members.has(top)) { this.heap.pop(); top = this.heap.peek(); }
    return top === undefined ? undefined : { i: top, key: [top], ties: 1 };
  }
}

/** Leaf for `random`: any candidate, uniformly; strategies after `random` can never break a tie. */
export class RandomLeaf implements Selector {
  private readonly items: number[] = [];
  private readonly pos = new Map<number, number>();
  private readonly rng: Rng;
  constructor(rng: Rng) { this.rng = rng; }
  get size(): number { return this.items.length; }
  add(i: number): void {
    if (this.pos.has(i)) return;
    this.pos.set(i, this.items.length);
    this.items.push(i);
  }
  remove(i: number): void {
    const p = this.pos.get(i);
    if (p === undefined) return;
    const last = this.items.pop()!;
    if (last !== i) { this.items[p] = last; this.pos.set(last, p); }
    this.pos.delete(i);
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
  private readonly scoreOf = new Map<number, number>();
  private count = 0;
  private readonly score: (i: number) => number;
  private readonly child: SelectorFactory;
  constructor(score: (i: number) => number, child: SelectorFactory) { this.score = score; this.child = child; }
  get size(): number { return this.count; }
  add(i: number): void {
    const s = this.score(i);
    this.scoreOf.set(i, s);
    let b = this.buckets.get(s);
    if (!b) { b = this.child(); this.buckets.set(s, b); this.heap.push(s); }
    b.add(i);
    this.count++;
  }
  remove(i: number): void {
    const s = this.scoreOf.get(i);
    if (s === undefined) return;
    const b = this.buckets.get(s)!;
    b.remove(i);
    if (b.size === 0) this.buckets.delete(s);
    this.scoreOf.delete(i);
    this.count--;
  }
  changed(i: number): void {
    const s = this.scoreOf.get(i);
    if (s === undefined) return;
    if (s === this.score(i)) { this.buckets.get(s)!.changed(i); return; }
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
  private readonly valueOf = new Map<number, string>();
  private count = 0;
  private readonly value: (i: number) => string;
  private readonly counts: ReadonlyMap<string, number>;
  private readonly child: SelectorFactory;
  private readonly rng: Rng;
  constructor(value: (i: number) => string, counts: ReadonlyMap<string, number>, child: SelectorFactory, rng: Rng) {
    this.value = value; this.counts = counts; this.child = child; this.rng = rng;
  }
  get size(): number { return this.count; }
  add(i: number): void {
    const v = this.value(i);
    this.valueOf.set(i, v);
    let b = this.buckets.get(v);
    if (!b) { b = this.child(); this.buckets.set(v, b); }
    b.add(i);
    this.count++;
  }
  remove(i: number): void {
    const v = this.valueOf.get(i);
    if (v === undefined) return;
    const b = this.buckets.get(v)!;
    b.remove(i);
    if (b.size === 0) this.buckets.delete(v);
    this.valueOf.delete(i);
    this.count--;
  }
  changed(i: number): void {
    const v = this.valueOf.get(i);
    if (v !== undefined) this.buckets.get(v)!.changed(i);
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
