import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it, expect } from 'vitest';
import { parse, stringify } from 'yaml';
import { GridwatchError } from '../../src/core/errors.js';
import { loadConfigFile, SiteIndex } from '../../src/config/index.js';

const EXAMPLE = join(import.meta.dirname, '../../examples/gridwatch.yaml');
const dir = mkdtempSync(join(tmpdir(), 'gw-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function failure(fn: () => unknown): GridwatchError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(GridwatchError);
    return e as GridwatchError;
  }
  throw new Error('expected a GridwatchError');
}

function variant(name: string, edit: (raw: Record<string, unknown>) => void): string {
  const raw = parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, unknown>;
  edit(raw);
  const file = join(dir, name);
  writeFileSync(file, stringify(raw));
  return file;
}

describe('loadConfigFile', () => {
  it('loads the example: one street, two communities, four grids, a dozen buildings, ~60 devices', () => {
    const config = loadConfigFile(EXAMPLE, { env: {} });
    const site = new SiteIndex(config);
    expect(site.streets.get('liulin')?.name).toBe('柳林街道');
    expect([...site.communities.values()].map((c) => c.name)).toEqual(['龙天园社区', '海河花园社区']);
    expect(site.grids.size).toBe(4);
    expect(new Set([...site.grids.values()].map((g) => g.noiseZone))).toEqual(new Set(['1', '2']));
    expect(site.buildings.size).toBe(12);
    expect(site.devices.size).toBeGreaterThanOrEqual(55);
    expect(new Set(config.devices.map((d) => d.kind))).toEqual(new Set(['smoke', 'gas', 'noise', 'water']));
    expect(site.devices.get('gas-lty3-0101')).toMatchObject({ kind: 'gas', building: 'lty-3', grid: 'lty-1', community: 'longtianyuan', street: 'liulin', unit: '1单元101', intervalS: 600 });
    expect(config.people.map((p) => p.role)).toEqual(expect.arrayContaining(['admin', 'street', 'grid_leader', 'grid_worker']));
    expect(config.streetDuty.length).toBeGreaterThan(0);
    expect(config.rosters.map((r) => r.grid).sort()).toEqual([...site.grids.keys()].sort());
    expect(config.dataDir).toBe(join(import.meta.dirname, '../../examples/data'));
  });

  it('a wrong kind names the file, the path, the value and what is allowed', () => {
    const file = variant('kind.yaml', (raw) => {
      (raw.devices as Record<string, unknown>[])[2]!.kind = 'radon';
    });
    const e = failure(() => loadConfigFile(file, { env: {} }));
    expect(e.code).toBe('GW_ERR_CONFIG_INVALID');
    expect(e.message).toContain(file);
    expect(e.message).toContain('/devices/2/kind');
    expect(e.message).toContain('"radon"');
    expect(e.message).toMatch(/"smoke" \| "gas" \| "noise" \| "water"/);
  });

  it('an unknown building is named with its path', () => {
    const file = variant('building.yaml', (raw) => {
      (raw.devices as Record<string, unknown>[])[5]!.building = 'lty-99';
    });
    const e = failure(() => loadConfigFile(file, { env: {} }));
    expect(e.code).toBe('GW_ERR_CONFIG_INVALID');
    expect(e.message).toContain(file);
    expect(e.message).toContain('/devices/5/building');
    expect(e.message).toContain('"lty-99"');
    expect(e.message).toContain('names no building');
  });

  it('a bad port in the environment names the variable, the value and the allowed range', () => {
    const e = failure(() => loadConfigFile(EXAMPLE, { env: { GRIDWATCH_MQTT_PORT: '70000' } }));
    expect(e.code).toBe('GW_ERR_CONFIG_ENV');
    expect(e.message).toContain('GRIDWATCH_MQTT_PORT');
    expect(e.message).toContain('"70000"');
    expect(e.message).toContain('0-65535');
    expect(e.message).toContain(EXAMPLE);
  });

  it('environment overrides apply', () => {
    const c = loadConfigFile(EXAMPLE, { env: { GRIDWATCH_MQTT_PORT: '0', GRIDWATCH_HTTP_PORT: '9999', GRIDWATCH_INFLUX_URL: 'http://127.0.0.1:1', GRIDWATCH_INFLUX_DB: 'x', GRIDWATCH_DATA_DIR: '/tmp/gw' } });
    expect([c.mqtt.port, c.http.port, c.influx.url, c.influx.database, c.dataDir]).toEqual([0, 9999, 'http://127.0.0.1:1', 'x', '/tmp/gw']);
  });

  it('cluster mode comes from the environment: hub id and engine URLs, all three or a named error', () => {
    const env = { GRIDWATCH_HUB_ID: 'hub-a', GRIDWATCH_REDIS_URL: 'redis://127.0.0.1:6379', GRIDWATCH_POSTGRES_URL: 'postgres://gw@127.0.0.1:5432/gridwatch' };
    const c = loadConfigFile(EXAMPLE, { env });
    expect(c.cluster).toEqual({ hubId: 'hub-a', redisUrl: 'redis://127.0.0.1:6379', postgresUrl: 'postgres://gw@127.0.0.1:5432/gridwatch', leaseMs: 3000 });
    expect(loadConfigFile(EXAMPLE, { env: {} }).cluster).toBeUndefined();
    const e = failure(() => loadConfigFile(EXAMPLE, { env: { GRIDWATCH_HUB_ID: 'hub-a', GRIDWATCH_REDIS_URL: 'redis://127.0.0.1:6379' } }));
    expect(e.code).toBe('GW_ERR_CONFIG_INVALID');
    expect(e.message).toContain('/cluster');
    expect(e.message).toContain('postgresUrl');
  });

  it('a missing file and broken YAML are named', () => {
    expect(failure(() => loadConfigFile(join(dir, 'nope.yaml'), { env: {} })).code).toBe('GW_ERR_CONFIG_READ');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'mqtt: [1, 2\n');
    const e = failure(() => loadConfigFile(bad, { env: {} }));
    expect(e.code).toBe('GW_ERR_CONFIG_PARSE');
    expect(e.message).toContain(bad);
  });
});
