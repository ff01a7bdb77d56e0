// Test harness: a real influxd from Debian's package on a free loopback port, data in a temp dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInfluxd, type ManagedInfluxd } from '../../src/store/influxd.js';

export interface TestInflux extends ManagedInfluxd {
  query(q: string, db?: string): Promise<InfluxSeries[]>;
  createDb(db: string): Promise<void>;
  cleanup(): Promise<void>;
}

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

export async function startTestInflux(opts: { cqRunInterval?: string } = {}): Promise<TestInflux> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-influx-'));
  const influxd = await startInfluxd({ dir, cqRunInterval: opts.cqRunInterval ?? '1s' });
  const query = async (q: string, db?: string): Promise<InfluxSeries[]> => {
    const params = new URLSearchParams({ q, epoch: 'ms' });
    if (db) params.set('db', db);
    const res = await fetch(`${influxd.url}/query`, { method: 'POST', body: params });
    const body = (await res.json()) as { results?: { series?: InfluxSeries[]; error?: string }[]; error?: string };
    if (body.error) throw new Error(body.error);
    const first = body.results?.[0];
    if (first?.error) throw new Error(first.error);
    return first?.series ?? [];
  };
  return Object.assign(influxd, {
    query,
    createDb: async (db: string) => {
      await query(`CREATE DATABASE "${db}"`);
    },
    cleanup: async () => {
      await influxd.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** Rows of a single-series result as objects keyed by column. */
export function rows(series: InfluxSeries[]): Record<string, unknown>[] {
  return series.flatMap((s) => s.values.map((v) => Object.fromEntries(s.columns.map((c, i) => [c, v[i]]).concat(Object.entries(s.tags ?? {})))));
}
