// Cluster mode refuses to start with a managed influxd per hub: N hubs would split the readings
// over N servers. Checked before any engine is reached (the URLs point at closed ports).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/core/logger.js';
import { GridwatchError } from '../../src/core/errors.js';
import { startHub } from '../../src/hub/hub.js';
import { testSite } from '../helpers/hub.js';

describe('cluster mode config at hub start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-cluster-cfg-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('without a shared influx.url it stops with an error naming the path and the fix', async () => {
    const { raw } = testSite([], { dataDir, cluster: { hubId: 'a', redisUrl: 'redis://127.0.0.1:1', postgresUrl: 'postgres://gw@127.0.0.1:1/gw' } });
    const config = parseConfig(raw, 'cluster.yaml');
    const err = await startHub(config, { logger: createLogger({ level: 'silent' }) }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(GridwatchError);
    expect((err as GridwatchError).code).toBe('GW_ERR_CONFIG_INVALID');
    expect((err as GridwatchError).message).toContain('GRIDWATCH_INFLUX_URL');
    expect((err as GridwatchError).details).toEqual({ path: '/influx/url' });
  });
});
