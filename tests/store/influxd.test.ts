import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestInflux, rows, type TestInflux } from '../helpers/influxd.js';
import { findInfluxd } from '../../src/store/influxd.js';

describe('managed influxd', () => {
  let influx: TestInflux;
  beforeAll(async () => {
    influx = await startTestInflux();
  });
  afterAll(async () => {
    await influx?.cleanup();
  });

  it('answers queries on its loopback port and keeps data across a restart', async () => {
    await influx.createDb('t');
    const res = await fetch(`${influx.url}/write?db=t&precision=ms`, { method: 'POST', body: 'm,device=a v=1 1700000000000' });
    expect(res.status).toBe(204);
    await influx.stop();
    await influx.restart();
    const r = rows(await influx.query('SELECT v, device FROM m', 't'));
    expect(r).toEqual([{ time: 1700000000000, v: 1, device: 'a' }]);
  });

  it('names the install command when the binary is missing', () => {
    expect(() => findInfluxd('influxd-not-here')).toThrowError(/apt-get install -y influxdb/);
  });
});
