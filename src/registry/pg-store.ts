// The registry's persistence in cluster mode: the same rows as api.db in PostgreSQL, shared by every
// hub (tables gw_devices, gw_people, gw_rule_overrides). Each row carries a version that grows by
// one on every write; a write and its NOTIFY on `gw_registry` ({t, k, v}) are one statement, so a
// notification is sent exactly when the row is committed. Every hub listens; on a notification newer
// than what it has seen it reloads that row and hands it to the registry, which merges it and emits
// the same `device` / `person` / `rules` event a local change does. After a lost LISTEN connection
// it reloads every row and hands over those newer than it has seen.
import type pg from 'pg';
import type { Logger } from '../core/logger.js';
import { asUnavailable, openPgFeed, withSchemaLock, type PgFeed } from '../core/pg-feed.js';
import type { RuleSpec } from '../core/rule-spec.js';
import type { DeviceConfig, PersonConfig } from '../config/schema.js';
import type { RegistrySnapshot, RegistryStore, StoredChange, StoredDevice, StoredPerson, StoredRule } from './store.js';

export const REGISTRY_CHANNEL = 'gw_registry';
/** pg_advisory_xact_lock id held while the registry's tables are created */
const SCHEMA_LOCK = 0x67770001;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS gw_devices (id text PRIMARY KEY, config text NOT NULL, decommissioned_at bigint, updated_at bigint NOT NULL, version bigint NOT NULL);
CREATE TABLE IF NOT EXISTS gw_people (id text PRIMARY KEY, config text NOT NULL, disabled_at bigint, updated_at bigint NOT NULL, version bigint NOT NULL);
CREATE TABLE IF NOT EXISTS gw_rule_overrides (key text PRIMARY KEY, spec text NOT NULL, deleted_at bigint, updated_at bigint NOT NULL, version bigint NOT NULL);
`;

type Table = StoredChange['table'];
const TABLES: Record<Table, { name: string; key: string; body: string; gone: string }> = {
  device: { name: 'gw_devices', key: 'id', body: 'config', gone: 'decommissioned_at' },
  person: { name: 'gw_people', key: 'id', body: 'config', gone: 'disabled_at' },
  rule: { name: 'gw_rule_overrides', key: 'key', body: 'spec', gone: 'deleted_at' },
};

interface RawRow { key: string; body: string; gone: string | null; updated_at: string; version: string }

function toChange(table: Table, r: RawRow): StoredChange {
  const gone = r.gone === null ? null : Number(r.gone);
  const updatedAt = Number(r.updated_at);
  switch (table) {
    case 'device': return { table, row: { device: JSON.parse(r.body) as DeviceConfig, decommissionedAt: gone, updatedAt } };
    case 'person': return { table, row: { person: JSON.parse(r.body) as PersonConfig, disabledAt: gone, updatedAt } };
    case 'rule': return { table, row: { key: r.key, rule: JSON.parse(r.body) as RuleSpec, deletedAt: gone, updatedAt } };
  }
}

function select(table: Table, where = ''): string {
  const t = TABLES[table];
  return `SELECT ${t.key} AS key, ${t.body} AS body, ${t.gone} AS gone, updated_at, version FROM ${t.name} ${where} ORDER BY ${t.key}`;
}

/** `create`: only over a tombstone (no row back: a live row has the key) */
function upsert(table: Table, create = false): string {
  const t = TABLES[table];
  return `WITH up AS (
    INSERT INTO ${t.name} (${t.key}, ${t.body}, ${t.gone}, updated_at, version) VALUES ($1, $2, $3, $4, 1)
    ON CONFLICT (${t.key}) DO UPDATE SET ${t.body} = excluded.${t.body}, ${t.gone} = excluded.${t.gone}, updated_at = excluded.updated_at, version = ${t.name}.version + 1
    ${create ? `WHERE ${t.name}.${t.gone} IS NOT NULL` : ''}
    RETURNING version)
  SELECT version, pg_notify('${REGISTRY_CHANNEL}', json_build_object('t', '${table}', 'k', $1::text, 'v', version)::text) FROM up`;
}

export interface PgRegistryStoreOptions { pool: pg.Pool; logger: Logger }

export class PgRegistryStore implements RegistryStore {
  /** the newest version of each row (table:key) this store loaded, saved or handed over */
  private readonly seen = new Map<string, number>();
  /** this store's writes not yet answered: their own notification may arrive before the answer */
  private readonly inflight = new Map<string, Promise<boolean>>();
  private onChange: ((c: StoredChange) => void) | undefined;
  /** notifications that arrived before `follow()` */
  private readonly early: { t: Table; k: string; v: number }[] = [];
  /** reloads run one at a time, in arrival order */
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(private readonly pool: pg.Pool, private readonly logger: Logger, private feed?: PgFeed) {}

  /** Creates the tables (under an advisory lock) and starts listening before anything is loaded,
   * so no change between the load and the first notification is missed. */
  static async open(opts: PgRegistryStoreOptions): Promise<PgRegistryStore> {
    await withSchemaLock(opts.pool, SCHEMA_LOCK, async (c) => { await c.query(SCHEMA); });
    const store = new PgRegistryStore(opts.pool, opts.logger);
    store.feed = await openPgFeed({
      pool: opts.pool,
      channels: [REGISTRY_CHANNEL],
      logger: opts.logger,
      onNotification: (_channel, payload) => store.notified(payload),
      resync: () => store.enqueue(() => store.resync()),
    });
    return store;
  }

  async load(): Promise<RegistrySnapshot> {
    const [devices, people, rules] = await Promise.all((['device', 'person', 'rule'] as const).map((t) => this.loadTable(t)));
    return {
      devices: (devices ?? []).map((c) => c.row as StoredDevice),
      people: (people ?? []).map((c) => c.row as StoredPerson),
      rules: (rules ?? []).map((c) => c.row as StoredRule),
    };
  }

  async saveDevice(device: DeviceConfig, at: number, decommissioned = false): Promise<void> {
    await this.save('device', device.id, JSON.stringify(device), decommissioned ? at : null, at);
  }

  createDevice(device: DeviceConfig, at: number): Promise<boolean> {
    return this.save('device', device.id, JSON.stringify(device), null, at, true);
  }

  createPerson(person: PersonConfig, at: number): Promise<boolean> {
    return this.save('person', person.id, JSON.stringify(person), null, at, true);
  }

  async savePerson(person: PersonConfig, at: number, disabled = false): Promise<void> {
    await this.save('person', person.id, JSON.stringify(person), disabled ? at : null, at);
  }

  async saveRule(key: string, rule: RuleSpec, at: number, deleted = false): Promise<void> {
    await this.save('rule', key, JSON.stringify(rule), deleted ? at : null, at);
  }

  follow(onChange: (change: StoredChange) => void): void {
    this.onChange = onChange;
    for (const n of this.early.splice(0)) this.enqueue(() => this.reload(n.t, n.k, n.v));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onChange = undefined;
    await this.feed?.close();
    await this.chain;
  }

  /** true when stored (a `create` over a live row stores nothing) */
  private save(table: Table, key: string, body: string, gone: number | null, at: number, create = false): Promise<boolean> {
    const id = `${table}:${key}`;
    const write = (async () => {
      const res = await this.pool.query<{ version: string }>(upsert(table, create), [key, body, gone, at]).catch((e: unknown) => { throw asUnavailable(e, `storing ${table} ${key}`); });
      const row = res.rows[0];
      if (row) this.see(table, key, Number(row.version));
      return row !== undefined;
    })();
    this.inflight.set(id, write);
    const forget = (): void => { if (this.inflight.get(id) === write) this.inflight.delete(id); };
    write.then(forget, forget);
    return write;
  }

  private async loadTable(table: Table): Promise<StoredChange[]> {
    const res = await this.pool.query<RawRow>(select(table));
    return res.rows.map((r) => {
      this.see(table, r.key, Number(r.version));
      return toChange(table, r);
    });
  }

  /** true when `version` is newer than what this store knew (and now knows it) */
  private see(table: Table, key: string, version: number): boolean {
    const id = `${table}:${key}`;
    if (version <= (this.seen.get(id) ?? 0)) return false;
    this.seen.set(id, version);
    return true;
  }

  private notified(payload: unknown): void {
    const n = payload as { t?: unknown; k?: unknown; v?: unknown } | undefined;
    if (!n || typeof n.k !== 'string' || typeof n.v !== 'number' || !(n.t === 'device' || n.t === 'person' || n.t === 'rule')) {
      this.logger.warn({ payload }, 'registry notification not understood; ignored');
      return;
    }
    const t = n.t;
    const k = n.k;
    const v = n.v;
    if (v <= (this.seen.get(`${t}:${k}`) ?? 0)) return; // our own write, or already reloaded
    if (!this.onChange) this.early.push({ t, k, v });
    else this.enqueue(() => this.reload(t, k, v));
  }

  private enqueue(fn: () => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (this.closed) return;
      try {
        await fn();
      } catch (e) {
        // the next notification or reconnect catches up; the row stays as it was meanwhile
        this.logger.error({ err: { message: (e as Error).message } }, 'registry: reloading a changed row failed');
      }
    });
  }

  private async reload(table: Table, key: string, version: number): Promise<void> {
    // the notification of our own write can overtake its answer: wait for the answer first
    await this.inflight.get(`${table}:${key}`)?.catch(() => undefined);
    if (version <= (this.seen.get(`${table}:${key}`) ?? 0)) return;
    const t = TABLES[table];
    const res = await this.pool.query<RawRow>(select(table, `WHERE ${t.key} = $1`), [key]);
    for (const r of res.rows) await this.handOver(table, r);
  }

  private async resync(): Promise<void> {
    for (const table of ['device', 'person', 'rule'] as const) {
      const res = await this.pool.query<RawRow>(select(table));
      for (const r of res.rows) await this.handOver(table, r);
    }
  }

  private async handOver(table: Table, r: RawRow): Promise<void> {
    // A row this store is writing right now: its answer comes first. A write that stored is newer
    // than what was read (seen decides); one that stored nothing (a `create` another hub won
    // while this row was being read) must not swallow the winner's row: nothing else will notify it.
    await this.inflight.get(`${table}:${r.key}`)?.catch(() => undefined);
    const onChange = this.onChange;
    if (this.closed || !onChange || !this.see(table, r.key, Number(r.version))) return;
    onChange(toChange(table, r));
  }
}
