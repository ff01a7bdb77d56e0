// Outage records: the intervals the hub judged offline as they happened (device, start, end,
// cause), the reconnects it forgave, each device's liveness state and its daily battery means,
// in `<dataDir>/outages.db` (SQLite, WAL). The uptime audit reads a few thousand rows from here
// instead of every reading from InfluxDB (README: "Outage records").
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Config } from '../config/schema.js';
import type { DropCause, OutageCause, OutageInterval } from '../core/offline.js';
import { ensurePrivateFile } from '../core/files.js';

export const OUTAGES_DB = 'outages.db';

/**
 * Where the hub keeps its outage records for a config (the hub resolves dataDir the same way).
 * None in cluster mode: each hub sees only the connections of the devices routed to it, so its
 * records would be a partial, misleading account; audits read the shared InfluxDB instead.
 */
export function recordsFile(config: Pick<Config, 'dataDir' | 'cluster'>): string | undefined {
  return config.cluster ? undefined : join(resolve(config.dataDir), OUTAGES_DB);
}

export interface DeviceStateRow {
  device: string;
  /** first presence or data */
  first_seen: number;
  /** first data (reading or device event); null: none yet */
  first_data: number | null;
  /** the liveness clock: last data (or first sight) */
  last_seen: number;
  drop_at: number | null;
  drop_cause: DropCause | null;
  /** an outage judged but not yet ended */
  open_start: number | null;
  open_cause: OutageCause | null;
  battery: number | null;
  battery_ts: number | null;
}

export interface BatteryDay { device: string; day: number; sum: number; n: number }

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outage (device TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, cause TEXT NOT NULL, PRIMARY KEY (device, start));
CREATE INDEX IF NOT EXISTS outage_end ON outage("end");
CREATE TABLE IF NOT EXISTS reconnect (device TEXT NOT NULL, drop_at INTEGER NOT NULL, at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS reconnect_at ON reconnect(at);
CREATE TABLE IF NOT EXISTS device_state (device TEXT PRIMARY KEY, first_seen INTEGER NOT NULL, first_data INTEGER, last_seen INTEGER NOT NULL,
  drop_at INTEGER, drop_cause TEXT, open_start INTEGER, open_cause TEXT, battery REAL, battery_ts INTEGER);
CREATE TABLE IF NOT EXISTS battery_day (device TEXT NOT NULL, day INTEGER NOT NULL, sum REAL NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (device, day));
`;

export type OutageRow = OutageInterval & { device: string };
export interface ReconnectRow { device: string; dropAt: number; at: number }

interface WriteStatements {
  outage: Database.Statement;
  reconnect: Database.Statement;
  state: Database.Statement;
  battery: Database.Statement;
}

export class OutageStore {
  readonly db: Database.Database;
  /** prepared once, on the first write (a read-only store never writes) */
  private statements: WriteStatements | undefined;

  constructor(file: string, opts: { readonly?: boolean } = {}) {
    if (!opts.readonly) ensurePrivateFile(file); // which device was away when: owner-only (0600), like every hub database
    this.db = opts.readonly ? new Database(file, { readonly: true, fileMustExist: true }) : new Database(file);
    if (!opts.readonly) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(SCHEMA);
    }
  }

  /** When the records began (the first start of the tracker); an audit before it reads raw data. */
  since(): number | null {
    const r = this.db.prepare(`SELECT value FROM meta WHERE key = 'since'`).get() as { value: string } | undefined;
    return r ? Number(r.value) : null;
  }

  markSince(t: number): void {
    this.db.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES ('since', ?)`).run(String(t));
  }

  /**
   * Writes ended outages, forgiven drops, device states and daily battery sums (added to what is
   * stored) in one transaction: a reconnect storm is a few transactions, not one per device.
   */
  save(states: DeviceStateRow[], days: BatteryDay[], outages: OutageRow[] = [], reconnects: ReconnectRow[] = []): void {
    const st = (this.statements ??= this.prepareWrites());
    this.db.transaction(() => {
      for (const o of outages) st.outage.run(o.device, o.start, o.end, o.cause);
      for (const r of reconnects) st.reconnect.run(r.device, r.dropAt, r.at);
      for (const s of states) st.state.run(s);
      for (const d of days) st.battery.run(d.device, d.day, d.sum, d.n);
    })();
  }

  private prepareWrites(): WriteStatements {
    return {
      outage: this.db.prepare(`INSERT OR REPLACE INTO outage (device, start, "end", cause) VALUES (?, ?, ?, ?)`),
      reconnect: this.db.prepare('INSERT INTO reconnect (device, drop_at, at) VALUES (?, ?, ?)'),
      state: this.db.prepare(`INSERT OR REPLACE INTO device_state (device, first_seen, first_data, last_seen, drop_at, drop_cause, open_start, open_cause, battery, battery_ts)
        VALUES (@device, @first_seen, @first_data, @last_seen, @drop_at, @drop_cause, @open_start, @open_cause, @battery, @battery_ts)`),
      battery: this.db.prepare(`INSERT INTO battery_day (device, day, sum, n) VALUES (?, ?, ?, ?)
        ON CONFLICT (device, day) DO UPDATE SET sum = sum + excluded.sum, n = n + excluded.n`),
    };
  }

  states(): DeviceStateRow[] {
    return this.db.prepare('SELECT * FROM device_state').all() as DeviceStateRow[];
  }

  /** Outages overlapping [from, to). */
  outages(from: number, to: number): Array<OutageInterval & { device: string }> {
    return this.db.prepare(`SELECT device, start, "end", cause FROM outage WHERE "end" > ? AND start < ?`).all(from, to) as Array<OutageInterval & { device: string }>;
  }

  reconnects(from: number, to: number): Array<{ device: string; n: number }> {
    return this.db.prepare('SELECT device, count(*) AS n FROM reconnect WHERE at >= ? AND at < ? GROUP BY device').all(from, to) as Array<{ device: string; n: number }>;
  }

  /**
   * Per device, the least-squares sums of its daily battery means over [from, to) (x in days at
   * mid-day), so the trend comes back as one row per device.
   */
  batteryFits(from: number, to: number): Array<{ device: string; n: number; sx: number; sy: number; sxy: number; sxx: number }> {
    return this.db.prepare(`SELECT device, count(*) AS n, sum(x) AS sx, sum(y) AS sy, sum(x * y) AS sxy, sum(x * x) AS sxx
      FROM (SELECT device, (day - ?) / 86400000.0 + 0.5 AS x, sum * 1.0 / n AS y FROM battery_day WHERE day >= ? AND day < ? AND n > 0) GROUP BY device`)
      .all(from, from, to) as Array<{ device: string; n: number; sx: number; sy: number; sxy: number; sxx: number }>;
  }

  batteryDays(from: number, to: number): BatteryDay[] {
    return this.db.prepare('SELECT device, day, sum, n FROM battery_day WHERE day >= ? AND day < ?').all(from, to) as BatteryDay[];
  }

  close(): void {
    this.db.close();
  }
}
