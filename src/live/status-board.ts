// Device live status: listens to the bus (`reading`, `presence`, `alert`) and keeps per device
// {online, lastSeen, battery, last reading, open alarms}. The status itself is a pure function of
// that state and the time, so it is tested without timers; a per-device deadline timer re-checks
// a silent device when it would turn offline and announces the change. Offline is judged by the
// one definition (src/core/offline.ts) on the hub's receive times, as the rules judge it.
import { EventEmitter } from 'node:events';
import type { AlertCase, AlertChange, AlertService } from '../core/alert-types.js';
import type { Clock } from '../core/clock.js';
import type { DeviceInfo, FieldValue, PresenceEvent, Reading } from '../core/domain.js';
import type { HubBus } from '../core/events.js';
import type { SiteIndex } from '../config/site.js';
import { isOffline, liveness, noteData, notePresence, offlineDeadline, offlinePolicy, type OfflinePolicy, type Liveness } from '../core/offline.js';

import type { DeviceStatus, DeviceView } from '../core/live-types.js';

export type { DeviceStatus, DeviceView } from '../core/live-types.js';

export interface DeviceState {
  /** last presence said online (true) / offline (false); null: no presence seen */
  online: boolean | null;
  /** newest reading time (or connect time) known, for display */
  lastSeen: number | null;
  /** what the offline judgement needs, on receive times; null: never seen */
  live: Liveness | null;
  battery: number | null;
  last: { ts: number; values: Record<string, FieldValue> } | null;
  /** open or acknowledged warning/critical cases (other than offline/battery) by case id */
  alarms: Set<string>;
}

export const LOW_BATTERY = 20;

/** Cases about the device's own health do not make it 'alarm': they have their own statuses. */
export function isAlarmCase(c: Pick<AlertCase, 'rule' | 'severity' | 'state'>): boolean {
  return (c.state === 'open' || c.state === 'acknowledged') && (c.severity === 'critical' || c.severity === 'warning') && !/(^|[.:/-])(offline|battery)/.test(c.rule);
}

export function emptyState(): DeviceState {
  return { online: null, lastSeen: null, live: null, battery: null, last: null, alarms: new Set() };
}

/** alarm > offline > low_battery > ok; unknown when never seen. A clean disconnect is not offline. */
export function deviceStatus(s: DeviceState, intervalS: number, now: number, policy: OfflinePolicy = offlinePolicy()): DeviceStatus {
  if (s.alarms.size > 0) return 'alarm';
  if (s.live === null) return 'unknown';
  if (isOffline(s.live, intervalS, now, policy)) return 'offline';
  if (s.battery !== null && s.battery < LOW_BATTERY) return 'low_battery';
  return 'ok';
}

export interface StatusBoardEvents { change: [view: DeviceView] }

export class StatusBoard extends EventEmitter<StatusBoardEvents> {
  private readonly states = new Map<string, DeviceState>();
  /** what the panel was last told per device (a change of any of these is announced) */
  private readonly shown = new Map<string, { status: DeviceStatus; online: boolean | null; battery: number | null }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** when each armed timer fires */
  private readonly armedAt = new Map<string, number>();
  private detach: (() => void) | undefined;
  private readonly policy: OfflinePolicy;

  /** `offline`: the report config's offlineFactor, or a whole policy (tests shorten the minimum silence) */
  constructor(private readonly site: SiteIndex, private readonly clock: Clock, offline: number | Partial<OfflinePolicy> = 3) {
    super();
    this.policy = offlinePolicy(typeof offline === 'number' ? { factor: offline } : offline);
  }

  private live(s: DeviceState, since: number): Liveness {
    return (s.live ??= liveness(since));
  }

  private state(id: string): DeviceState {
    let s = this.states.get(id);
    if (!s) { s = emptyState(); this.states.set(id, s); }
    return s;
  }

  /**
   * Starts listening to the bus and seeds open alarms from the alerting stage; resolves once
   * seeded. A case the bus announced while the seed was read is newer than the seed: kept as heard.
   */
  async attach(bus: HubBus, alerts?: AlertService): Promise<void> {
    const heard = new Set<string>();
    const onReading = (r: Reading, d: DeviceInfo): void => this.onReading(r, d);
    const onPresence = (e: PresenceEvent, d: DeviceInfo): void => this.onPresence(e, d);
    const onAlert = (ch: AlertChange): void => {
      heard.add(ch.case.id);
      this.onAlert(ch.case);
    };
    bus.on('reading', onReading);
    bus.on('presence', onPresence);
    bus.on('alert', onAlert);
    this.detach = () => { bus.off('reading', onReading); bus.off('presence', onPresence); bus.off('alert', onAlert); };
    if (!alerts) return;
    for (const c of await alerts.list({ state: ['open', 'acknowledged'] })) if (!heard.has(c.id)) this.onAlert(c, false);
    heard.clear();
  }

  close(): void {
    this.detach?.();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.armedAt.clear();
  }

  onReading(r: Reading, d: DeviceInfo): void {
    const s = this.state(d.id);
    if (s.lastSeen === null || r.ts >= s.lastSeen) {
      s.lastSeen = r.ts;
      if (s.last) {
        s.last.ts = r.ts; // in place: no object per reading (view() hands out a copy)
        s.last.values = r.values;
      } else s.last = { ts: r.ts, values: r.values };
      if (r.battery !== undefined) s.battery = r.battery;
    }
    s.online = true; // data clears an offline state
    const now = this.clock.now();
    noteData(this.live(s, now), now);
    // Data only moves the deadline later: an armed timer stays and re-arms itself when it fires
    // early (a new timer per reading, each with its own duration, cost more than the reading).
    if (!this.timers.has(d.id)) this.schedule(d);
    this.announce(d.id);
  }

  onPresence(e: PresenceEvent, d: DeviceInfo): void {
    const s = this.state(d.id);
    s.online = e.online;
    if (e.online) s.lastSeen = Math.max(s.lastSeen ?? 0, e.ts);
    notePresence(this.live(s, this.clock.now()), e, this.clock.now());
    // a drop brings the deadline forward (re-armed); a connect only moves it later, so an armed
    // timer stays and re-arms itself when it fires early (a reconnect storm re-arms none)
    this.schedule(d, true);
    this.announce(d.id);
  }

  onAlert(c: AlertCase, announce = true): void {
    const s = this.state(c.device);
    if (isAlarmCase(c)) s.alarms.add(c.id); else s.alarms.delete(c.id);
    if (announce) this.announce(c.device);
  }

  /** A decommissioned device: its state and offline timer go (the registry announced it). */
  forget(id: string): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
    this.armedAt.delete(id);
    this.states.delete(id);
    this.shown.delete(id);
  }

  /** Last known reading from storage; ignored when live data is already newer. */
  seed(id: string, last: { ts: number; values: Record<string, FieldValue>; battery: number | null }): void {
    const s = this.state(id);
    if (s.lastSeen !== null && s.lastSeen >= last.ts) return;
    s.lastSeen = last.ts;
    s.last = { ts: last.ts, values: last.values };
    if (last.battery !== null) s.battery = last.battery;
    if (s.live === null || s.live.lastSeen < last.ts) noteData(this.live(s, last.ts), last.ts);
    const d = this.site.devices.get(id);
    if (d) this.schedule(d);
  }

  /**
   * Last known presence from storage; ignored when a live presence or reading came later. An
   * offline point of unknown cause is taken as a drop: the panel must not look calm when it cannot know.
   */
  seedPresence(id: string, online: boolean, ts: number, cause: PresenceEvent['cause'] = online ? 'connect' : 'lwt'): void {
    const s = this.state(id);
    if (s.lastSeen !== null && s.lastSeen > ts) return;
    s.online = online;
    if (online) s.lastSeen = Math.max(s.lastSeen ?? 0, ts);
    notePresence(this.live(s, ts), { online, cause }, ts);
    const d = this.site.devices.get(id);
    if (d) this.schedule(d);
  }

  /** Arms the device's deadline timer; `keepEarlier`: an armed timer that fires no later stays (it re-arms itself). */
  private schedule(d: DeviceInfo, keepEarlier = false): void {
    const live = this.states.get(d.id)?.live;
    const now = this.clock.now();
    const due = live ? Math.min(Math.max(0, offlineDeadline(live, d.intervalS, this.policy) - now) + 1000, 2 ** 31 - 1) : undefined;
    const old = this.timers.get(d.id);
    if (old) {
      if (keepEarlier && due !== undefined && (this.armedAt.get(d.id) ?? Infinity) <= now + due) return;
      clearTimeout(old);
      this.timers.delete(d.id);
      this.armedAt.delete(d.id);
    }
    if (due === undefined) return;
    const t = setTimeout(() => this.due(d), due);
    t.unref();
    this.timers.set(d.id, t);
    this.armedAt.set(d.id, now + due);
  }

  /** A device's deadline timer fired: announce what changed; data since then moved it: arm again. */
  private due(d: DeviceInfo): void {
    this.timers.delete(d.id);
    this.armedAt.delete(d.id);
    this.announce(d.id);
    const live = this.states.get(d.id)?.live;
    if (live && !isOffline(live, d.intervalS, this.clock.now(), this.policy)) this.schedule(d);
  }

  /** Emits `change` when what the panel shows as the device's state (status, online, battery) changed. */
  private announce(id: string): void {
    const d = this.site.devices.get(id);
    if (!d) return;
    const s = this.states.get(id) ?? emptyState();
    const status = deviceStatus(s, d.intervalS, this.clock.now(), this.policy);
    const last = this.shown.get(id);
    if (last && last.status === status && last.online === s.online && last.battery === s.battery) return;
    this.shown.set(id, { status, online: s.online, battery: s.battery });
    const v = this.view(id);
    if (v) this.emit('change', v);
  }

  view(id: string): DeviceView | undefined {
    const d = this.site.devices.get(id);
    if (!d) return undefined;
    const s = this.states.get(id) ?? emptyState();
    return {
      id: d.id, kind: d.kind, street: d.street, community: d.community, grid: d.grid, building: d.building,
      unit: d.unit ?? null, intervalS: d.intervalS, status: deviceStatus(s, d.intervalS, this.clock.now(), this.policy),
      online: s.online, lastSeen: s.lastSeen, battery: s.battery, last: s.last && { ts: s.last.ts, values: s.last.values },
    };
  }

  list(filter: { grids?: readonly string[]; grid?: string; building?: string; kind?: string } = {}): DeviceView[] {
    const out: DeviceView[] = [];
    for (const d of this.site.devices.values()) {
      if (filter.grids && !filter.grids.includes(d.grid)) continue;
      if (filter.grid !== undefined && d.grid !== filter.grid) continue;
      if (filter.building !== undefined && d.building !== filter.building) continue;
      if (filter.kind !== undefined && d.kind !== filter.kind) continue;
      const v = this.view(d.id);
      if (v) out.push(v);
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }
}
