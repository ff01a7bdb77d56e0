// The registry stage: the one owner of devices, people and rule overrides (the config merged with
// what is managed over the API, persisted in api.db). Every other stage reads it through read-only
// views and subscribes to its change events; nobody else writes the site tree, people or rules.
// Events are emitted once the change is stored; a mutation resolves after every listener has
// acted on it (a listener may return a promise: it is awaited), so when it returns every stage
// (broker, rules, status board, sessions, sockets) has. Mutations run one at a time.
// Two stores: api.db (SQLite, single mode: `new SiteRegistry({ file })`) or PostgreSQL shared by
// every hub (cluster mode: `SiteRegistry.open({ store })`): a row another hub stored is merged and
// announced with the same events, so access changes follow on every hub.
import { EventEmitter } from 'node:events';
import type { Clock } from '../core/clock.js';
import type { DeviceInfo } from '../core/domain.js';
import type { Logger } from '../core/logger.js';
import type { RuleSpec } from '../core/rule-spec.js';
import type { Config, DeviceConfig, PersonConfig } from '../config/schema.js';
import { SiteIndex } from '../config/site.js';
import { RegistryDb } from './db.js';
import { Devices, type NewDevice } from './devices.js';
import type { RegistrySnapshot, RegistryStore, StoredChange } from './store.js';
import { People, personNotFound, type NewPerson, type PersonPatch } from './people.js';
import { RuleOverrides, type OverrideView, type RuleScope } from './rule-overrides.js';

export type DeviceChange =
  | { type: 'added'; device: DeviceInfo }
  /** a new secret: connections authenticated with the old one must go */
  | { type: 'secret'; device: DeviceInfo }
  | { type: 'removed'; device: DeviceInfo };

export interface PersonChange {
  id: string;
  /** undefined: the person is new */
  before: PersonConfig | undefined;
  /** undefined: the person was disabled */
  after: PersonConfig | undefined;
  /** tokens issued before this change no longer count (password reset, disabled, role changed) */
  revoke: boolean;
}

export interface RegistryEvents {
  device: [change: DeviceChange];
  person: [change: PersonChange];
  /** the rule overrides in force after a change */
  rules: [rules: readonly RuleSpec[]];
}

export interface RegistryOptions {
  config: Config;
  /** api.db (':memory:' in unit tests) */
  file: string;
  clock: Clock;
  logger: Logger;
}

/** A registry over another store (cluster mode: PgRegistryStore), opened with SiteRegistry.open(). */
export interface StoreRegistryOptions {
  config: Config;
  store: RegistryStore;
  clock: Clock;
  logger: Logger;
}

export class SiteRegistry extends EventEmitter<RegistryEvents> {
  /** the resolved site tree; its `devices` follow every change */
  readonly site: SiteIndex;
  private readonly db: RegistryStore;
  private readonly clock: Clock;
  /** mutations, one at a time */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly logger: Logger;
  private readonly deviceStore: Devices;
  private readonly peopleStore: People;
  private readonly overrides: RuleOverrides;

  constructor(opts: RegistryOptions | (StoreRegistryOptions & { snapshot: RegistrySnapshot })) {
    super();
    this.clock = opts.clock;
    this.logger = opts.logger;
    this.site = new SiteIndex(opts.config);
    let snapshot: RegistrySnapshot;
    if ('file' in opts) {
      const db = new RegistryDb(opts.file);
      snapshot = db.loadSync();
      this.db = db;
    } else {
      this.db = opts.store;
      snapshot = opts.snapshot;
    }
    this.deviceStore = new Devices(this.db, opts.config.devices, snapshot.devices, this.site, opts.logger);
    this.peopleStore = new People(this.db, () => opts.config.people, snapshot.people, this.site);
    this.overrides = new RuleOverrides(this.db, opts.config.rules, snapshot.rules, this.site, (rules) => this.announce('rules', rules));
  }

  /** A registry over `store` (loaded now); it follows the rows other hubs store, when the store shares them. */
  static async open(opts: StoreRegistryOptions): Promise<SiteRegistry> {
    const registry = new SiteRegistry({ ...opts, snapshot: await opts.store.load() });
    opts.store.follow?.((c) => registry.merge(c));
    return registry;
  }

  // --- read-only views ---
  device(id: string): DeviceInfo | undefined { return this.site.devices.get(id); }
  devices(): DeviceInfo[] { return [...this.site.devices.values()]; }
  /** the device as configured (never shown over the API: it holds the secret hash) */
  deviceConfig(id: string): DeviceConfig | undefined { return this.deviceStore.config(id); }
  /** everyone who may log in and be routed alerts (disabled people left out) */
  people(): PersonConfig[] { return this.peopleStore.list(); }
  person(id: string): PersonConfig | undefined { return this.peopleStore.get(id); }
  /** the rule overrides in force, as effectiveRules() takes them */
  rules(): RuleSpec[] { return this.overrides.rules(); }
  ruleOverrides(): OverrideView[] { return this.overrides.list(); }

  // --- devices ---
  provisionDevice(input: NewDevice): Promise<{ device: DeviceConfig; secret: string }> {
    return this.serial(async () => {
      const { device, info, secret } = await this.deviceStore.provision(input, this.clock.now());
      await this.announce('device', { type: 'added', device: info });
      return { device, secret };
    });
  }

  rotateSecret(id: string): Promise<string> {
    return this.serial(async () => {
      const { info, secret } = await this.deviceStore.rotateSecret(id, this.clock.now());
      await this.announce('device', { type: 'secret', device: info });
      return secret;
    });
  }

  decommission(id: string): Promise<void> {
    return this.serial(async () => {
      const device = await this.deviceStore.decommission(id, this.clock.now());
      await this.announce('device', { type: 'removed', device });
    });
  }

  // --- people ---
  addPerson(input: NewPerson): Promise<{ person: PersonConfig; password: string }> {
    return this.serial(async () => {
      const out = await this.peopleStore.add(input, this.clock.now());
      await this.announce('person', { id: out.person.id, before: undefined, after: out.person, revoke: false });
      return out;
    });
  }

  updatePerson(id: string, patch: PersonPatch): Promise<PersonConfig> {
    return this.serial(async () => {
      const before = this.peopleStore.get(id);
      const after = await this.peopleStore.update(id, patch, this.clock.now());
      await this.announce('person', { id, before, after, revoke: before?.role !== after.role });
      return after;
    });
  }

  resetPassword(id: string): Promise<string> {
    return this.serial(async () => {
      const before = this.peopleStore.get(id);
      const password = await this.peopleStore.resetPassword(id, this.clock.now());
      await this.announce('person', { id, before, after: this.peopleStore.get(id), revoke: true });
      return password;
    });
  }

  disablePerson(id: string): Promise<void> {
    return this.serial(async () => {
      const before = this.peopleStore.get(id);
      if (!before) throw personNotFound(id);
      await this.peopleStore.disable(id, this.clock.now());
      await this.announce('person', { id, before, after: undefined, revoke: true });
    });
  }

  // --- rule overrides ---
  putRule(rule: RuleSpec): Promise<OverrideView> { return this.serial(() => this.overrides.put(rule, this.clock.now())); }
  removeRule(id: string, scope: RuleScope): Promise<RuleSpec> { return this.serial(() => this.overrides.remove(id, scope, this.clock.now())); }

  async close(): Promise<void> {
    this.removeAllListeners();
    await this.db.close();
  }

  /**
   * A row another hub stored (cluster mode): merged into the views, then announced exactly as the
   * same change made here would be (a decommission closes the device's connection on this hub, a
   * password reset ends this hub's sockets of that person, a rule override applies here).
   */
  private merge(c: StoredChange): void {
    switch (c.table) {
      case 'device': {
        const change = this.deviceStore.merge(c.row);
        if (change) void this.announce('device', change);
        return;
      }
      case 'person': {
        const m = this.peopleStore.merge(c.row);
        if (!m) return;
        const { before, after } = m;
        const revoke = !after || before?.role !== after.role || (before !== undefined && before.passwordHash !== after.passwordHash);
        void this.announce('person', { id: c.row.person.id, before, after, revoke });
        return;
      }
      case 'rule':
        if (this.overrides.merge(c.row)) void this.announce('rules', this.overrides.rules());
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Every listener hears the change even when an earlier one throws (logged, never lost); the
   * promises listeners return are awaited (their rejections logged too). */
  private async announce<K extends keyof RegistryEvents>(event: K, ...args: RegistryEvents[K]): Promise<void> {
    const pending: Promise<unknown>[] = [];
    for (const fn of this.listeners(event) as ((...a: RegistryEvents[K]) => unknown)[]) {
      try {
        const r = fn(...args);
        if (r instanceof Promise) pending.push(r.catch((e: unknown) => this.logger.error({ err: e, event }, 'registry listener failed')));
      } catch (e) {
        this.logger.error({ err: e, event }, 'registry listener failed');
      }
    }
    await Promise.all(pending);
  }
}
