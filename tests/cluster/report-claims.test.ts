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
    await Promise.all(pools.map((p) => p.end()));
    await postgres?.cleanup();
  });
  const pool = (): pg.Pool => {
    const p = new pg.Pool({ connectionString: postgres.url });
    // an idle client ended by the server's shutdown at cleanup is not a test failure
    p.on('error', () => undefined);
    pools.push(p);
    return p;
  };

  it('two hubs racing for the same report and period: one wins, once; the next period is claimable again', async () => {
    const a = reportClaims(pool(), 'hub-a');
    const b = reportClaims(pool(), 'hub-b');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b)('daily', '2026-11-28')));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await a('daily', '2026-11-29')).toBe(true);
    expect(await b('daily', '2026-11-29')).toBe(false);
    expect(await b('monthly', '2026-10')).toBe(true);
    const rows = await postgres.query<{ report: string; period: string }>('SELECT report, period FROM gw_report_runs ORDER BY report, period');
    expect(rows).toEqual([{ report: 'daily', period: '2026-11-28' }, { report: 'daily', period: '2026-11-29' }, { report: 'monthly', period: '2026-10' }]);
  });
});
