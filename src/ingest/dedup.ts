// Per-device reading identity: which readings were seen (for de-duplication) and which InfluxDB
// point each one was given (so a re-send lands on the same point). Pure, no I/O, bounded memory.
//
// A reading is a duplicate only when it is the same reading again: the same `seq` AND the same
// content hash (every stored field and the device's `ts`). A rebooted device whose seq starts
// again sends new content, so it is accepted. Each device keeps a ring of its most recent
// readings in typed arrays (no object per reading); rings grow on demand up to `window` entries,
// and the least recently seen devices are forgotten when all rings together hold `maxEntries`
// (second chance: a device seen since its place in the order was set is moved to the end instead
// of forgotten, so a reading costs a flag, not a Map delete and insert).
//
// Sub-millisecond part of a point's time (`ns`, 0..999,999): InfluxDB identifies a point by
// measurement + tags + time, so two readings of one device in the same millisecond would be
// one point. Device-stamped readings get `seq % 500,000` (or a content hash without seq): a
// re-send gets the same point with no memory at all. Receive-stamped readings (no `ts`) get
// 500,000 + a per-device counter within the receive millisecond, remembered in the ring so a
// re-send whose store is not known to have succeeded is written to the same point again.

export interface DedupOptions {
  /** readings remembered per device (at least the largest batch, so a re-sent batch is known) */
  window?: number;
  /** readings remembered over all devices; the least recently seen device is forgotten first */
  maxEntries?: number;
}

export const RECEIVE_NS_BASE = 500_000;
const FIRST_CAPACITY = 16;

/** One device's recent readings, newest at `head - 1`. */
export class DeviceReadings {
  seq: Float64Array;
  h1: Uint32Array;
  h2: Uint32Array;
  ts: Float64Array;
  ns: Uint32Array;
  stored: Uint8Array;
  head = 0;
  size = 0;
  /** seen since its place in the eviction order was set (ReadingDedup) */
  seen = false;
  /** the largest seq ever added: a seq above it is new without a scan (devices count upwards) */
  private maxSeq = -1;
  private lastMs = -1;
  private count = 0;

  constructor(capacity: number) {
    this.seq = new Float64Array(capacity);
    this.h1 = new Uint32Array(capacity);
    this.h2 = new Uint32Array(capacity);
    this.ts = new Float64Array(capacity);
    this.ns = new Uint32Array(capacity);
    this.stored = new Uint8Array(capacity);
  }

  get capacity(): number {
    return this.seq.length;
  }

  /** The slot holding this reading, or -1 when it is new. Newest first: re-sends are recent. */
  find(seq: number, h1: number, h2: number): number {
    if (seq > this.maxSeq) return -1;
    // newest first: head-1 down to 0, then (once the ring has wrapped) the end down to head
    const older = this.size - this.head;
    for (let i = this.head - 1; i >= 0 && i >= this.head - this.size; i--) if (this.seq[i] === seq && this.h1[i] === h1 && this.h2[i] === h2) return i;
    for (let i = this.capacity - 1; i >= this.capacity - older; i--) if (this.seq[i] === seq && this.h1[i] === h1 && this.h2[i] === h2) return i;
    return -1;
  }

  /** Remembers a reading (not yet stored) at the point time (ts, ns); returns its slot. */
  add(seq: number, h1: number, h2: number, ts: number, ns: number): number {
    const i = this.head;
    this.seq[i] = seq;
    this.h1[i] = h1;
    this.h2[i] = h2;
    this.ts[i] = ts;
    this.ns[i] = ns;
    this.stored[i] = 0;
    if (seq > this.maxSeq) this.maxSeq = seq;
    this.head = (i + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
    return i;
  }

  /** Marks a slot stored, unless the ring has moved on and it holds another reading now. */
  markStored(slot: number, seq: number, h1: number): void {
    if (this.seq[slot] === seq && this.h1[slot] === h1) this.stored[slot] = 1;
  }

  /** The sub-ms part for a reading stamped with the receive time `now`. */
  receiveNs(now: number): number {
    if (now === this.lastMs) this.count = Math.min(this.count + 1, RECEIVE_NS_BASE - 1);
    else {
      this.lastMs = now;
      this.count = 0;
    }
    return RECEIVE_NS_BASE + this.count;
  }

  /** Doubles the ring (up to `max`), keeping the order of what it holds. */
  grow(max: number): number {
    const cap = this.capacity;
    const next = Math.min(max, cap * 2);
    if (next <= cap) return 0;
    const start = (this.head - this.size + cap) % cap;
    const copy = <T extends Float64Array | Uint32Array | Uint8Array>(from: T, to: T): T => {
      for (let k = 0; k < this.size; k++) to[k] = from[(start + k) % cap] as number;
      return to;
    };
    this.seq = copy(this.seq, new Float64Array(next));
    this.h1 = copy(this.h1, new Uint32Array(next));
    this.h2 = copy(this.h2, new Uint32Array(next));
    this.ts = copy(this.ts, new Float64Array(next));
    this.ns = copy(this.ns, new Uint32Array(next));
    this.stored = copy(this.stored, new Uint8Array(next));
    this.head = this.size % next;
    return next - cap;
  }
}

/** The sub-ms part for a device-stamped reading: a pure function of the reading itself. */
export function deviceNs(seq: number | undefined, h1: number): number {
  return (seq === undefined ? h1 : seq) % RECEIVE_NS_BASE;
}

export class ReadingDedup {
  private readonly devices = new Map<string, DeviceReadings>();
  private readonly window: number;
  private readonly maxEntries: number;
  private entries = 0;

  constructor(opts: DedupOptions = {}) {
    this.window = Math.max(FIRST_CAPACITY, opts.window ?? 512);
    this.maxEntries = Math.max(this.window, opts.maxEntries ?? 1_000_000);
  }

  /** The device's readings (created on first use), marked most recently seen. */
  device(id: string): DeviceReadings {
    let d = this.devices.get(id);
    if (d) {
      d.seen = true; // its place in the order is refreshed when eviction reaches it
      return d;
    }
    d = new DeviceReadings(FIRST_CAPACITY);
    this.entries += FIRST_CAPACITY;
    this.devices.set(id, d);
    this.evict(d);
    return d;
  }

  /** Makes room for `n` more readings of `d` (call before adding them). */
  reserve(d: DeviceReadings, n: number): void {
    while (d.size + n > d.capacity && d.capacity < this.window) this.entries += d.grow(this.window);
    this.evict(d);
  }

  get size(): number {
    return this.devices.size;
  }

  /** Forgets the least recently seen devices (never `keep`) until the rings fit `maxEntries`. */
  private evict(keep: DeviceReadings): void {
    if (this.entries <= this.maxEntries) return;
    // oldest place first; a device seen since it was placed goes to the end, once (the loop visits
    // it again there, unseen, so it ends)
    for (const [id, d] of this.devices) {
      if (this.entries <= this.maxEntries) return;
      if (d === keep) continue;
      this.devices.delete(id);
      if (d.seen) {
        d.seen = false;
        this.devices.set(id, d);
      } else {
        this.entries -= d.capacity;
      }
    }
  }
}
