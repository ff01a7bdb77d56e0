// A notification outlives the rules leader that was delivering it. Two real hubs (gridwatch serve)
// on a real redis-server, PostgreSQL and influxd, and a real HTTP receiver (the webhook) that is
// down (HTTP 503) when a gas leak opens a case: the leader's delivery waits for its retry when the
// leader is killed (-9); the other hub takes the lead and, the receiver up again, delivers it,
// recorded once as `notified` (resumed: takeover) in the shared ledger.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type ClusterHub, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/hub.js';
import { startRecorder, type Recorder } from '../notify/http-recorder.js';

const GAS = 'gas-notify';

describe('cluster: a pending notification across a leader kill', () => {
  let cluster: TestCluster;
  let hook: Recorder;
  let leader: ClusterHub;
  let survivor: ClusterHub;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    hook = await startRecorder({ status: 503, body: 'receiver down' });
    cluster = await startTestCluster({
      devices: [{ id: GAS, kind: 'gas' }],
      overrides: { channels: [{ id: 'ops-hook', type: 'webhook', url: `${hook.url}/hook`, maxAttempts: 20 }] },
    });
    const holder = await until(async () => (await q<{ holder: string }>("SELECT holder FROM gw_lease WHERE name = 'rules'"))[0]?.holder, 60_000, 'a hub to lead the rules');
    leader = cluster.hubs.find((h) => h.id === holder) as ClusterHub;
    survivor = cluster.hubs.find((h) => h.id !== holder) as ClusterHub;
  }, 180_000);
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await cluster?.cleanup();
    await hook?.close();
  }, 60_000);

  const q = <R extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> => cluster.postgres.query<R>(sql, params);
  const deliveries = async (): Promise<Record<string, unknown>[]> =>
    (await q<{ action: string; data: string }>("SELECT action, data FROM gw_case_ledger WHERE action IN ('notified', 'delivery_failed') ORDER BY seq"))
      .map((e) => ({ action: e.action, ...(JSON.parse(e.data) as Record<string, unknown>) }));

  it('kill -9 of the leader while the webhook delivery waits for its retry: the new leader delivers it, recorded once', async () => {
    const gas = await cluster.connect(GAS, survivor.mqttPort);
    clients.push(gas);
    await gas.publishAsync(`gridwatch/v1/${GAS}/reading`, JSON.stringify({ lel: 32, ts: Date.now() }), { qos: 1 });
    await until(() => hook.requests.length >= 1 || undefined, 30_000, 'the leader\'s first delivery attempt');

    leader.child.kill('SIGKILL');
    hook.fallback = { status: 200, body: '{}' };
    await until(async () => (await deliveries()).some((d) => d.action === 'notified') || undefined, 60_000, 'the notification delivered by the new leader');
    expect((await q<{ holder: string }>("SELECT holder FROM gw_lease WHERE name = 'rules'"))[0]?.holder).toBe(survivor.id);
    const body = JSON.parse(hook.requests[hook.requests.length - 1]?.body ?? '{}') as { case: { device: string }; step: number; reason: string };
    expect(body).toMatchObject({ case: { device: GAS }, step: 0, reason: 'opened' });

    const all = await deliveries();
    expect(all.filter((d) => d.action === 'notified')).toEqual([expect.objectContaining({ channel: 'ops-hook', step: 0, reason: 'opened', resumed: 'takeover' })]);
    expect(all.some((d) => d.final === true)).toBe(false);
  }, 180_000);
});
