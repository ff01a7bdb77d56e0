// Fencing of the rules leader's writes in the PostgreSQL case store (cluster mode), on a real
// PostgreSQL: two hubs' stores on one database and the lease row in gw_lease. Once the lease's
// epoch moves on (another hub took over), a write fenced with the old epoch is refused with
// GW_ERR_LEASE_LOST and leaves nothing behind; user actions are not fenced.
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyTransition, runEscalations } from '../../src/alerts/flow.js';
import { openPgCaseStore } from '../../src/alerts/store-pg.js';
import type { CaseStore } from '../../src/alerts/store.js';
import type { AlertCase } from '../../src/core/alert-types.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Fence } from '../../src/core/fence.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { gasDevice, makeHarness, transition } from './harness.js';
import { codeOf } from '../helpers/errors.js';

const T0 = Date.UTC(2026, 0, 12, 2, 0);

let server: TestPostgres;
let dbs = 0;
beforeAll(async () => { server = await startTestPostgres(); }, 120_000);
afterAll(async () => { await server?.cleanup(); }, 60_000);

let pools: pg.Pool[] = [];
afterEach(async () => {
  await Promise.all(pools.map((p) => p.end()));
  pools = [];
});

/** two hubs' stores on a fresh database, and a way to move the lease as a new leader would */
async function twoHubs(): Promise<{ a: CaseStore; b: CaseStore; setLease(epoch: number, holder: string): Promise<void>; lease(): Promise<number> }> {
  const url = await server.createDatabase(`fencing_${++dbs}`);
  pools = [new pg.Pool({ connectionString: url, max: 3 }), new pg.Pool({ connectionString: url, max: 3 })];
  for (const p of pools) p.on('error', () => undefined); // idle sessions ended by the server's shutdown at cleanup
  const [a, b] = await Promise.all(pools.map((p) => openPgCaseStore(p))) as [CaseStore, CaseStore];
  const admin = pools[1] as pg.Pool;
  return {
    a, b,
    setLease: async (epoch, holder) => {
      await admin.query(`INSERT INTO gw_lease (name, epoch, holder, acquired_at) VALUES ('rules', $1, $2, now())
        ON CONFLICT (name) DO UPDATE SET epoch = excluded.epoch, holder = excluded.holder, acquired_at = excluded.acquired_at`, [epoch, holder]);
    },
    lease: async () => Number((await admin.query<{ epoch: string }>("SELECT epoch FROM gw_lease WHERE name = 'rules'")).rows[0]?.epoch),
  };
}

const fence = (epoch: () => number | undefined, name = 'rules'): Fence => ({ name, epoch });


function aCase(id: string, device: string): AlertCase {
  return {
    id, device, rule: 'gas-critical', incident: 'gas', kind: 'gas', severity: 'critical', state: 'open', title: { zh: '燃气泄漏', en: 'Gas leak' },
    street: 's1', community: 'c1', grid: 'g1', building: 'b1', openedAt: T0, updatedAt: T0, escalationStep: -1, trigger: {},
  };
}

describe('fenced writes in the PostgreSQL case store', () => {
  it('a write with a stale epoch is refused and writes nothing; the new leader and user actions write', async () => {
    const { a, b, setLease } = await twoHubs();
    let epochA: number | undefined = 1;
    const fenceA = fence(() => epochA);
    const fenceB = fence(() => 2);
    await setLease(1, 'hub-a');
    const write = (store: CaseStore, id: string, device: string, f: Fence | undefined): Promise<void> => store.tx(async (s) => {
      await s.saveCase(aCase(id, device));
      await s.addLedger({ caseId: id, ts: T0, actor: 'system', action: 'opened' });
      await s.planEscalations(id, [{ step: 1, at: T0 + 120_000 }]);
      await s.saveCommand(`cmd-${id}`, id, device, T0);
    }, f);

    await write(a, 'c-1', 'gas-1', fenceA); // A leads at epoch 1
    expect(await b.getCase('c-1')).toBeDefined();

    await setLease(2, 'hub-b'); // B takes over; A froze and has not noticed
    expect(await codeOf(write(a, 'c-2', 'gas-2', fenceA))).toBe('GW_ERR_LEASE_LOST');
    expect(await b.getCase('c-2')).toBeUndefined();
    expect(await b.ledger('c-2')).toEqual([]);
    expect(await b.pendingEscalations('c-2')).toEqual([]);
    expect(await b.commandCase('cmd-c-2')).toBeUndefined();

    await write(b, 'c-3', 'gas-3', fenceB); // the new leader writes
    expect(await a.getCase('c-3')).toBeDefined();
    await write(a, 'c-4', 'gas-4', undefined); // not on the leader's behalf (a user action): not fenced
    expect(await b.getCase('c-4')).toBeDefined();

    epochA = undefined; // A knows it lost the lease
    expect(await codeOf(write(a, 'c-5', 'gas-5', fenceA))).toBe('GW_ERR_LEASE_LOST');
    expect(await codeOf(write(b, 'c-6', 'gas-6', fence(() => 2, 'no-such-lease')))).toBe('GW_ERR_LEASE_LOST');
    expect((await b.listCases({})).map((c) => c.id).sort()).toEqual(['c-1', 'c-3', 'c-4']);
  });

  it('the old leader\'s rule transitions and escalation steps are refused after a take-over; the new leader fires the step once', async () => {
    const { a, b, setLease, lease } = await twoHubs();
    const clock = new ManualClock(T0);
    const hubA = makeHarness({ store: a, clock });
    const hubB = makeHarness({ store: b, clock });
    hubA.cases.fence = fence(() => 1); // A froze holding epoch 1 and still believes it
    hubB.cases.fence = fence(() => 2);
    await setLease(1, 'hub-a');

    const c = (await applyTransition(hubA.cases, transition('gas-critical', 'raise')))!;
    expect((await b.ledger(c.id)).map((e) => e.action)).toEqual(['opened', 'escalated']);

    await setLease(2, 'hub-b');
    expect(await lease()).toBe(2);
    clock.advance(120_000); // the grid leader's step is due
    expect(await codeOf(runEscalations(hubA.cases, clock.now()))).toBe('GW_ERR_LEASE_LOST');
    expect(await codeOf(applyTransition(hubA.cases, transition('gas-critical', 'clear')))).toBe('GW_ERR_LEASE_LOST');
    expect(await codeOf(applyTransition(hubA.cases, transition('gas-critical', 'raise', gasDevice({ id: 'gas-2' }))))).toBe('GW_ERR_LEASE_LOST');
    // nothing of A's got in: the case is still open at step 0, the step still pending, no case for gas-2
    expect(await b.getCase(c.id)).toMatchObject({ state: 'open', escalationStep: 0 });
    expect((await b.ledger(c.id)).map((e) => e.action)).toEqual(['opened', 'escalated']);
    expect((await b.pendingEscalations(c.id)).map((p) => p.step)).toEqual([1, 2]);
    expect(await b.listCases({})).toHaveLength(1);
    expect(hubA.notes).toHaveLength(1);

    await runEscalations(hubB.cases, clock.now()); // the new leader fires the due step, once
    await runEscalations(hubB.cases, clock.now());
    expect((await a.ledger(c.id)).filter((e) => e.action === 'escalated').map((e) => e.data?.step)).toEqual([0, 1]);
    expect(hubB.notes.map((n) => n.step)).toEqual([1]);

    // a user on the old leader's hub still acknowledges (user actions are not fenced)
    await hubA.cases.acknowledge(c.id, 'hantao', '已到场');
    expect(await b.getCase(c.id)).toMatchObject({ state: 'acknowledged' });
    expect(await b.pendingEscalations(c.id)).toEqual([]);
    await hubA.cleanup();
    await hubB.cleanup();
  });
});
