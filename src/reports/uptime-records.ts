// The uptime audit from outage records (outages.db): the hub's own judgement as it happened,
// a few thousand rows for a month of a street instead of every reading. An outage still under
// way is judged from the stored device state up to `to`.
import { existsSync } from 'node:fs';
import type { DeviceInfo } from '../core/domain.js';
import { OutageFollower, type OutageCause } from '../core/offline.js';
import { OutageStore } from './outage-store.js';
import { uptimeFromOutages, type UptimeResult, type Window } from './uptime-math.js';

const DAY_MS = 86_400_000;

/** Whether the records at `file` exist and began at or before `from` (else the audit reads InfluxDB). */
export function recordsCover(file: string | undefined, from: number): boolean {
  if (file === undefined || !existsSync(file)) return false;
  const store = new OutageStore(file, { readonly: true });
  try {
    const since = store.since();
    return since !== null && since <= from;
  } catch {
    return false;
  } finally {
    store.close();
  }
}

export interface RecordsAudit {
  from: number;
  to: number;
  thresholdOf(d: DeviceInfo): number;
  graceMs: number;
  silencesOf(d: DeviceInfo): Window[];
}

export function uptimeFromRecords(file: string, devices: DeviceInfo[], a: RecordsAudit): Map<string, UptimeResult> {
  const { from, to } = a;
  const store = new OutageStore(file, { readonly: true });
  try {
    const wanted = new Set(devices.map((d) => d.id));
    const outages = new Map<string, Array<{ start: number; end: number; cause: OutageCause }>>();
    for (const o of store.outages(from, to)) {
      if (!wanted.has(o.device)) continue;
      let l = outages.get(o.device);
      if (!l) outages.set(o.device, (l = []));
      l.push({ start: o.start, end: Math.min(o.end, to), cause: o.cause });
    }
    const reconnects = new Map(store.reconnects(from, to).map((r) => [r.device, r.n]));
    // the battery trend from daily means, fitted in SQLite: one row per device
    const day0 = Math.floor(from / DAY_MS) * DAY_MS;
    const trend = new Map(store.batteryFits(day0, to).map((f) => {
      const den = f.n * f.sxx - f.sx * f.sx;
      return [f.device, f.n >= 2 && den > 0 ? (f.n * f.sxy - f.sx * f.sy) / den : null];
    }));
    const states = new Map(store.states().map((s) => [s.device, s]));
    const out = new Map<string, UptimeResult>();
    for (const d of devices) {
      const s = states.get(d.id);
      const list = outages.get(d.id) ?? [];
      if (s) {
        // the outage under way now (not yet written) counts up to `to` when it began before it
        const f = new OutageFollower({ lastSeen: s.last_seen, dropAt: s.drop_at ?? undefined, dropCause: s.drop_cause ?? undefined },
          s.open_start !== null && s.open_cause !== null ? { start: s.open_start, cause: s.open_cause } : undefined);
        const open = f.pending(to, { silenceMs: a.thresholdOf(d), graceMs: a.graceMs });
        if (open && open.start < to) list.push({ start: open.start, end: to, cause: open.cause });
      }
      const last = s && s.battery !== null && s.battery_ts !== null && s.battery_ts >= from && s.battery_ts < to ? s.battery : null;
      out.set(d.id, uptimeFromOutages({ from, to, silences: a.silencesOf(d) }, s?.first_seen ?? null, s?.first_data ?? null, list, reconnects.get(d.id) ?? 0, { last, trend: trend.get(d.id) ?? null }));
    }
    return out;
  } finally {
    store.close();
  }
}
