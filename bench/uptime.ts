// `node --import tsx bench/uptime.ts [--devices 2000] [--days 30] [--interval 3600]`
// The uptime audit of N devices over D days on raw readings vs the 5-min downsampled copy, on a
// fresh managed influxd. Generates the history (readings every `interval` s, ~1 % of hours lost
// to outages with lwt/connect presence), backfills the downsampled copy, and keeps the outage
// records the hub would have kept (the same OutageTracker fed the same history); runs every
// source, prints the timings and whether the records agree with the raw recomputation.
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../src/config/index.js';
import { SiteIndex } from '../src/config/site.js';
import { runUptimeBenchmark } from '../src/reports/bench.js';
import { createInfluxClient, ensureDatabase } from '../src/store/client.js';
import { backfillDownsampling } from '../src/store/downsample.js';
import { startInfluxd } from '../src/store/influxd.js';
import { ManualClock } from '../src/core/clock.js';
import { OutageStore } from '../src/reports/outage-store.js';
import { OutageTracker } from '../src/reports/outage-tracker.js';

const DB = 'bench_uptime';
const HASH = 'scrypt$16384$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNo';
const PER_BUILDING = 20;
const BUILDINGS_PER_GRID = 5;

export interface UptimeBenchOptions { devices: number; days: number; intervalS: number }

function site({ devices: DEVICES, intervalS: INTERVAL_S }: UptimeBenchOptions): SiteIndex {
  const buildings = Math.ceil(DEVICES / PER_BUILDING);
  const grids = Math.ceil(buildings / BUILDINGS_PER_GRID);
  const config = parseConfig({
    streets: [{ id: 's', name: '街道', communities: [{ id: 'c', name: '社区', grids: Array.from({ length: grids }, (_, g) => ({
      id: `g${g}`, name: `网格${g}`, buildings: Array.from({ length: BUILDINGS_PER_GRID }, (_, b) => ({ id: `b${g * BUILDINGS_PER_GRID + b}`, name: `${b}号楼` })),
    })) }] }],
    devices: Array.from({ length: DEVICES }, (_, i) => ({ id: `d${i}`, kind: 'smoke', building: `b${Math.floor(i / PER_BUILDING)}`, intervalS: INTERVAL_S, secretHash: HASH })),
  }, '(bench)', { env: {} });
  return new SiteIndex(config);
}

/** Deterministic pseudo-random numbers (mulberry32), so every run writes the same history. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes the history to a fresh influxd, audits it on raw and downsampled data, returns the timings. */
export async function uptimeBench(opts: UptimeBenchOptions): Promise<Awaited<ReturnType<typeof runUptimeBenchmark>>> {
  const { devices: DEVICES, days: DAYS, intervalS: INTERVAL_S } = opts;
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-uptime-'));
  const influxd = await startInfluxd({ dir, cqRunInterval: '1h' });
  try {
    const influx = createInfluxClient({ url: influxd.url, database: DB, timeoutMs: 600_000 });
    await ensureDatabase(influx, DB);
    const s = site(opts);
    const to = Date.UTC(2026, 0, 1);
    const from = to - DAYS * 86_400_000;
    const step = INTERVAL_S * 1000;
    const random = rng(42);
    let batch: string[] = [];
    let points = 0;
    const flush = async (): Promise<void> => {
      const res = await fetch(`${influxd.url}/write?db=${DB}&precision=ms`, { method: 'POST', body: batch.join('\n') });
      if (res.status !== 204) throw new Error(`write failed: ${res.status} ${await res.text()}`);
      points += batch.length;
      batch = [];
    };
    const t0 = Date.now();
    const recordsFile = join(dir, 'outages.db');
    const records = new OutageStore(recordsFile);
    const tracker = new OutageTracker(records, new ManualClock(from - 6 * step), 3);
    for (const d of s.devices.values()) {
      const tags = `device=${d.id},street=${d.street},community=${d.community},grid=${d.grid},building=${d.building}`;
      let down = 0;
      for (let t = from - 6 * step; t < to; t += step) {
        if (down > 0) {
          down--;
          if (down === 0) {
            batch.push(`presence,${tags} online=true,cause="connect" ${t - 1000}`);
            tracker.presence(d, { device: d.id, ts: t - 1000, online: true, cause: 'connect' });
          }
          continue;
        }
        if (random() < 0.002) {
          down = 1 + Math.floor(random() * 12);
          batch.push(`presence,${tags} online=false,cause="lwt" ${t + 1000}`);
          tracker.presence(d, { device: d.id, ts: t + 1000, online: false, cause: 'lwt' });
          continue;
        }
        const battery = Number((95 - (t - from) / 86_400_000 * 0.05).toFixed(2));
        batch.push(`smoke,${tags} alarm=false,battery=${battery} ${t}`);
        tracker.data(d, t, battery);
        if (batch.length >= 10_000) await flush();
      }
    }
    if (batch.length > 0) await flush();
    tracker.close();
    records.close();
    console.log(`wrote ${points} points for ${DEVICES} devices x ${DAYS} days in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const t1 = Date.now();
    await backfillDownsampling(influx, DB, from - 7 * step, to);
    console.log(`backfilled the downsampled copy in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    const r = await runUptimeBenchmark(influx, DB, s, { from, to, offlineFactor: 3, now: to + 86_400_000, records: recordsFile });
    console.log(JSON.stringify(r, null, 2));
    console.log(`uptime audit, ${r.devices} devices x ${DAYS} days: raw ${r.rawMs.toFixed(0)} ms, downsampled ${r.downsampledMs.toFixed(0)} ms, raw/downsampled = ${r.ratio.toFixed(2)}; gaps ${r.gapsMs.toFixed(0)} ms, raw/gaps = ${r.gapsRatio.toFixed(2)}; outage records ${r.recordsMs?.toFixed(1) ?? '-'} ms (devices disagreeing with raw: ${r.recordsMismatches ?? '-'})`);
    return r;
  } finally {
    await influxd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  const { values: flags } = parseArgs({ options: { devices: { type: 'string' }, days: { type: 'string' }, interval: { type: 'string' } } });
  await uptimeBench({ devices: Number(flags.devices ?? 2000), days: Number(flags.days ?? 30), intervalS: Number(flags.interval ?? 3600) });
}
