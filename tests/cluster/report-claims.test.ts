// Exactly one hub writes and sends each scheduled report: claims race on a real PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { reportClaims } from '../../src/cluster/index.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';

describe('report claims on a real PostgreSQL', () => {
  let postgres: TestPostgres;
  const pools: pg.Pool[] = [];
  beforeAll(async () => {
    postgres = await startTestPostgres();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(pools.filter((p) => !p.ended).map((p) => p.end()));
    await postgres?.cleanup();
  });
  const pool = (): pg.Pool => {
    const p = new pg.Pool({ connectionString: postgres.url });
    // an idle client ended by the server's shutdown at cleanup is not a test failure
    p.on('error', () => undefined);
    pools.push(p);
    return p;
  };

  const row = async (period: string) => (await postgres.query<{ hub: string; done: boolean }>('SELECT hub, done_at IS NOT NULL AS done FROM gw_report_runs WHERE report = $1 AND period = $2', ['daily', period]))[0];

  it('two hubs racing for the same report and period: one holds it, once; done stays done; the next period is claimable again', async () => {
    const a = reportClaims(pool(), 'hub-a');
    const b = reportClaims(pool(), 'hub-b');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).claim('daily', '2026-11-28')));
    const holds = results.filter((r) => typeof r === 'object');
    expect(holds).toHaveLength(1);
    expect(results.filter((r) => r === 'held')).toHaveLength(19);
    await holds[0]?.done();
    expect(await a.claim('daily', '2026-11-28')).toBe('done');
    const next = await a.claim('daily', '2026-11-29');
    expect(typeof next).toBe('object');
    expect(await b.claim('daily', '2026-11-29')).toBe('held');
    expect(typeof (await b.claim('monthly', '2026-10'))).toBe('object');
    const rows = await postgres.query<{ report: string; period: string }>('SELECT report, period FROM gw_report_runs ORDER BY report, period');
    expect(rows).toEqual([{ report: 'daily', period: '2026-11-28' }, { report: 'daily', period: '2026-11-29' }, { report: 'monthly', period: '2026-10' }]);
  });

  it('a hold is refreshed while its hub lives; a hub that died (no refresh) or gave up is taken over, never a done report', async () => {
    const staleMs = 400;
    const aPool = pool();
    const a = reportClaims(aPool, 'hub-a', staleMs);
    const b = reportClaims(pool(), 'hub-b', staleMs);
    const held = await a.claim('daily', '2026-11-20');
    expect(typeof held).toBe('object');
    // alive: refreshed every staleMs / 3, so b keeps finding it held well past staleMs
    const until = Date.now() + 3 * staleMs;
    while (Date.now() < until) {
      expect(await b.claim('daily', '2026-11-20')).toBe('held');
      await new Promise((r) => setTimeout(r, 50));
    }
    // a dies: its refreshes stop reaching PostgreSQL; after staleMs b takes it over
    await aPool.end();
    let taken: Awaited<ReturnType<typeof b.claim>> = 'held';
    const deadline = Date.now() + 10_000;
    while (taken === 'held' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      taken = await b.claim('daily', '2026-11-20');
    }
    expect(typeof taken).toBe('object');
    expect(await row('2026-11-20')).toEqual({ hub: 'hub-b', done: false });
    if (typeof taken === 'object') await taken.done();
    expect(await row('2026-11-20')).toEqual({ hub: 'hub-b', done: true });

    // a hub that gives up (its report failed) hands it over at once
    const c = reportClaims(pool(), 'hub-c', 60_000);
    const d = reportClaims(pool(), 'hub-d', 60_000);
    const cHeld = await c.claim('daily', '2026-11-21');
    expect(await d.claim('daily', '2026-11-21')).toBe('held');
    if (typeof cHeld === 'object') await cHeld.release();
    const dHeld = await d.claim('daily', '2026-11-21');
    expect(typeof dHeld).toBe('object');
    if (typeof dHeld === 'object') await dHeld.done();
    expect(await c.claim('daily', '2026-11-21')).toBe('done');
  });
});
