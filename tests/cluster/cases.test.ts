// Alert cases in cluster mode live in the shared PostgreSQL: a gas leak from a device connected to
// hub A opens its case there (no alerts.db on either hub), hub B's API lists it, and a user
// acknowledging it through hub B changes the one case both hubs read.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertCase } from '../../src/core/alert-types.js';
import { until } from '../helpers/hub.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { password, peopleConfig } from '../api/people.js';

describe('alert cases shared by two hubs', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster({ devices: [{ id: 'gas-0101', kind: 'gas' }], overrides: { people: peopleConfig() } });
  }, 180_000);
  afterAll(async () => {
    await cluster?.cleanup();
  });

  const api = async (hub: number, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`http://127.0.0.1:${cluster.hubs[hub]?.httpPort ?? 0}/api/v1${path}`, {
      method, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: await res.json() as unknown };
  };

  it('a case opened on hub A is in PostgreSQL, listed and acknowledged through hub B', async () => {
    const device = await cluster.connect('gas-0101', cluster.hubs[0]?.mqttPort ?? 0);
    await device.publishAsync('gridwatch/v1/gas-0101/reading', JSON.stringify({ lel: 32 }), { qos: 1 });
    const [row] = await until(async () => {
      const r = await cluster.postgres.query<{ id: string; state: string }>("SELECT id, state FROM gw_cases WHERE device = 'gas-0101' AND incident = 'gas'");
      return r.length > 0 ? r : undefined;
    }, 30_000, 'the case in PostgreSQL');
    expect(row?.state).toBe('open');
    for (const h of cluster.hubs) expect(existsSync(join(dirname(cluster.configFile), h.id, 'alerts.db'))).toBe(false);

    const login = await api(1, 'POST', '/auth/login', undefined, { username: 'wang', password: password('wang') });
    expect(login.status).toBe(200);
    const token = (login.body as { token: string }).token;
    const listed = await api(1, 'GET', '/alerts?state=open', token);
    expect((listed.body as AlertCase[]).map((c) => c.id)).toContain(row?.id);
    const acked = await api(1, 'POST', `/alerts/${row?.id}/ack`, token, { note: '到场' });
    expect(acked.status).toBe(200);
    const [after] = await cluster.postgres.query<{ state: string }>('SELECT state FROM gw_cases WHERE id = $1', [row?.id]);
    expect(after?.state).toBe('acknowledged');
    const ledger = await cluster.postgres.query<{ action: string }>('SELECT action FROM gw_case_ledger WHERE case_id = $1 ORDER BY seq', [row?.id]);
    expect(ledger.map((e) => e.action)).toEqual(expect.arrayContaining(['opened', 'escalated', 'acknowledged']));
    device.end(true);
  });
});
