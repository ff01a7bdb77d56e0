// Presence points wait up to `lingerMs` (the writer's flushMs: its upper bound on a point's wait)
// and go to the sink together, in the order they happened, as ONE write. No acknowledgement waits
// on a presence point (the change itself is announced at once), so a reconnect storm of 10,000
// devices costs a few POSTs instead of one per connect and one per drop. Presence is an ordered
// measurement (writer.ts): one write keeps a device's connect / drop / connect in order.
import type { StorePoint } from '../core/domain.js';

export interface PresenceBatchDeps {
  /** writes the points; resolves once durable (the writer's write) */
  write(points: StorePoint[]): Promise<void>;
  /** the longest a point waits before its batch is written */
  lingerMs: number;
  /** a batch this full is written at once (the writer's batch size) */
  maxPoints: number;
  /** once settled (stored or failed): seconds since the batch's first point */
  settled(seconds: number): void;
}

interface Open {
  points: StorePoint[];
  durable: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
  started: number;
  timer: NodeJS.Timeout | undefined;
}

export class PresenceBatch {
  private open: Open | undefined;

  constructor(private readonly deps: PresenceBatchDeps) {}

  /** Adds a point; resolves once its batch is durable, rejects when the store failed. */
  add(point: StorePoint): Promise<void> {
    const batch = (this.open ??= this.start());
    batch.points.push(point);
    const { durable } = batch;
    if (batch.points.length >= this.deps.maxPoints) this.flush();
    return durable;
  }

  /**
   * Hands the open batch to the sink now (shutdown). It does not wait for the write: the writer's
   * own close, which runs next, makes it durable (or spools it) and wakes a write sleeping out a
   * backoff, where waiting here would sit that backoff out first.
   */
  close(): void {
    this.flush();
  }

  private start(): Open {
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const durable = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const batch: Open = { points: [], durable, resolve, reject, started: performance.now(), timer: undefined };
    batch.timer = setTimeout(() => this.flush(), this.deps.lingerMs);
    return batch;
  }

  private flush(): void {
    const batch = this.open;
    if (!batch) return;
    this.open = undefined;
    clearTimeout(batch.timer);
    let written: Promise<void>;
    try {
      written = this.deps.write(batch.points);
    } catch (e) {
      written = Promise.reject(e);
    }
    void written.then(() => {
      this.deps.settled((performance.now() - batch.started) / 1000);
      batch.resolve();
    }, (e: unknown) => {
      this.deps.settled((performance.now() - batch.started) / 1000);
      batch.reject(e);
    });
  }
}
