// RuleEngine: per-(device, rule) state and a min-heap of wake-up deadlines. The hub calls
// onReading / onPresence / onEvent as input arrives and tick(now) when nextDeadline() comes due;
// there is no periodic sweep. Each returns the transitions (raise / clear) it caused.
//
// Readings are evaluated in reading-time order per device: a reading older than the device's
// latest evaluated one (a back-dated flush), the same reading again (same reading time and
// content: a re-send after a failed store) or one older than `maxLateMs` (stale data, a device
// clock at 1970) is stored and shown by the other stages but evaluated only as a sign of life
// (no-data); so it can neither re-open nor flap a case, nor count twice. Two different readings
// with the same time (a batch stamped on receipt in one millisecond) are both evaluated.
import type { DeviceEvent, DeviceInfo, PresenceEvent, Reading } from '../core/domain.js';
import type { RuleSpec } from '../core/rule-spec.js';
import { noteData } from '../core/offline.js';
import { noDataDeadline, type NoDataState } from './conditions/no-data.js';
import { compileRule, initialState, step } from './evaluate.js';
import { DeadlineHeap } from './heap.js';
import { localTime, type LocalTime } from './localtime.js';
import { restoreRule, saveRule, specKey, type DeviceSnapshot } from './snapshot.js';
import type { CompiledRule, RuleContext, RuleInput, RuleState, Transition } from './types.js';

export interface RuleTransition {
  device: DeviceInfo;
  rule: RuleSpec;
  transition: Transition;
  ts: number;
  /** what caused it: the reading, the presence change, the event or the timer */
  trigger: Record<string, unknown>;
}

interface DeviceEntry {
  ctx: RuleContext;
  rules: CompiledRule[];
  states: RuleState[];
  /** reading time of the latest reading evaluated (-Infinity: none yet) */
  evaluatedTs: number;
  /** the readings evaluated at exactly evaluatedTs (to tell a re-send from a distinct reading) */
  atTs: Reading[];
}

const MAX_SAME_TS = 64;

export interface RuleEngineOptions {
  timezone: string;
  /** the effective rules of a device (see resolve.ts) */
  rulesFor: (device: DeviceInfo) => RuleSpec[];
  /** a reading older than this (by the hub's clock) is not evaluated; default 24 h */
  maxLateMs?: number;
}

export const DEFAULT_MAX_LATE_MS = 24 * 3_600_000;
/** a reading evaluated this long after its own time is marked late on its transitions */
export const LATE_NOTE_MS = 60_000;

const NONE: RuleTransition[] = [];

export class RuleEngine {
  private readonly devices = new Map<string, DeviceEntry>();
  private readonly heap = new DeadlineHeap<{ device: string; idx: number }>();
  private readonly local: LocalTime;

  constructor(private readonly opts: RuleEngineOptions) {
    this.local = localTime(opts.timezone);
  }

  /**
   * Registers a device; its no-data clock starts at `now`. Re-registering (a new DeviceInfo, e.g.
   * after a secret rotation or a move) keeps the state of every rule that still applies.
   */
  addDevice(device: DeviceInfo, now: number): void {
    const ctx: RuleContext = { local: this.local, device };
    const rules = this.opts.rulesFor(device).map(compileRule);
    const old = this.devices.get(device.id);
    const states = rules.map((r) => {
      const i = old ? old.rules.findIndex((o) => o.spec === r.spec) : -1;
      const kept = i >= 0 ? old?.states[i] : undefined;
      if (!kept) return initialState(r, ctx, now);
      kept.scheduledAt = undefined; // its old heap entry is now stale
      return kept;
    });
    this.devices.set(device.id, { ctx, rules, states, evaluatedTs: old?.evaluatedTs ?? -Infinity, atTs: old?.atTs ?? [] });
    states.forEach((st, idx) => this.schedule(device.id, idx, st));
  }

  /**
   * Re-resolves the rules of registered devices (all, or `ids`) after the overrides changed: an
   * unchanged rule keeps its state; a changed rule starts afresh but stays active if its old
   * version was (so an open case can still clear).
   */
  refreshRules(now: number, ids?: Iterable<string>): void {
    for (const id of ids ?? [...this.devices.keys()]) {
      const e = this.devices.get(id);
      if (!e) continue;
      const active = e.rules.flatMap((r, i) => (e.states[i]?.active ? [{ rule: r.spec.id, since: e.states[i]?.raisedAt ?? now }] : []));
      this.addDevice(e.ctx.device, now);
      for (const a of active) if (!this.isActive(id, a.rule)) this.markActive(id, a.rule, a.since);
    }
  }

  removeDevice(id: string): void {
    this.devices.delete(id); // heap entries for it are skipped when they come due
  }

  /** After a restart: a case is still open for this rule, so a clear must be able to resolve it. */
  markActive(deviceId: string, ruleId: string, since: number): void {
    const e = this.devices.get(deviceId);
    if (!e) return;
    const idx = e.rules.findIndex((r) => r.spec.id === ruleId);
    const st = e.states[idx];
    if (!st || e.rules[idx]?.spec.condition.type === 'event') return;
    st.active = true;
    st.raisedAt = since;
  }

  /** The device's state as data (snapshot.ts), for a new rules leader; undefined for an unknown device. */
  exportDevice(id: string): DeviceSnapshot | undefined {
    const e = this.devices.get(id);
    if (!e) return undefined;
    return {
      v: 1,
      evaluatedTs: e.evaluatedTs === -Infinity ? null : e.evaluatedTs,
      atTs: e.atTs.map((r) => structuredClone(r)),
      rules: e.rules.map((r, i) => saveRule(r.spec, e.states[i] as RuleState)),
    };
  }

  /**
   * Registers a device with the state a previous leader saved: each rule whose spec is unchanged
   * takes its saved state (deadlines re-queued: a `for` under way fires when it was due); a changed
   * rule starts afresh but stays active if its saved state was; the evaluated-reading watermark
   * comes back, so a replayed reading counts only as a sign of life.
   */
  importDevice(device: DeviceInfo, snap: DeviceSnapshot, now: number): void {
    const ctx: RuleContext = { local: this.local, device };
    const rules = this.opts.rulesFor(device).map(compileRule);
    const byId = new Map(snap.rules.map((r) => [r.id, r]));
    const restored = new Set<RuleState>();
    const states = rules.map((rule) => {
      const saved = byId.get(rule.spec.id);
      if (saved && saved.spec === specKey(rule.spec)) {
        const st = restoreRule(saved);
        restored.add(st);
        return st;
      }
      const st = initialState(rule, ctx, now);
      if (saved?.active && rule.spec.condition.type !== 'event') {
        st.active = true; // so the open case can still clear
        st.raisedAt = saved.raisedAt;
      }
      return st;
    });
    this.devices.set(device.id, { ctx, rules, states, evaluatedTs: snap.evaluatedTs ?? -Infinity, atTs: snap.atTs.map((r) => structuredClone(r)) });
    states.forEach((st, idx) => {
      // re-queue the very deadline the old engine had queued, so timers fire as they would have
      if (restored.has(st) && st.scheduledAt !== undefined) this.heap.push(st.scheduledAt, { device: device.id, idx });
      else this.schedule(device.id, idx, st);
    });
  }

  isActive(deviceId: string, ruleId: string): boolean {
    const e = this.devices.get(deviceId);
    if (!e) return false;
    return e.states[e.rules.findIndex((r) => r.spec.id === ruleId)]?.active ?? false;
  }

  onReading(reading: Reading, device: DeviceInfo, now: number): RuleTransition[] {
    return this.run(device, { type: 'reading', reading }, now);
  }

  onPresence(event: PresenceEvent, device: DeviceInfo, now: number): RuleTransition[] {
    return this.run(device, { type: 'presence', event }, now);
  }

  onEvent(event: DeviceEvent, device: DeviceInfo, now: number): RuleTransition[] {
    return this.run(device, { type: 'event', event }, now);
  }

  /**
   * A sign of life seen elsewhere (cluster mode: the last-seen time another hub recorded before the
   * leader has handled the data itself): moves the no-data deadline and cancels a drop's grace, as
   * data does; evaluates nothing else. Clearing an open offline alert is left to the data itself.
   * `inherit` (a new leader's first look): for a device this engine has evaluated no reading of,
   * the cluster's last-seen replaces the engine's own start time, even when older.
   */
  noteSeen(deviceId: string, at: number, inherit = false): void {
    const e = this.devices.get(deviceId);
    if (!e) return;
    e.rules.forEach((rule, idx) => {
      const cond = rule.spec.condition;
      const st = e.states[idx] as RuleState;
      if (cond.type !== 'noData' || st.active) return;
      const live = st.cond as NoDataState;
      // data older than a drop does not cancel it; data newer than the last seen moves the deadline
      const cancelsDrop = live.dropAt !== undefined && at >= live.dropAt;
      const adopt = inherit && e.evaluatedTs === -Infinity && at !== live.lastSeen;
      if (at <= live.lastSeen && !cancelsDrop && !adopt) return;
      if (cancelsDrop) noteData(live, at);
      if (adopt || at > live.lastSeen) live.lastSeen = at;
      st.wakeAt = noDataDeadline(cond, live, e.ctx);
      this.schedule(deviceId, idx, st);
    });
  }

  /** Runs every deadline due at `now`. */
  tick(now: number): RuleTransition[] {
    let out = NONE;
    const input: RuleInput = { type: 'tick' };
    for (let top = this.heap.peek(); top && top.at <= now; top = this.heap.peek()) {
      this.heap.pop();
      const e = this.devices.get(top.value.device);
      const st = e?.states[top.value.idx];
      const rule = e?.rules[top.value.idx];
      if (!e || !st || !rule || st.scheduledAt !== top.at) continue; // stale entry
      st.scheduledAt = undefined;
      const tr = step(rule, st, input, now, e.ctx);
      if (tr) {
        if (out === NONE) out = [];
        out.push({ device: e.ctx.device, rule: rule.spec, transition: tr, ts: now, trigger: { timer: true, at: top.at } });
      }
      // never re-queue at or before now: one pass of tick() always ends
      if (st.wakeAt !== undefined && st.wakeAt <= now) st.wakeAt = now + 1;
      this.schedule(top.value.device, top.value.idx, st);
    }
    return out;
  }

  /** The earliest pending deadline, for the hub's single timer. */
  nextDeadline(): number | undefined {
    return this.heap.peek()?.at;
  }

  private run(device: DeviceInfo, input: RuleInput, now: number): RuleTransition[] {
    let e = this.devices.get(device.id);
    if (!e || e.ctx.device !== device) {
      this.addDevice(device, now);
      e = this.devices.get(device.id) as DeviceEntry;
    }
    let out = NONE;
    const { rules, states, ctx } = e;
    // only a reading newer than the latest evaluated one, and not stale, is evaluated in full
    const lifeOnly = input.type === 'reading' && !this.admit(e, input.reading, now);
    // a presence change is news only to no-data and windowed rules (a reconnect storm: 20,000 of
    // them); a reading is none to a device event's rule
    const presence = input.type === 'presence';
    const reading = input.type === 'reading';
    for (let i = 0; i < rules.length; i++) {
      const st = states[i] as RuleState;
      const rule = rules[i] as CompiledRule;
      if (lifeOnly && rule.spec.condition.type !== 'noData') continue;
      if (presence && !rule.presence) continue;
      if (reading && !rule.reading) continue;
      const tr = step(rule, st, input, now, ctx);
      if (st.wakeAt !== undefined && (st.scheduledAt === undefined || st.wakeAt < st.scheduledAt)) this.schedule(device.id, i, st);
      if (tr) {
        if (out === NONE) out = [];
        out.push({ device, rule: rule.spec, transition: tr, ts: input.type === 'reading' ? input.reading.ts : now, trigger: triggerOf(input, now) });
      }
    }
    return out;
  }

  /** Whether a reading is evaluated in full (and, if so, records it as the latest evaluated). */
  private admit(e: DeviceEntry, r: Reading, now: number): boolean {
    if (r.ts < now - (this.opts.maxLateMs ?? DEFAULT_MAX_LATE_MS) || r.ts < e.evaluatedTs) return false;
    if (r.ts > e.evaluatedTs) {
      e.evaluatedTs = r.ts;
      // the usual one-element array is reused: no array per reading (exportDevice copies it)
      if (e.atTs.length === 1) e.atTs[0] = r;
      else e.atTs = [r];
      return true;
    }
    if (e.atTs.some((x) => sameReading(x, r))) return false;
    if (e.atTs.length < MAX_SAME_TS) e.atTs.push(r);
    return true;
  }

  private schedule(device: string, idx: number, st: RuleState): void {
    if (st.wakeAt === undefined) return;
    if (st.scheduledAt !== undefined && st.scheduledAt <= st.wakeAt) return; // an earlier wake re-checks
    st.scheduledAt = st.wakeAt;
    this.heap.push(st.wakeAt, { device, idx });
  }
}

function sameReading(a: Reading, b: Reading): boolean {
  if (a.seq !== b.seq || a.battery !== b.battery) return false;
  const ka = Object.keys(a.values);
  return ka.length === Object.keys(b.values).length && ka.every((k) => a.values[k] === b.values[k]);
}

function triggerOf(input: RuleInput, now: number): Record<string, unknown> {
  switch (input.type) {
    case 'reading': {
      const r = input.reading;
      // a reading that arrives late (a flushed buffer) says so on the case and its ledger entry
      const late = now - r.ts >= LATE_NOTE_MS ? { lateMs: now - r.ts, receivedAt: now } : {};
      return { ts: r.ts, values: { ...r.values }, ...(r.battery === undefined ? {} : { battery: r.battery }), ...late };
    }
    case 'presence': return { ts: input.event.ts, online: input.event.online, cause: input.event.cause };
    case 'event': return { ts: input.event.ts, event: input.event.type, ...(input.event.detail ? { detail: input.event.detail } : {}) };
    case 'tick': return { timer: true };
  }
}
