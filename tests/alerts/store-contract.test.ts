// The case store contract: the same suite against the SQLite store (single mode) and the
// PostgreSQL one (cluster mode, a real PostgreSQL 15). Each test gets two store instances on the
// same data (two hubs, or two processes on one file) where sharing matters: what one writes the
// other reads, and one open case per (device, incident) holds when both open it at once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AlertCase, Silence } from '../../src/core/alert-types.js';
import { GridwatchError } from '../../src/core/errors.js';
import type { CaseStore } from '../../src/alerts/store.js';
import { openPgCaseStore } from '../../src/alerts/store-pg.js';
import { openSqliteCaseStore } from '../../src/alerts/store-sqlite.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { codeOf } from '../helpers/errors.js';

const T0 = Date.UTC(2026, 0, 12, 2, 0);

interface Pair { a: CaseStore; b: CaseStore; cleanup(): Promise<void> }

let server: TestPostgres;
let dbs = 0;
beforeAll(async () => { server = await startTestPostgres(); }, 120_000);
afterAll(async () => { await server?.cleanup(); }, 60_000);

/** two PostgreSQL "hubs": a pool each on one fresh database */
export async function pgPair(): Promise<Pair & { url: string; pools: pg.Pool[] }> {
  const url = await server.createDatabase(`contract_${++dbs}`);
  const pools = [new pg.Pool({ connectionString: url, max: 4 }), new pg.Pool({ connectionString: url, max: 4 })];
  // both hubs start together: the schema creation must not race
  const [a, b] = await Promise.all(pools.map((p) => openPgCaseStore(p))) as [CaseStore, CaseStore];
  return { a, b, url, pools, cleanup: async () => { await Promise.all(pools.map((p) => p.end())); } };
}

function sqlitePair(): Pair {
  const dir = mkdtempSync(join(tmpdir(), 'gw-contract-'));
  const file = join(dir, 'alerts.db');
  const a = openSqliteCaseStore(file);
  const b = openSqliteCaseStore(file);
  return { a, b, cleanup: async () => { await a.close(); await b.close(); rmSync(dir, { recursive: true, force: true }); } };
}

let seq = 0;
function aCase(over: Partial<AlertCase> = {}): AlertCase {
  const n = ++seq;
  return {
    id: `case-${String(n).padStart(4, '0')}`, device: 'gas-1', rule: 'gas-critical', incident: 'gas', kind: 'gas', severity: 'critical', state: 'open',
    title: { zh: '燃气泄漏', en: 'Gas leak' }, street: 's1', community: 'c1', grid: 'g1', building: 'b1', unit: '1单元101',
    openedAt: T0 + n, updatedAt: T0 + n, escalationStep: -1, trigger: { values: { lel: 30 } }, activeRules: ['gas-critical'],
    ...over,
  };
}


describe.each([
  { engine: 'sqlite', open: async (): Promise<Pair> => sqlitePair() },
  { engine: 'postgres', open: pgPair },
])('case store contract: $engine', ({ open }) => {
  let pair: Pair;
  let a: CaseStore;
  let b: CaseStore;
  beforeAll(() => { seq = 0; });
  afterEach(async () => { await pair?.cleanup(); });
  const fresh = async (): Promise<void> => {
    pair = await open();
    ({ a, b } = pair);
  };

  it('saves, updates and reads a case whole; another instance reads it too', async () => {
    await fresh();
    const c = aCase({ title: { zh: '燃气泄漏 30% LEL', en: 'Gas leak' }, nextEscalation: { step: 1, to: 'grid_leader', at: T0 + 120_000 } });
    await a.saveCase(c);
    expect(await b.getCase(c.id)).toEqual(c);
    const acked: AlertCase = { ...c, state: 'acknowledged', acknowledgedBy: 'hantao', acknowledgedAt: T0 + 50, updatedAt: T0 + 50 };
    await b.saveCase(acked);
    expect(await a.getCase(c.id)).toEqual(acked);
    expect(await a.getCase('nope')).toBeUndefined();
  });

  it('finds the open, the recently resolved and the latest case of a (device, incident); legacy cases by their rule', async () => {
    await fresh();
    const old = aCase({ state: 'resolved', resolvedAt: T0 + 1000, updatedAt: T0 + 1000 });
    const newer = aCase({ state: 'resolved', resolvedAt: T0 + 5000, updatedAt: T0 + 5000 });
    const closed = aCase({ state: 'closed', resolvedAt: T0 + 9000, updatedAt: T0 + 9000 });
    const other = aCase({ device: 'gas-2' });
    for (const c of [old, newer, closed, other]) await a.saveCase(c);
    expect(await b.activeIncident('gas-1', 'gas')).toBeUndefined();
    expect((await b.activeIncident('gas-2', 'gas'))?.id).toBe(other.id);
    expect((await b.recentlyResolvedIncident('gas-1', 'gas', T0 + 4000))?.id).toBe(newer.id);
    expect(await b.recentlyResolvedIncident('gas-1', 'gas', T0 + 6000)).toBeUndefined();
    expect((await b.latestIncident('gas-1', 'gas'))?.id).toBe(newer.id); // closed cases never count
    const open = aCase({ rule: 'gas-warning', severity: 'warning' });
    await a.saveCase(open);
    expect((await b.activeIncident('gas-1', 'gas'))?.id).toBe(open.id);
    expect(await b.activeIncident('gas-1', 'smoke')).toBeUndefined();
    // a case written before incidents existed is found by its rule
    const { incident: _drop, ...legacy } = aCase({ device: 'tamper-1', rule: 'tamper' });
    await a.saveCase(legacy);
    expect((await b.activeIncident('tamper-1', 'tamper'))?.id).toBe(legacy.id);
    expect((await b.activeCases()).map((c) => c.id).sort()).toEqual([other.id, open.id, legacy.id].sort());
  });

  it('lists with every filter, newest first, at most `limit`; a raised severity is listed as raised', async () => {
    await fresh();
    const w = aCase({ rule: 'gas-warning', severity: 'warning', grid: 'g1' });
    const x = aCase({ device: 'gas-2', grid: 'g2', state: 'acknowledged' });
    const y = aCase({ device: 'gas-3', grid: 'g2', state: 'closed' });
    const z = aCase({ device: 'gas-4', grid: 'g3', openedAt: x.openedAt }); // same opening ms as x: by id, descending
    for (const c of [w, x, y, z]) await a.saveCase(c);
    const ids = async (f: Parameters<CaseStore['listCases']>[0]): Promise<string[]> => (await b.listCases(f)).map((c) => c.id);
    expect(await ids({})).toEqual([y.id, z.id, x.id, w.id]);
    expect(await ids({ state: ['open', 'acknowledged'] })).toEqual([z.id, x.id, w.id]);
    expect(await ids({ severity: ['warning'] })).toEqual([w.id]);
    expect(await ids({ grids: ['g2', 'g3'] })).toEqual([y.id, z.id, x.id]);
    expect(await ids({ device: 'gas-2' })).toEqual([x.id]);
    expect(await ids({ from: x.openedAt, to: y.openedAt })).toEqual([z.id, x.id]);
    expect(await ids({ limit: 2 })).toEqual([y.id, z.id]);
    expect(await ids({ limit: 0 })).toEqual([y.id]); // at least one
    expect(await ids({ grids: [] })).toHaveLength(4); // an empty list does not filter
    await a.saveCase({ ...w, severity: 'critical', rule: 'gas-critical', updatedAt: w.updatedAt + 1 });
    expect(await ids({ severity: ['warning'] })).toEqual([]);
    expect(await ids({ severity: ['critical'], grids: ['g1'] })).toEqual([w.id]);
  });

  it('keeps a ledger in write order with growing seq; note and data only when given', async () => {
    await fresh();
    const c = aCase();
    await a.saveCase(c);
    const e1 = await a.addLedger({ caseId: c.id, ts: T0, actor: 'system', action: 'opened', data: { trigger: { lel: 30 }, rule: 'gas-critical' } });
    const e2 = await b.addLedger({ caseId: c.id, ts: T0 + 1, actor: 'hantao', action: 'commented', note: '已到场' });
    const e3 = await a.addLedger({ caseId: c.id, ts: T0 + 2, actor: 'hantao', action: 'acknowledged' });
    await a.addLedger({ caseId: 'other', ts: T0, actor: 'system', action: 'opened' });
    expect(e2.seq).toBeGreaterThan(e1.seq);
    expect(e3.seq).toBeGreaterThan(e2.seq);
    const got = await b.ledger(c.id);
    expect(got).toEqual([e1, e2, e3]);
    expect(Object.keys(got[2] as object).sort()).toEqual(['action', 'actor', 'caseId', 'seq', 'ts']);
    expect(await a.ledger('nobody')).toEqual([]);
  });

  it('plans, replaces, lists, drops and cancels escalation deadlines', async () => {
    await fresh();
    expect(await a.nextEscalationAt()).toBeUndefined();
    await a.planEscalations('c1', [{ step: 1, at: T0 + 120_000 }, { step: 2, at: T0 + 300_000 }]);
    await b.planEscalations('c2', [{ step: 1, at: T0 + 60_000 }]);
    await a.planEscalations('c1', [{ step: 2, at: T0 + 200_000 }]); // replaces step 2's deadline
    await a.planEscalations('c3', []);
    expect(await b.pendingEscalations('c1')).toEqual([{ step: 1, at: T0 + 120_000 }, { step: 2, at: T0 + 200_000 }]);
    expect(await b.nextEscalationAt()).toBe(T0 + 60_000);
    expect(await b.dueEscalations(T0 + 120_000)).toEqual([{ caseId: 'c2', step: 1, at: T0 + 60_000 }, { caseId: 'c1', step: 1, at: T0 + 120_000 }]);
    expect(await b.dueEscalations(T0)).toEqual([]);
    await b.dropEscalation('c1', 1);
    expect(await a.pendingEscalations('c1')).toEqual([{ step: 2, at: T0 + 200_000 }]);
    expect(await a.cancelEscalations('c1')).toBe(1);
    expect(await a.cancelEscalations('c1')).toBe(0);
    expect(await a.pendingEscalations('c1')).toEqual([]);
    expect(await a.nextEscalationAt()).toBe(T0 + 60_000);
  });

  it('saves, replaces, lists (soonest end first) and deletes silences', async () => {
    await fresh();
    const s1: Silence = { id: 'sil-1', scope: { building: 'b1' }, from: T0, until: T0 + 7200_000, author: 'admin', reason: '燃气管道检修', createdAt: T0 };
    const s2: Silence = { id: 'sil-2', scope: { device: 'gas-1' }, from: T0, until: T0 + 3600_000, author: 'lead', createdAt: T0 };
    await a.saveSilence(s1);
    await b.saveSilence(s2);
    expect(await a.silences()).toEqual([s2, s1]);
    const longer = { ...s2, until: T0 + 9000_000 };
    await a.saveSilence(longer);
    expect(await b.silences()).toEqual([s1, longer]);
    expect(await b.deleteSilence('sil-1')).toBe(true);
    expect(await a.deleteSilence('sil-1')).toBe(false);
    expect(await a.silences()).toEqual([longer]);
  });

  it('remembers which case and device a command was sent for', async () => {
    await fresh();
    await a.saveCommand('cmd-1', 'case-1', 'valve-1', T0);
    expect(await b.commandCase('cmd-1')).toEqual({ caseId: 'case-1', device: 'valve-1' });
    expect(await b.commandCase('cmd-2')).toBeUndefined();
  });

  it('lists the sent commands whose ledger holds no outcome, oldest first, with their payload and sends so far', async () => {
    await fresh();
    const c = aCase();
    await a.saveCase(c);
    const send = async (id: string, device: string, at: number): Promise<void> => {
      await a.tx(async (s) => {
        await s.saveCommand(id, c.id, device, at);
        await s.addLedger({ caseId: c.id, ts: at, actor: 'system', action: 'command_sent', data: { device, command: { id, cmd: 'valve', state: 'closed' } } });
      });
    };
    const entry = (action: 'command_retried' | 'command_ack' | 'command_unconfirmed' | 'delivery_failed' | 'notified', commandId: string): Promise<unknown> =>
      b.addLedger({ caseId: c.id, ts: T0 + 50, actor: 'system', action, data: { commandId } });
    await send('cmd-late', 'valve-2', T0 + 20);
    await send('cmd-early', 'valve-1', T0 + 10);
    for (const id of ['cmd-acked', 'cmd-given-up', 'cmd-failed']) await send(id, 'valve-3', T0 + 30);
    await entry('command_retried', 'cmd-early');
    await entry('command_retried', 'cmd-early');
    await entry('notified', 'cmd-late'); // not an outcome of the command
    await entry('command_retried', 'cmd-acked');
    await entry('command_ack', 'cmd-acked');
    await entry('command_unconfirmed', 'cmd-given-up');
    await entry('delivery_failed', 'cmd-failed');
    expect(await b.unsettledCommands()).toEqual([
      { id: 'cmd-early', caseId: c.id, device: 'valve-1', sentAt: T0 + 10, command: { id: 'cmd-early', cmd: 'valve', state: 'closed' }, sends: 3 },
      { id: 'cmd-late', caseId: c.id, device: 'valve-2', sentAt: T0 + 20, command: { id: 'cmd-late', cmd: 'valve', state: 'closed' }, sends: 1 },
    ]);
    await entry('command_ack', 'cmd-early');
    expect((await a.unsettledCommands()).map((u) => u.id)).toEqual(['cmd-late']);
  });

  it('a transaction commits all of its writes, or none when it throws', async () => {
    await fresh();
    const c = aCase();
    await a.tx(async (s) => {
      await s.planEscalations(c.id, [{ step: 1, at: T0 + 1 }]);
      await s.saveCase(c);
      await s.addLedger({ caseId: c.id, ts: T0, actor: 'system', action: 'opened' });
    });
    const d = aCase({ device: 'gas-9' });
    await expect(a.tx(async (s) => {
      await s.saveCase(d);
      await s.addLedger({ caseId: d.id, ts: T0, actor: 'system', action: 'opened' });
      await s.cancelEscalations(c.id);
      await s.saveCommand('cmd-x', d.id, 'gas-9', T0);
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(await b.getCase(c.id)).toEqual(c);
    expect((await b.ledger(c.id)).map((e) => e.action)).toEqual(['opened']);
    expect(await b.pendingEscalations(c.id)).toEqual([{ step: 1, at: T0 + 1 }]);
    expect(await b.getCase(d.id)).toBeUndefined();
    expect(await b.ledger(d.id)).toEqual([]);
    expect(await b.commandCase('cmd-x')).toBeUndefined();
  });

  it('compare-and-set: a save expecting an updatedAt someone else changed is refused and writes nothing', async () => {
    await fresh();
    const c = aCase();
    await a.saveCase(c);
    await b.saveCase({ ...c, state: 'acknowledged', acknowledgedBy: 'hantao', updatedAt: c.updatedAt + 10 }, c.updatedAt);
    expect(await codeOf(a.saveCase({ ...c, escalationStep: 1, updatedAt: c.updatedAt + 20 }, c.updatedAt))).toBe('GW_ERR_ALERT_CONFLICT');
    expect(await b.getCase(c.id)).toMatchObject({ state: 'acknowledged', escalationStep: -1, updatedAt: c.updatedAt + 10 });
    expect(await codeOf(a.saveCase(aCase({ device: 'never-saved' }), T0))).toBe('GW_ERR_ALERT_CONFLICT');
  });

  it('one open case per (device, incident), even when two instances open it at the same moment', async () => {
    await fresh();
    const rounds = 12;
    const results = await Promise.all(Array.from({ length: rounds }, async (_, i) => {
      const device = `gas-${i}`;
      const open = (store: CaseStore, c: AlertCase): Promise<void> => store.tx(async (s) => {
        if (await s.activeIncident(device, 'gas')) return;
        await s.saveCase(c);
        await s.addLedger({ caseId: c.id, ts: T0, actor: 'system', action: 'opened' });
        await s.planEscalations(c.id, [{ step: 1, at: T0 + 120_000 }]);
      });
      // the warning and the critical level of one hazard: different rules, one incident
      return Promise.allSettled([
        open(a, aCase({ device, rule: 'gas-warning', severity: 'warning' })),
        open(b, aCase({ device, rule: 'gas-critical' })),
      ]);
    }));
    for (let i = 0; i < rounds; i++) {
      const active = await a.listCases({ device: `gas-${i}`, state: ['open', 'acknowledged'] });
      expect(active).toHaveLength(1);
      const rejected = results[i]?.filter((r) => r.status === 'rejected') ?? [];
      for (const r of rejected) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'GW_ERR_ALERT_CONFLICT' });
      // the loser wrote nothing: one ledger, one pending escalation, both of the winner's case
      const all = await a.listCases({ device: `gas-${i}` });
      expect(all).toHaveLength(1);
      expect(await a.ledger(all[0]?.id as string)).toHaveLength(1);
      expect(await a.pendingEscalations(all[0]?.id as string)).toHaveLength(1);
    }
    // a plain save of a second open case of the incident is refused too; another hazard is not
    expect(await codeOf(b.saveCase(aCase({ device: 'gas-0' })))).toBe('GW_ERR_ALERT_CONFLICT');
    await b.saveCase(aCase({ device: 'gas-0', rule: 'smoke-alarm', incident: 'smoke' }));
    // once the open case resolves, the incident may open again
    const [winner] = await a.listCases({ device: 'gas-1', state: ['open'] });
    await a.saveCase({ ...(winner as AlertCase), state: 'resolved', resolvedAt: T0 + 1, updatedAt: T0 + 1 });
    await b.saveCase(aCase({ device: 'gas-1' }));
    expect(await a.listCases({ device: 'gas-1', state: ['open'] })).toHaveLength(1);
  });
});

describe('the PostgreSQL case store when PostgreSQL is gone', () => {
  it('answers GW_ERR_CLUSTER_UNAVAILABLE (retryable, no URL in the message) for reads, writes and transactions', async () => {
    const own = await startTestPostgres();
    const pool = new pg.Pool({ connectionString: own.url, max: 2 });
    pool.on('error', () => undefined); // idle clients see the server go away
    try {
      const store = await openPgCaseStore(pool);
      await store.saveCase(aCase());
      await own.cleanup(); // the server shuts down
      for (const attempt of [store.getCase('case-1'), store.saveCase(aCase({ device: 'gas-7' })), store.tx(async (s) => s.addLedger({ caseId: 'x', ts: T0, actor: 'system', action: 'opened' }))]) {
        const err = await attempt.then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(GridwatchError);
        expect(err).toMatchObject({ code: 'GW_ERR_CLUSTER_UNAVAILABLE', retryable: true });
        expect((err as Error).message).not.toContain(String(own.port));
      }
    } finally {
      await pool.end().catch(() => undefined);
      await own.cleanup().catch(() => undefined);
    }
  }, 120_000);
});
