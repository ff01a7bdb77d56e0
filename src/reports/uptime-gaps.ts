// Server-side gap detection for the uptime audit: InfluxDB's elapsed() finds the gaps between
// consecutive readings longer than the smallest silence threshold, so only the gaps (and each
// device's first / last reading and daily battery) come back instead of every reading.
import type { InfluxDB } from 'influx';
import type { DeviceInfo } from '../core/domain.js';
import { KINDS } from '../kinds/index.js';
import { ident, num, querySeries, seriesRows } from './influx-query.js';
import type { BatterySample, Window } from './uptime-math.js';

export interface GapData { spans: Window[]; battery: BatterySample[] }

/** Readings of `devices` in [f, t) as spans between gaps longer than each device's threshold. */
export async function readGaps(influx: InfluxDB, db: string, devices: DeviceInfo[], w: string, f: number, t: number,
  thresholdOf: (d: DeviceInfo) => number): Promise<Map<string, GapData>> {
  const out = new Map<string, GapData>();
  if (t <= f) return out;
  const range = `time >= ${f}ms AND time < ${t}ms`;
  for (const kind of new Set(devices.map((d) => d.kind))) {
    const ofKind = devices.filter((d) => d.kind === kind);
    const minT = Math.min(...ofKind.map(thresholdOf));
    const k = KINDS[kind];
    const m = ident(k.measurement);
    const fld = ident(k.primaryField);
    const by = (rows: Array<Record<string, unknown>>): Map<string, Array<Record<string, unknown>>> => {
      const map = new Map<string, Array<Record<string, unknown>>>();
      for (const r of rows) if (typeof r.device === 'string') map.set(r.device, [...(map.get(r.device) ?? []), r]);
      return map;
    };
    const q = (s: string) => querySeries(influx, db, s).then(seriesRows).then(by);
    const gaps = await q(`SELECT "e" FROM (SELECT elapsed(${fld}, 1ms) AS e FROM ${m} WHERE ${range}${w} GROUP BY "device") WHERE "e" > ${minT} GROUP BY "device"`);
    const first = await q(`SELECT first(${fld}) FROM ${m} WHERE ${range}${w} GROUP BY "device"`);
    const last = await q(`SELECT last(${fld}) FROM ${m} WHERE ${range}${w} GROUP BY "device"`);
    const daily = await q(`SELECT mean("battery") AS b FROM ${m} WHERE ${range}${w} GROUP BY time(1d), "device" fill(none)`);
    const lastBattery = await q(`SELECT last("battery") AS b FROM ${m} WHERE ${range}${w} GROUP BY "device"`);
    for (const d of ofKind) {
      const a = num(first.get(d.id)?.[0]?.time);
      const z = num(last.get(d.id)?.[0]?.time);
      if (a === null || z === null) continue;
      const threshold = thresholdOf(d);
      const spans: Window[] = [];
      let open = a;
      const cuts = (gaps.get(d.id) ?? []).map((r) => ({ end: num(r.time), e: num(r.e) }))
        .filter((g): g is { end: number; e: number } => g.end !== null && g.e !== null && g.e > threshold).sort((x, y) => x.end - y.end);
      for (const g of cuts) {
        spans.push({ from: open, until: g.end - g.e });
        open = g.end;
      }
      spans.push({ from: open, until: z });
      // daily means at mid-day, then the last value itself
      const battery: BatterySample[] = (daily.get(d.id) ?? []).flatMap((r) => {
        const ts = num(r.time);
        const b = num(r.b);
        return ts !== null && b !== null ? [{ ts: Math.min(ts + 43_200_000, z), value: b }] : [];
      });
      const lb = lastBattery.get(d.id)?.[0];
      const lbv = num(lb?.b);
      const lbt = num(lb?.time);
      if (lbv !== null && lbt !== null) battery.push({ ts: lbt + 1, value: lbv });
      out.set(d.id, { spans, battery });
    }
  }
  return out;
}
