// The registry stage: the one owner of devices, people and rule overrides (the config merged with
// what is managed over the API, persisted in api.db). Every other stage reads it through read-only
// views and subscribes to its change events; nobody else writes the site tree, people or rules.
// Events are emitted synchronously after the change is stored, so when a mutation returns every
// stage (broker, rules, status board, sessions, sockets) has already acted on it.
import { EventEmitter } from 'node:events';
import type { Clock } from '../core/clock.js';
import type { DeviceInfo } from '../core/domain.js';
import type { Logger } from '../core/logger.js';
import type { RuleSpec } from '../core/rule-spec.js';
import type { Config, DeviceConfig, PersonConfig } from '../config/schema.js';
import { SiteIndex } from '../config/site.js';
import { RegistryDb } from './db.js';
import { Devices, type NewDevice } from './devices.js';
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

export class SiteRegistry extends EventEmitter<RegistryEvents> {
  /** the resolved site tree; its `devices` follow every change */
  readonly site: SiteIndex;
  private readonly db: RegistryDb;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly deviceStore: Devices;
  private readonly peopleStore: People;
  private readonly overrides: RuleOverrides;

  constructor(opts: RegistryOptions) {
    super();
    this.clock = opts.clock;
    this.logger = opts.logger;
    this.site = new SiteIndex(opts.config);
    this.db = new RegistryDb(opts.file);
    this.deviceStore = new Devices(this.db, opts.config.devices, this.site, opts.logger);
    this.peopleStore = new People(this.db, () => opts.config.people, this.site);
    this.overrides = new RuleOverrides(this.db, opts.config.rules, this.site, (rules) => this.announce('rules', rules));
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
  async provisionDevice(input: NewDevice): Promise<{ device: DeviceConfig; secret: string }> {
    const { device, info, secret } = await this.deviceStore.provision(input, this.clock.now());
    this.announce('device', { type: 'added', device: info });
    return { device, secret };
  }

  async rotateSecret(id: string): Promise<string> {
    const { info, secret } = await this.deviceStore.rotateSecret(id, this.clock.now());
    this.announce('device', { type: 'secret', device: info });
    return secret;
  }

  decommission(id: string): void {
    const device = this.deviceStore.decommission(id, this.clock.now());
    this.announce('device', { type: 'removed', device });
  }

  // --- people ---
  async addPerson(input: NewPerson): Promise<{ person: PersonConfig; password: string }> {
    const out = await this.peopleStore.add(input, this.clock.now());
    this.announce('person', { id: out.person.id, before: undefined, after: out.person, revoke: false });
    return out;
  }

  updatePerson(id: string, patch: PersonPatch): PersonConfig {
    const before = this.peopleStore.get(id);
    const after = this.peopleStore.update(id, patch, this.clock.now());
    this.announce('person', { id, before, after, revoke: before?.role !== after.role });
    return after;
  }

  async resetPassword(id: string): Promise<string> {
    const before = this.peopleStore.get(id);
    const password = await this.peopleStore.resetPassword(id, this.clock.now());
    this.announce('person', { id, before, after: this.peopleStore.get(id), revoke: true });
    return password;
  }

  disablePerson(id: string): void {
    const before = this.peopleStore.get(id);
    if (!before) throw personNotFound(id);
    this.peopleStore.disable(id, this.clock.now());
    this.announce('person', { id, before, after: undefined, revoke: true });
  }

  // --- rule overrides ---
  putRule(rule: RuleSpec): OverrideView { return this.overrides.put(rule, this.clock.now()); }
  removeRule(id: string, scope: RuleScope): RuleSpec { return this.overrides.remove(id, scope, this.clock.now()); }

  close(): void {
    this.removeAllListeners();
    this.db.close();
  }

  /** Every listener hears the change even when an earlier one throws (logged, never lost). */
  private announce<K extends keyof RegistryEvents>(event: K, ...args: RegistryEvents[K]): void {
    for (const fn of this.listeners(event) as ((...a: RegistryEvents[K]) => void)[]) {
      try {
        fn(...args);
      } catch (e) {
        this.logger.error({ err: e, event }, 'registry listener failed');
      }
    }
  }
}
