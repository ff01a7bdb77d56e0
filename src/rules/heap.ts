// A binary min-heap of deadlines (ms) with a payload; the engine's timer wheel substitute.
export interface HeapItem<T> { at: number; value: T }

export class DeadlineHeap<T> {
  private items: HeapItem<T>[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): HeapItem<T> | undefined {
    return this.items[0];
  }

  push(at: number, value: T): void {
    const a = this.items;
    a.push({ at, value });
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pi = a[p] as HeapItem<T>;
      const ii = a[i] as HeapItem<T>;
      if (pi.at <= ii.at) break;
      a[p] = ii;
      a[i] = pi;
      i = p;
    }
  }

  pop(): HeapItem<T> | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    a[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && (a[l] as HeapItem<T>).at < (a[m] as HeapItem<T>).at) m = l;
      if (r < a.length && (a[r] as HeapItem<T>).at < (a[m] as HeapItem<T>).at) m = r;
      if (m === i) break;
      const tmp = a[m] as HeapItem<T>;
      a[m] = a[i] as HeapItem<T>;
      a[i] = tmp;
      i = m;
    }
    return top;
  }
}
