// Per-device `seq` de-duplication with bounded memory: a window of the most recent seqs per
// device, and an LRU over devices. `claim` reserves a seq before the write; `release` gives it
// back if the write failed, so the device's retry is not mistaken for a duplicate.

export interface DedupOptions {
  /** seqs remembered per device */
  window?: number;
  /** devices remembered; the least recently seen is forgotten first */
  maxDevices?: number;
}

interface DeviceWindow {
  seen: Set<number>;
  order: number[];
}

export class SeqDedup {
  private readonly devices = new Map<string, DeviceWindow>();
  private readonly window: number;
  private readonly maxDevices: number;

  constructor(opts: DedupOptions = {}) {
    this.window = opts.window ?? 256;
    this.maxDevices = opts.maxDevices ?? 20_000;
  }

  /** True when `seq` is new for `device` (and now reserved); false for a duplicate. */
  claim(device: string, seq: number): boolean {
    const w = this.touch(device);
    if (w.seen.has(seq)) return false;
    w.seen.add(seq);
    w.order.push(seq);
    if (w.order.length > this.window) {
      const old = w.order.shift();
      if (old !== undefined) w.seen.delete(old);
    }
    return true;
  }

  /** Forgets a claimed seq (its write failed). */
  release(device: string, seq: number): void {
    const w = this.devices.get(device);
    if (!w || !w.seen.delete(seq)) return;
    const i = w.order.lastIndexOf(seq);
    if (i >= 0) w.order.splice(i, 1);
  }

  has(device: string, seq: number): boolean {
    return this.devices.get(device)?.seen.has(seq) ?? false;
  }

  get size(): number {
    return this.devices.size;
  }

  private touch(device: string): DeviceWindow {
    let w = this.devices.get(device);
    if (w) {
      this.devices.delete(device);
    } else {
      w = { seen: new Set(), order: [] };
      if (this.devices.size >= this.maxDevices) {
        const oldest = this.devices.keys().next();
        if (!oldest.done) this.devices.delete(oldest.value);
      }
    }
    this.devices.set(device, w);
    return w;
  }
}
