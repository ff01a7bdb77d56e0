// Two real hubs (gridwatch serve) on one PostgreSQL: an access change made over hub A's API takes
// effect on hub B. A login token from A works on B; a device registered on A logs in on B; a
// decommission on A closes the device's MQTT connection held by B; a password reset on A refuses
// the old token on B.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/hub.js';
import { startTestCluster, type ClusterHub, type TestCluster } from '../helpers/cluster.js';
import { password, peopleConfig } from '../api/people.js';

async function call(hub: ClusterHub, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${hub.httpPort}/api/v1${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function login(hub: ClusterHub, id: string, pw = password(id)): Promise<string> {
  const res = await call(hub, 'POST', '/auth/login', undefined, { username: id, password: pw });
  expect(res.status).toBe(200);
  return res.body.token as string;
}

describe('cluster mode: an access change on one hub applies on the other', () => {
  let cluster: TestCluster;
  let a: ClusterHub;
  let b: ClusterHub;
  beforeAll(async () => {
    cluster = await startTestCluster({ devices: [{ id: 'gas-0001', kind: 'gas' }], overrides: { people: peopleConfig() } });
    [a, b] = cluster.hubs as [ClusterHub, ClusterHub];
  }, 180_000);
  afterAll(async () => {
    await cluster?.cleanup();
  }, 60_000);

  it('a token from A works on B; a device decommissioned on A: hub B closes its MQTT connection and refuses it', async () => {
    const admin = await login(a, 'root');
    expect((await call(b, 'GET', '/me', admin)).body).toMatchObject({ id: 'root', role: 'admin' });
    const device = await cluster.connect('gas-0001', b.mqttPort);
    let closed = false;
    device.on('close', () => { closed = true; });
    expect((await call(a, 'DELETE', '/devices/gas-0001', admin)).status).toBe(200);
    await until(() => closed, 15_000, 'hub B to close the decommissioned device\'s connection');
    await expect(cluster.connect('gas-0001', b.mqttPort)).rejects.toThrow();
  });

  it('a device registered on A logs in on B', async () => {
    const admin = await login(a, 'root');
    const added = await call(a, 'POST', '/devices', admin, { id: 'gas-0002', kind: 'gas', building: 'b2' });
    expect(added.status).toBe(201);
    const secret = added.body.secret as string;
    const fresh = await until(() => cluster.connect('gas-0002', b.mqttPort, { password: secret }).catch(() => undefined), 15_000, 'the new device accepted by hub B');
    expect(fresh.connected).toBe(true);
    expect(a.log() + b.log()).not.toContain(secret);
  });

  it('a password reset on A refuses the old token on B at once', async () => {
    const admin = await login(b, 'root');
    const li = await login(a, 'li');
    expect((await call(b, 'GET', '/me', li)).status).toBe(200);
    const reset = await call(a, 'POST', '/people/li/reset-password', admin);
    expect(reset.status).toBe(200);
    const refused = await call(b, 'GET', '/me', li);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ code: 'GW_ERR_API_AUTH' });
    const fresh = await until(async () => (await call(b, 'POST', '/auth/login', undefined, { username: 'li', password: reset.body.password })).status === 200, 15_000, 'the new password accepted by hub B');
    expect(fresh).toBe(true);
  });
});
