// Builds the alerting service on a real SQLite file in a temp dir (not a test file itself).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AlertChange, Notification, Notifier, Person } from '../../src/core/alert-types.js';
import { ManualClock } from '../../src/core/clock.js';
import type { DeviceInfo, StorePoint } from '../../src/core/domain.js';
import { HubBus } from '../../src/core/events.js';
import { silentLogger } from '../../src/core/logger.js';
import type { RuleSpec } from '../../src/core/rule-spec.js';
import type { UnitDevice } from '../../src/alerts/actions.js';
import type { EscalationStep } from '../../src/alerts/escalation.js';
import type { Roster } from '../../src/alerts/routing.js';
import { AlertCases } from '../../src/alerts/service.js';
import type { CaseStore } from '../../src/alerts/store.js';
import { openSqliteCaseStore } from '../../src/alerts/store-sqlite.js';
import type { RuleTransition } from '../../src/rules/engine.js';
import { localTime } from '../../src/rules/localtime.js';
import { alertPoint } from '../../src/store/points.js';
import { COMMON_RULES, KINDS } from '../../src/kinds/index.js';

export const PEOPLE: Person[] = [
  { id: 'hantao', name: '韩涛', role: 'grid_worker', grids: ['g1'] },
  { id: 'lead', name: '网格长', role: 'grid_leader', grids: ['g1'] },
  { id: 'duty', name: '值班室', role: 'street', grids: [] },
];
export const ESCALATION = {
  critical: [{ to: 'grid_worker', after: '0s' }, { to: 'grid_leader', after: '2m' }, { to: 'street_duty', after: '5m' }] as EscalationStep[],
  warning: [{ to: 'grid_worker', after: '0s' }, { to: 'grid_leader', after: '15m' }] as EscalationStep[],
  info: [{ to: 'grid_worker', after: '0s' }] as EscalationStep[],
  reopenWithin: '30m',
};

export function gasDevice(over: Partial<DeviceInfo> = {}): DeviceInfo {
  return { id: 'gas-1', kind: 'gas', unit: '1单元101', intervalS: 60, secretHash: 'x', street: 's1', community: 'c1', grid: 'g1', building: 'b1', noiseZone: '1', ...over };
}

export function rule(id: string): RuleSpec {
  const r = [...KINDS.gas.defaultRules, ...COMMON_RULES].find((x) => x.id === id);
  if (!r) throw new Error(`no rule ${id}`);
  return r;
}

export function transition(ruleId: string, kind: 'raise' | 'clear', d = gasDevice(), trigger: Record<string, unknown> = { values: { lel: 30 } }): RuleTransition {
  return { device: d, rule: rule(ruleId), transition: kind, ts: 0, trigger };
}

export interface Harness {
  dir: string;
  file: string;
  clock: ManualClock;
  bus: HubBus;
  store: CaseStore;
  cases: AlertCases;
  changes: AlertChange[];
  notes: Notification[];
  points: StorePoint[];
  commands: { device: string; payload: Record<string, unknown> }[];
  reopen(): Promise<Harness>;
  cleanup(): Promise<void>;
}

/**
 * `store`: another case store (the contract and fencing tests pass a PostgreSQL one); default SQLite in `dir`.
 * `notifiers`: instead of the one that collects into `notes` (e.g. real delivery pipelines), built anew by each reopen.
 */
export function makeHarness(opts: { rosters?: Roster[]; units?: UnitDevice[]; people?: Person[]; dir?: string; clock?: ManualClock; store?: CaseStore; notifiers?: () => Notifier[] } = {}): Harness {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'gw-alerts-'));
  const file = join(dir, 'alerts.db');
  const clock = opts.clock ?? new ManualClock(Date.UTC(2026, 0, 12, 2, 0)); // Mon 10:00 Beijing
  const bus = new HubBus();
  const store = opts.store ?? openSqliteCaseStore(file);
  const changes: AlertChange[] = [];
  const notes: Notification[] = [];
  const points: StorePoint[] = [];
  const commands: Harness['commands'] = [];
  bus.on('alert', (c) => changes.push(c));
  const cases = new AlertCases({
    store, clock, bus, logger: silentLogger(), escalation: ESCALATION,
    routing: { people: opts.people ?? PEOPLE, rosters: opts.rosters ?? [], streetDuty: ['duty'], local: localTime('Asia/Shanghai') },
    notifiers: opts.notifiers?.() ?? [{ notify: async (n) => { notes.push(n); } }],
    point: alertPoint,
    writePoints: async (p) => { points.push(...p); },
    // recorded only; the ack (never here) and the re-sends are tested against the real hub in commands.test.ts
    sendCommand: (device, payload) => {
      commands.push({ device, payload });
      return new Promise(() => undefined);
    },
    unitDevices: () => opts.units ?? [],
  });
  const h: Harness = {
    dir, file, clock, bus, store, cases, changes, notes, points, commands,
    reopen: async () => {
      await store.close();
      return makeHarness({ ...opts, dir, clock });
    },
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}
