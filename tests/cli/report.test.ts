import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noiseReportCommand } from '../../src/cli/report.js';
import { line } from '../reports/fixtures.js';
import { startCliSite, type CliSite } from './fixtures.js';

const M = 60_000;
const DB = 'gw_cli_noise';
// night of 2026-03-01 in Asia/Shanghai: 14:00Z .. 22:00Z
const S = Date.UTC(2026, 2, 1, 14);

describe('gridwatch report noise', () => {
  let site: CliSite | undefined;
  let config = '';

  beforeAll(async () => {
    const lines: string[] = [];
    for (let k = 0; k < 48; k++) {
      lines.push(line.reading('noise', 'noise-b1', S + k * 10 * M, 'laeq=50,lmax=52'));
      lines.push(line.reading('noise', 'noise-b2', S + k * 10 * M, 'laeq=42,lmax=44'));
    }
    site = await startCliSite(DB, lines);
    config = site.config;
  });
  afterAll(async () => {
    await site?.cleanup();
  });

  it('prints the loudest building first as a table', async () => {
    const out = await noiseReportCommand({ config, night: '2026-03-01' }, {});
    const rows = out.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^night\s+building\s+name\s+grid\s+zone\s+limit_db\s+laeq_db/);
    // b1: 50 dB over zone-1 limit 45 all night; b2: 42 under zone-2 limit 50; b3: no data
    expect(rows[2]).toMatch(/^2026-03-01\s+b1\s+1号楼\s+g1\s+1\s+45\s+50\s+52\s+480\s+0\s+true$/);
    expect(rows[3]).toMatch(/^2026-03-01\s+b2\s+2号楼\s+g2\s+2\s+50\s+42\s+44\s+0\s+0\s+false$/);
    expect(rows[4]).toMatch(/^2026-03-01\s+b3\s+3号楼\s+g1\s+1\s+45\s+0\s+0\s+false$/);
  });

  it('prints CSV and JSON for one building', async () => {
    const csv = await noiseReportCommand({ config, night: '2026-03-01', building: 'b2', format: 'csv' }, {});
    expect(csv).toBe('night,building,name,grid,zone,limit_db,laeq_db,lmax_db,minutes_above,impulses,breach\r\n2026-03-01,b2,2号楼,g2,2,50,42,44,0,0,false\r\n');
    const json = JSON.parse(await noiseReportCommand({ config, night: '2026-03-01', format: 'json' }, {})) as { breachedGrids: string[]; from: number };
    expect(json.breachedGrids).toEqual(['g1']);
    expect(json.from).toBe(S);
  });

  it('refuses an unknown building, naming it', async () => {
    await expect(noiseReportCommand({ config, night: '2026-03-01', building: 'zz' }, {})).rejects.toMatchObject({ code: 'GW_ERR_REPORT_RANGE', field: 'building', value: 'zz' });
  });
});
