import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInfluxClient, ensureDatabase } from '../../src/store/client.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { startProxy, type TestProxy } from './http-proxy.js';

describe('createInfluxClient', () => {
  it('names the field and value of a bad URL', () => {
    expect(() => createInfluxClient({ url: 'not a url', database: 'gw' })).toThrowError(/influx\.url 'not a url' is not a valid URL/);
    expect(() => createInfluxClient({ url: 'ftp://host:21', database: 'gw' })).toThrowError(/must start with http:\/\/ or https:\/\//);
  });
});

describe('client against a real influxd', () => {
  let influx: TestInflux;
  let proxy: TestProxy;
  beforeAll(async () => {
    influx = await startTestInflux();
    proxy = await startProxy(influx.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await influx?.cleanup();
  });

  it('ensureDatabase creates the database, idempotently', async () => {
    const client = createInfluxClient({ url: influx.url, database: 'ensured' });
    await ensureDatabase(client, 'ensured');
    await ensureDatabase(client, 'ensured');
    expect(await client.getDatabaseNames()).toContain('ensured');
  });

  it('does not bench the host after a failure: the next request goes out at once', async () => {
    const client = createInfluxClient({ url: proxy.url, database: 'bench' });
    proxy.mode = 'down';
    await expect(client.getDatabaseNames()).rejects.toThrow();
    proxy.mode = 'pass';
    // node-influx's default pool would answer "No host available" here for its backoff window.
    await expect(client.getDatabaseNames()).resolves.toBeInstanceOf(Array);
  });
});
