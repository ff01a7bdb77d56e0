// Offline from data, cluster-wide: every hub ZADDs the receive time of each accepted reading or
// device event to `gw:lastseen` (stream.ts, in the same round trip as the XADD). The rules leader
// sweeps it each second: devices seen since the last sweep move their no-data deadline (`seen`:
// a sign of life accepted by any hub, even before the leader has handled its stream entry, and it
// cancels a Last Will's hint), devices silent past their deadline (src/core/offline.ts, the one
// definition) are reported (`offline`). A new leader's first sweep reads everything, so it
// inherits every device's deadline. Last Wills and disconnects never reach this set: a device
// that moves to another hub within seconds keeps publishing and never becomes offline.
import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger.js';
import { LASTSEEN_KEY } from './stream.js';

export interface OfflineInput {
  device: string;
  /** the last data any hub accepted from it (ms) */
  lastSeen: number;
  /** lastSeen + its silence threshold */
  deadline: number;
}

/**
 * The devices past their offline deadline. `silenceMs(device)`: the device's silence threshold
 * (silenceThresholdMs of offline.ts), undefined for a device no longer registered (never offline).
 */
export function dueOffline(seen: ReadonlyArray<{ device: string; lastSeen: number }>, silenceMs: (device: string) => number | undefined, now: number): OfflineInput[] {
  const out: OfflineInput[] = [];
  for (const s of seen) {
    const ms = silenceMs(s.device);
    if (ms === undefined) continue;
    const deadline = s.lastSeen + ms;
    if (now >= deadline) out.push({ device: s.device, lastSeen: s.lastSeen, deadline });
  }
  return out;
}

export interface SweepOptions {
  silenceMs(device: string): number | undefined;
  /** the shortest silence threshold of any device (only older entries are candidates) */
  minSilenceMs: number;
  /** a device seen (by any hub) since the last sweep; `initial`: the first sweep of this reign (every device) */
  onSeen?(device: string, lastSeen: number, initial: boolean): void;
  /** a device past its offline deadline; reported once per lastSeen */
  onOffline(input: OfflineInput): void;
  /** clocks of the hubs may differ this much (a late ZADD with an older score is still read) */
  skewMs?: number;
  intervalMs?: number;
  now(): number;
  logger?: Logger;
}

function pairs(flat: string[]): Array<{ device: string; lastSeen: number }> {
  const out: Array<{ device: string; lastSeen: number }> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ device: flat[i] as string, lastSeen: Number(flat[i + 1]) });
  return out;
}

export class LastSeenSweep {
  private since = -Infinity;
  private readonly reported = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(private readonly redis: Redis, private readonly opts: SweepOptions) {}

  /** One sweep: sign-of-life updates first, then the devices past their deadline. */
  async sweep(): Promise<void> {
    const now = this.opts.now();
    const skew = this.opts.skewMs ?? 5000;
    const from = this.since === -Infinity ? '-inf' : String(this.since - skew);
    const initial = this.since === -Infinity;
    const fresh = pairs(await this.redis.zrangebyscore(LASTSEEN_KEY, from, '+inf', 'WITHSCORES'));
    for (const s of fresh) {
      this.opts.onSeen?.(s.device, s.lastSeen, initial);
      if (s.lastSeen > this.since) this.since = s.lastSeen;
    }
    const candidates = pairs(await this.redis.zrangebyscore(LASTSEEN_KEY, '-inf', String(now - this.opts.minSilenceMs), 'WITHSCORES'));
    const stillDue = new Set<string>();
    for (const o of dueOffline(candidates, this.opts.silenceMs, now)) {
      stillDue.add(o.device);
      if (this.reported.get(o.device) === o.lastSeen) continue;
      this.reported.set(o.device, o.lastSeen);
      this.opts.onOffline(o);
    }
    for (const d of this.reported.keys()) if (!stillDue.has(d)) this.reported.delete(d); // seen again: a new outage is reported anew
  }

  start(): void {
    if (this.timer) return;
    const run = (): void => {
      if (this.busy) return;
      this.busy = true;
      this.sweep().catch((e: unknown) => this.opts.logger?.warn({ err: e instanceof Error ? e.message : String(e) }, 'last-seen sweep failed; next one in a second'))
        .finally(() => {
          this.busy = false;
        });
    };
    run();
    this.timer = setInterval(run, this.opts.intervalMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.since = -Infinity; // a later reign reads everything again
    this.reported.clear();
  }
}
