import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditUptimeCommand } from '../../src/cli/audit.js';
import { line } from '../reports/fixtures.js';
import { startCliSite, type CliSite } from './fixtures.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 10);
const DB = 'gw_cli_audit';
const run = promisify(execFile);

describe('gridwatch audit uptime', () => {
  let site: CliSite | undefined;
  let config = '';

  beforeAll(async () => {
    const lines: string[] = [];
    for (let h = -2; h < 24; h++) lines.push(line.reading('smoke', 'smk-steady', T0 + h * H, 'alarm=false,battery=80'));
    // smk-across: readings until 12 h, then silent: offline from 15 h (3 x 1 h) to the end
    for (let h = -2; h <= 12; h++) lines.push(line.reading('smoke', 'smk-across', T0 + h * H, 'alarm=false'));
    site = await startCliSite(DB, lines);
    config = site.config;
  });
  afterAll(async () => {
    await site?.cleanup();
  });

  const from = new Date(T0).toISOString();
  const to = new Date(T0 + 24 * H).toISOString();

  it('prints JSON with every device of the grid', async () => {
    const out = await auditUptimeCommand({ config, from, to, grid: 'g1', format: 'json' }, {});
    const r = JSON.parse(out) as { devices: Array<{ device: string; uptimePct: number }> };
    expect(r.devices.map((d) => d.device)).toEqual(['gas-flap', 'noise-b1', 'noise-b3', 'smk-across', 'smk-steady']);
    expect(r.devices.find((d) => d.device === 'smk-steady')?.uptimePct).toBe(100);
    expect(r.devices.find((d) => d.device === 'smk-across')?.uptimePct).toBeCloseTo((100 * 15) / 24, 8);
  });

  it('prints CSV with a header and one row per device', async () => {
    const out = await auditUptimeCommand({ config, from, to, grid: 'g1', format: 'csv' }, {});
    const [header, ...lines] = out.trimEnd().split('\r\n');
    const cols = header?.split(',') ?? [];
    expect(cols.slice(0, 6)).toEqual(['device', 'kind', 'grid', 'building', 'uptime_pct', 'outages']);
    const across = lines.find((l) => l.startsWith('smk-across,'))?.split(',') ?? [];
    expect(across[cols.indexOf('uptime_pct')]).toBe('62.5');
    expect(across[cols.indexOf('unplanned_min')]).toBe('540');
    expect(across[cols.indexOf('offline_at_end')]).toBe('silent');
    expect(lines).toHaveLength(5);
  });

  it('prints a table by default through the real command line, and exits 2 on a bad --format', async () => {
    const env = { ...process.env, GRIDWATCH_CONFIG: config };
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'audit', 'uptime', '--from', from, '--to', to, '--grid', 'g2'], { env });
    const rows = stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^device\s+kind\s+grid\s+building\s+uptime_pct/);
    expect(rows.slice(2).map((l) => l.split(/\s+/)[0])).toEqual(['noise-b2', 'wat-never', 'wat-new']);
    const bad = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'audit', 'uptime', '--from', from, '--format', 'xml'], { env }).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toMatch(/GW_ERR_CLI_USAGE: --format "xml".*table \| csv \| json/);
  });

  it('--source picks the data: raw recomputes; records without the hub\'s outage records is refused with the reason; an unknown source is a usage error', async () => {
    const raw = JSON.parse(await auditUptimeCommand({ config, from, to, grid: 'g1', format: 'json', source: 'raw' }, {})) as { source: string; devices: Array<{ device: string; uptimePct: number }> };
    expect(raw.source).toBe('raw');
    expect(raw.devices.find((d) => d.device === 'smk-across')?.uptimePct).toBeCloseTo((100 * 15) / 24, 8);
    await expect(auditUptimeCommand({ config, from, to, format: 'json', source: 'records' }, {})).rejects.toMatchObject({ code: 'GW_ERR_REPORT_RANGE', field: 'source' });
    await expect(auditUptimeCommand({ config, from, to, format: 'json', source: 'guess' }, {})).rejects.toMatchObject({ code: 'GW_ERR_CLI_USAGE' });
  });
});
