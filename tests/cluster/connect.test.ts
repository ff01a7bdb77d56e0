import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openClusterConnections, redactUrl } from '../../src/cluster/index.js';
import { createLogger } from '../../src/core/logger.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { until } from '../helpers/hub.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';

describe('cluster connections against a real redis-server and PostgreSQL', () => {
  let redis: TestRedis;
  let postgres: TestPostgres;
  beforeAll(async () => {
    [redis, postgres] = await Promise.all([startTestRedis(), startTestPostgres()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([redis?.cleanup(), postgres?.cleanup()]);
  });

  it('opens a pg pool and named redis clients, and closes them all', async () => {
    const conn = openClusterConnections({ hubId: 'hub-a', redisUrl: redis.url, postgresUrl: postgres.url, leaseMs: 3000 }, createLogger({ level: 'silent' }));
    const r = conn.redis('test');
    await r.set('k', 'v');
    expect(await r.get('k')).toBe('v');
    expect((await conn.pool.query('SELECT current_database() AS db')).rows[0]).toEqual({ db: 'gridwatch' });
    const names = (await redis.client().client('LIST')) as string;
    expect(names).toContain('name=gridwatch-hub-a-test');
    await conn.close();
    await until(() => r.status === 'end' || undefined, 5000, 'the redis client to end');
  });

  it('never shows a password from a connection url', () => {
    expect(redactUrl('redis://:s3cret@10.0.0.5:6379/0')).toBe('redis://***@10.0.0.5:6379/0');
    expect(redactUrl('postgres://gw:s3cret@db:5432/gridwatch')).not.toContain('s3cret');
    expect(redactUrl('redis://10.0.0.5:6379')).toBe('redis://10.0.0.5:6379');
  });
});
