import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { parseConfig } from '../../src/config/index.js';
import { startHub } from '../../src/hub/hub.js';
import { testSite } from '../helpers/hub.js';

describe('startHub without an InfluxDB url', () => {
  it('starts a managed influxd under <dataDir>/influxdb, creates the database, and stops it on close', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gw-managed-'));
    try {
      const site = testSite([{ id: 'gas-m1', kind: 'gas' }], { dataDir, influx: { database: 'managed' } });
      const hub = await startHub(parseConfig(site.raw, '(test)', { env: {} }), { logger: silentLogger() });
      expect(hub.influxd?.dir).toBe(join(dataDir, 'influxdb'));
      expect(hub.influxUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${hub.influxUrl}/query?q=${encodeURIComponent('SHOW DATABASES')}`);
      expect(JSON.stringify(await res.json())).toContain('"managed"');
      const child = hub.influxd?.child;
      await hub.close();
      expect(child?.exitCode !== null || child?.signalCode !== null).toBe(true);
      await expect(fetch(`${hub.influxUrl}/ping`)).rejects.toThrow();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
