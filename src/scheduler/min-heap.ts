/** A binary min-heap of numbers: the selectors' bucket keys and slot indexes (selectors.ts). */
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
