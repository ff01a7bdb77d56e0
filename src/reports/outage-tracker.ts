// Keeps the outage records as outages happen: follows every device's data and presence on the
// bus through the one definition of offline (core/offline.ts, the same OutageFollower the audit's
// raw recomputation replays) and writes each outage when it ends, each forgiven drop, and (every
// few seconds and at close) each device's liveness state and daily battery sums. An outage still
// under way is not written: the audit judges it from the stored state up to its `--to`.
// Ended outages and forgiven drops are written within RECORDS_MS of being judged, all those of
// that window in one transaction: a reconnect storm (10,000 devices back within a few seconds)
// costs a few dozen transactions instead of one per device (a transaction is a WAL commit; rows
// arriving a handful per event-loop turn made per-turn batches little better than per-row).
import type { Clock } from '../core/clock.js';
import type { DeviceEvent, DeviceInfo, PresenceEvent, Reading } from '../core/domain.js';
import type { HubBus } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import { judgementOf, liveness, OutageFollower, offlinePolicy, type Judgement, type LivenessStep, type OfflinePolicy } from '../core/offline.js';
import type { BatteryDay, DeviceStateRow, OutageRow, OutageStore, ReconnectRow } from './outage-store.js';

const DAY_MS = 86_400_000;
export const FLUSH_MS = 5_000;
/** how long an ended outage or forgiven drop may wait for others to share its transaction */
export const RECORDS_MS = 200;

interface Tracked {
  f: OutageFollower;
  firstSeen: number;
  firstData: number | null;
  battery: number | null;
  batteryTs: number | null;
  day: number;
  sum: number;
  n: number;
  dirty: boolean;
}

export class OutageTracker {
  private readonly devices = new Map<string, Tracked>();
  private readonly judgements = new WeakMap<DeviceInfo, Judgement>();
  private readonly policy: OfflinePolicy;
  private pendingDays: BatteryDay[] = [];
  private pendingOutages: OutageRow[] = [];
  private pendingReconnects: ReconnectRow[] = [];
  private recordsTimer: NodeJS.Timeout | undefined;
  private timer: NodeJS.Timeout | undefined;
  private detach: (() => void) | undefined;

  constructor(private readonly store: OutageStore, private readonly clock: Clock, offlineFactor: number, private readonly logger?: Logger) {
    this.policy = offlinePolicy({ factor: offlineFactor });
    store.markSince(clock.now());
    for (const r of store.states()) this.devices.set(r.device, fromRow(r));
  }

  attach(bus: HubBus): void {
    const onReading = (r: Reading, d: DeviceInfo): void => this.data(d, this.clock.now(), r.battery);
    const onEvent = (_e: DeviceEvent, d: DeviceInfo): void => this.data(d, this.clock.now(), undefined);
    const onPresence = (e: PresenceEvent, d: DeviceInfo): void => this.presence(d, e);
    bus.on('reading', onReading);
    bus.on('deviceEvent', onEvent);
    bus.on('presence', onPresence);
    this.detach = () => { bus.off('reading', onReading); bus.off('deviceEvent', onEvent); bus.off('presence', onPresence); };
    this.timer = setInterval(() => this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  close(): void {
    this.detach?.();
    if (this.timer) clearInterval(this.timer);
    this.flush();
  }

  /** Writes the outages and forgiven drops judged since the last write (RECORDS_MS after the first, or with the states). */
  private writeRecords(): void {
    this.recordsTimer = undefined;
    const outages = this.pendingOutages;
    const reconnects = this.pendingReconnects;
    if (outages.length === 0 && reconnects.length === 0) return;
    this.pendingOutages = [];
    this.pendingReconnects = [];
    try {
      this.store.save([], [], outages, reconnects);
    } catch (e) {
      this.logger?.error({ err: e, outages: outages.length, reconnects: reconnects.length }, 'outage records: not written');
    }
  }

  /** Data (a reading or device event) received at `t`. */
  data(d: DeviceInfo, t: number, battery: number | undefined): void {
    const x = this.tracked(d.id, t);
    if (x.firstData === null) x.firstData = t;
    this.apply(d, x, { ts: t, kind: 'data' });
    if (battery !== undefined) {
      const day = Math.floor(t / DAY_MS) * DAY_MS;
      if (day !== x.day && x.n > 0) this.pendingDays.push({ device: d.id, day: x.day, sum: x.sum, n: x.n });
      if (day !== x.day) { x.day = day; x.sum = 0; x.n = 0; }
      x.sum += battery;
      x.n++;
      x.battery = battery;
      x.batteryTs = t;
    }
  }

  presence(d: DeviceInfo, e: PresenceEvent): void {
    this.apply(d, this.tracked(d.id, e.ts), { ts: e.ts, kind: 'presence', online: e.online, cause: e.cause });
  }

  /** Writes what is pending: outages and forgiven drops, the changed device states and the daily battery sums gathered since the last flush. */
  flush(): void {
    if (this.recordsTimer) clearTimeout(this.recordsTimer);
    this.recordsTimer = undefined;
    const outages = this.pendingOutages;
    const reconnects = this.pendingReconnects;
    this.pendingOutages = [];
    this.pendingReconnects = [];
    const states: DeviceStateRow[] = [];
    const days = this.pendingDays;
    this.pendingDays = [];
    for (const [id, x] of this.devices) {
      if (!x.dirty) continue;
      x.dirty = false;
      states.push(toRow(id, x));
      if (x.n > 0) days.push({ device: id, day: x.day, sum: x.sum, n: x.n });
      x.sum = 0;
      x.n = 0;
    }
    if (states.length === 0 && days.length === 0 && outages.length === 0 && reconnects.length === 0) return;
    try {
      this.store.save(states, days, outages, reconnects);
    } catch (e) {
      this.logger?.error({ err: e }, 'outage records: not saved');
    }
  }

  private tracked(id: string, t: number): Tracked {
    let x = this.devices.get(id);
    if (!x) {
      x = { f: new OutageFollower(liveness(t)), firstSeen: t, firstData: null, battery: null, batteryTs: null, day: 0, sum: 0, n: 0, dirty: true };
      this.devices.set(id, x);
    }
    return x;
  }

  private apply(d: DeviceInfo, x: Tracked, st: LivenessStep): void {
    let j = this.judgements.get(d);
    if (!j) this.judgements.set(d, (j = judgementOf(d.intervalS, this.policy)));
    const r = x.f.step(st, j);
    x.dirty = true;
    if (r.ended) this.pendingOutages.push({ device: d.id, ...r.ended });
    if (r.reconnect) this.pendingReconnects.push({ device: d.id, dropAt: r.reconnect.dropAt, at: r.reconnect.at });
    if ((r.ended || r.reconnect) && !this.recordsTimer) this.recordsTimer = setTimeout(() => this.writeRecords(), RECORDS_MS);
  }
}

function fromRow(r: DeviceStateRow): Tracked {
  const f = new OutageFollower(
    { lastSeen: r.last_seen, dropAt: r.drop_at ?? undefined, dropCause: r.drop_cause ?? undefined },
    r.open_start !== null && r.open_cause !== null ? { start: r.open_start, cause: r.open_cause } : undefined,
  );
  return { f, firstSeen: r.first_seen, firstData: r.first_data, battery: r.battery, batteryTs: r.battery_ts, day: 0, sum: 0, n: 0, dirty: false };
}

function toRow(device: string, x: Tracked): DeviceStateRow {
  const { live, open } = x.f;
  return {
    device, first_seen: x.firstSeen, first_data: x.firstData, last_seen: live.lastSeen,
    drop_at: live.dropAt ?? null, drop_cause: live.dropCause ?? null,
    open_start: open?.start ?? null, open_cause: open?.cause ?? null, battery: x.battery, battery_ts: x.batteryTs,
  };
}
