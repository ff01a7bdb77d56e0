// The night noise report: one night (default 22:00–06:00 local) of raw noise readings per meter,
// summarised per building (its loudest meter) and ranked; grids that broke their limit listed.
import type { InfluxDB } from 'influx';
import type { DeviceInfo } from '../core/domain.js';
import { ValidationError } from '../core/errors.js';
import type { SiteIndex } from '../config/site.js';
import { KINDS } from '../kinds/index.js';
import { ident, lit, num, querySeries, seriesRows } from './influx-query.js';
import { analyzeNight, nightLimit, rankByLoudness, type NightAnalysis, type NoiseSample } from './noise-math.js';
import { CLOCK_RE, DATE_RE, nightWindow } from './tz.js';

export interface NoiseOptions {
  /** the local date the night starts on, YYYY-MM-DD */
  night: string;
  building?: string;
  grid?: string;
  /** only buildings in these grids (what the caller may see); omitted: all */
  grids?: string[];
  timezone: string;
  window: { from: string; to: string };
}

export interface DeviceNight extends NightAnalysis { device: string }

export interface BuildingNight {
  night: string;
  building: string;
  name: string;
  grid: string;
  noiseZone: string;
  limit: number;
  /** the loudest meter's night LAeq */
  laeq: number | null;
  lmax: number | null;
  minutesAbove: number;
  impulses: number;
  breach: boolean;
  devices: DeviceNight[];
}

export interface NoiseReport {
  night: string;
  from: number;
  to: number;
  timezone: string;
  /** loudest first */
  buildings: BuildingNight[];
  /** grids with at least one building over its limit */
  breachedGrids: string[];
}

export function validateNoise(site: SiteIndex, opts: NoiseOptions): void {
  if (!DATE_RE.test(opts.night) || Number.isNaN(Date.parse(opts.night))) throw new ValidationError('GW_ERR_REPORT_RANGE', 'night', opts.night, 'must be a date YYYY-MM-DD');
  if (opts.building !== undefined && !site.buildings.has(opts.building)) throw new ValidationError('GW_ERR_REPORT_RANGE', 'building', opts.building, 'must be a known building id');
  if (opts.grid !== undefined && !site.grids.has(opts.grid)) throw new ValidationError('GW_ERR_REPORT_RANGE', 'grid', opts.grid, 'must be a known grid id');
  for (const k of ['from', 'to'] as const) {
    if (!CLOCK_RE.test(opts.window[k])) throw new ValidationError('GW_ERR_REPORT_RANGE', `window.${k}`, opts.window[k], 'must be a clock time HH:MM');
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: opts.timezone });
  } catch {
    throw new ValidationError('GW_ERR_REPORT_RANGE', 'timezone', opts.timezone, 'must be an IANA time zone such as Asia/Shanghai');
  }
}

function noiseDevices(site: SiteIndex, opts: NoiseOptions): DeviceInfo[] {
  return [...site.devices.values()].filter((d) => d.kind === 'noise' && (opts.building === undefined || d.building === opts.building) && (opts.grid === undefined || d.grid === opts.grid) && (opts.grids === undefined || opts.grids.includes(d.grid)));
}

export async function nightNoise(influx: InfluxDB, db: string, site: SiteIndex, opts: NoiseOptions): Promise<NoiseReport> {
  validateNoise(site, opts);
  const { from, to } = nightWindow(opts.night, opts.window, opts.timezone);
  const devices = noiseDevices(site, opts);
  const scope = opts.building !== undefined ? ` AND "building" = ${lit(opts.building)}` : opts.grid !== undefined ? ` AND "grid" = ${lit(opts.grid)}` : '';
  const samples = new Map<string, NoiseSample[]>();
  const intervals = new Map(devices.map((d) => [d.id, d.intervalS]));
  const q = `SELECT "laeq", "lmax", "interval_s" FROM ${ident(KINDS.noise.measurement)} WHERE time >= ${from}ms AND time < ${to}ms${scope} GROUP BY "device"`;
  for (const r of seriesRows(await querySeries(influx, db, q))) {
    const ts = num(r.time);
    const laeq = num(r.laeq);
    if (ts === null || laeq === null || typeof r.device !== 'string' || !intervals.has(r.device)) continue;
    const list = samples.get(r.device) ?? [];
    list.push({ ts, laeq, lmax: num(r.lmax), durationS: num(r.interval_s) ?? intervals.get(r.device) ?? 60 });
    samples.set(r.device, list);
  }
  const byBuilding = new Map<string, DeviceInfo[]>();
  for (const d of devices) byBuilding.set(d.building, [...(byBuilding.get(d.building) ?? []), d]);

  const buildings: BuildingNight[] = [...byBuilding.entries()].map(([id, ds]) => {
    const first = ds[0] as DeviceInfo;
    const limit = nightLimit(first.noiseZone);
    const nights = ds.map((d): DeviceNight => ({ device: d.id, ...analyzeNight(samples.get(d.id) ?? [], from, to, limit) }));
    const loudest = rankByLoudness(nights)[0];
    return {
      night: opts.night, building: id, name: site.buildings.get(id)?.name ?? id, grid: first.grid, noiseZone: first.noiseZone, limit,
      laeq: loudest?.laeq ?? null,
      lmax: nights.reduce<number | null>((m, n) => (n.lmax === null ? m : Math.max(m ?? n.lmax, n.lmax)), null),
      minutesAbove: Math.max(0, ...nights.map((n) => n.minutesAbove)),
      impulses: nights.reduce((s, n) => s + n.impulses.length, 0),
      breach: nights.some((n) => n.breach),
      devices: nights,
    };
  });
  const ranked = rankByLoudness(buildings);
  return {
    night: opts.night, from, to, timezone: opts.timezone, buildings: ranked,
    breachedGrids: [...new Set(ranked.filter((b) => b.breach).map((b) => b.grid))].sort(),
  };
}

/** Nights from `first` to `last` (inclusive), every building-night ranked loudest first. */
export async function noiseNights(influx: InfluxDB, db: string, site: SiteIndex, opts: Omit<NoiseOptions, 'night'> & { first: string; last: string }): Promise<BuildingNight[]> {
  const all: BuildingNight[] = [];
  if (!DATE_RE.test(opts.first) || Number.isNaN(Date.parse(opts.first))) throw new ValidationError('GW_ERR_REPORT_RANGE', 'first', opts.first, 'must be a date YYYY-MM-DD');
  const last = Date.parse(opts.last);
  if (!DATE_RE.test(opts.last) || Number.isNaN(last)) throw new ValidationError('GW_ERR_REPORT_RANGE', 'last', opts.last, 'must be a date YYYY-MM-DD');
  for (let t = Date.parse(opts.first), n = 0; t <= last && n < 62; t += 86_400_000, n++) {
    const report = await nightNoise(influx, db, site, { ...opts, night: new Date(t).toISOString().slice(0, 10) });
    all.push(...report.buildings);
  }
  return rankByLoudness(all);
}
