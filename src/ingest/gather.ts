// The points of the messages accepted in one synchronous run (the packets of a socket chunk),
// written with ONE sink.write when the run ends (a microtask later: no added latency). Every
// message of the run shares the batch's `durable` promise, so a message costs the writer no entry,
// promise or resolver of its own, and the ingest no closure: what each message needs done once
// its points are durable (its ring slots marked stored, its readings counted) waits in flat arrays.
import type { KindName, StorePoint } from '../core/domain.js';
import { vouch } from '../store/points.js';
import type { DeviceReadings } from './dedup.js';

export interface GatherDeps {
  /** writes the points; resolves once durable (the writer's write) */
  write(points: StorePoint[]): Promise<void>;
  /** awaited before the write when a reading of the batch was journaled (journal.ts) */
  journal?: { flush(): Promise<void> };
  /** once durable: readings stored, by kind (what the accepted counter counts) */
  stored(kind: KindName, n: number): void;
  /** once settled (stored or failed): seconds since the batch's first message */
  settled(seconds: number): void;
  /** the error a failed write is turned into (rejected to every message of the batch) */
  failure(e: unknown): unknown;
}

export class PendingWrite {
  readonly points: StorePoint[] = [];
  /** resolves once every point of the batch is durable; rejects when the store failed */
  readonly durable: Promise<void>;
  /** the ring of each remembered reading, and its slot, seq and h1 at 3i..3i+2 in `slots` */
  private readonly rings: DeviceReadings[] = [];
  private readonly slots: number[] = [];
  private readonly kinds: KindName[] = [];
  private readonly counts: number[] = [];
  private journaled = false;
  private readonly started = performance.now();
  private resolve!: () => void;
  private reject!: (e: unknown) => void;

  constructor(private readonly deps: GatherDeps) {
    this.durable = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** A reading remembered in `ring` at `slot`: marked stored once the batch is durable. */
  remember(ring: DeviceReadings, slot: number, seq: number, h1: number): void {
    this.rings.push(ring);
    this.slots.push(slot, seq, h1);
  }

  /** `n` new readings of `kind`, counted once durable. */
  count(kind: KindName, n: number): void {
    if (n > 0) {
      this.kinds.push(kind);
      this.counts.push(n);
    }
  }

  /** A reading of the batch was journaled: the journal is flushed before the points can exist. */
  journal(): void {
    this.journaled = true;
  }

  /** Writes the batch (called once, when the run that gathered it ends). */
  flush(): void {
    if (this.points.length === 0) return this.resolve();
    let written: Promise<void>;
    try {
      // built by readingPoint from validated readings only: the writer need not check them again
      const points = vouch(this.points);
      written = this.journaled && this.deps.journal ? this.deps.journal.flush().then(() => this.deps.write(points)) : this.deps.write(points);
    } catch (e) {
      return this.failed(e);
    }
    written.then(() => this.done(), (e: unknown) => this.failed(e));
  }

  private done(): void {
    this.deps.settled((performance.now() - this.started) / 1000);
    const { rings, slots } = this;
    for (let i = 0; i < rings.length; i++) (rings[i] as DeviceReadings).markStored(slots[3 * i] as number, slots[3 * i + 1] as number, slots[3 * i + 2] as number);
    for (let i = 0; i < this.kinds.length; i++) this.deps.stored(this.kinds[i] as KindName, this.counts[i] as number);
    this.resolve();
  }

  private failed(e: unknown): void {
    this.deps.settled((performance.now() - this.started) / 1000);
    this.reject(this.deps.failure(e));
  }
}
