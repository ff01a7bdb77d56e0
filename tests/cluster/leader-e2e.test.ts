// kill -9 of the rules leader in a cluster of two real hubs (gridwatch serve processes on a real
// redis-server, PostgreSQL and influxd): the other hub leads, a reading re-sent across the
// hand-over opens no second case, and the escalation step pending at the kill fires once.
// SIGSTOP of the leader: the lease moves, and the frozen hub, resumed, writes nothing.
// Hand-over times are printed, never asserted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type ClusterHub, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/hub.js';
import { stopProcess } from '../helpers/process.js';

const DEVICE = 'gas-lead-1';
const PEOPLE = [
  { id: 'hantao', name: '韩涛', role: 'grid_worker', grids: ['g1'] },
  { id: 'lead', name: '网格长', role: 'grid_leader', grids: ['g1'] },
  { id: 'duty', name: '街道值班室', role: 'street', grids: [] },
];

describe('cluster: kill -9 of the rules leader', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster({
      devices: [{ id: DEVICE, kind: 'gas' }],
      overrides: {
        people: PEOPLE, streetDuty: ['duty'],
        // the second step falls due after the leader's kill
        escalation: { critical: [{ to: 'grid_worker', after: '0s' }, { to: 'grid_leader', after: '15s' }], warning: [{ to: 'grid_worker', after: '0s' }] },
      },
    });
  }, 180_000);
  afterAll(async () => {
    await cluster?.cleanup();
  }, 60_000);

  const q = <R extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> => cluster.postgres.query<R>(sql, params);
  const holder = async (): Promise<string | undefined> => (await q<{ holder: string }>("SELECT holder FROM gw_lease WHERE name = 'rules'"))[0]?.holder;

  it('the other hub leads, no second case, the pending escalation fires once', async () => {
    const leaderId = await until(holder, 60_000, 'a hub to lead the rules');
    const leader = cluster.hubs.find((h) => h.id === leaderId) as ClusterHub;
    const follower = cluster.hubs.find((h) => h.id !== leaderId) as ClusterHub;
    // the device stays connected through the follower, which survives
    const client = await cluster.connect(DEVICE, follower.mqttPort);
    const ts = Date.now();
    const leak = JSON.stringify({ lel: 32, ts });
    await client.publishAsync(`gridwatch/v1/${DEVICE}/reading`, leak, { qos: 1 });
    const opened = await until(async () => (await q<{ id: string }>("SELECT id FROM gw_cases WHERE device = $1 AND incident = 'gas' AND state = 'open'", [DEVICE]))[0], 30_000, 'the gas case');
    await until(async () => (await q("SELECT 1 FROM gw_case_ledger WHERE case_id = $1 AND action = 'escalated'", [opened.id])).length === 1 || undefined, 30_000, 'the first escalation step');

    const killedAt = Date.now();
    leader.child.kill('SIGKILL');
    const next = await until(async () => {
      const h = await holder();
      return h && h !== leaderId ? h : undefined;
    }, 30_000, 'the other hub to lead');
    console.info(`rules leader hand-over after kill -9 of a hub: lease row moved within ${Date.now() - killedAt} ms (poll granularity 100 ms)`);
    expect(next).toBe(follower.id);

    // the device re-sends the leak (its PUBACK may have been lost) and reports again: one case
    await client.publishAsync(`gridwatch/v1/${DEVICE}/reading`, leak, { qos: 1 });
    await client.publishAsync(`gridwatch/v1/${DEVICE}/reading`, JSON.stringify({ lel: 34, ts: Date.now() }), { qos: 1 });
    // the second step fires on the new leader
    await until(async () => (await q("SELECT 1 FROM gw_case_ledger WHERE case_id = $1 AND action = 'escalated'", [opened.id])).length >= 2 || undefined, 60_000, 'the pending escalation step');
    // a clear, handled after everything above, is the barrier: then count
    await client.publishAsync(`gridwatch/v1/${DEVICE}/reading`, JSON.stringify({ lel: 1, ts: Date.now() + 61_000 }), { qos: 1 });
    await until(async () => (await q("SELECT 1 FROM gw_cases WHERE id = $1 AND state <> 'open' AND state <> 'acknowledged'", [opened.id])).length === 1 || undefined, 60_000, 'the case to resolve');
    const cases = await q<{ id: string }>('SELECT id FROM gw_cases WHERE device = $1', [DEVICE]);
    expect(cases.map((c) => c.id)).toEqual([opened.id]);
    const escalated = await q<{ data: string }>("SELECT data FROM gw_case_ledger WHERE case_id = $1 AND action = 'escalated' ORDER BY seq", [opened.id]);
    expect(escalated.map((e) => (JSON.parse(e.data) as { to: string }).to)).toEqual(['grid_worker', 'grid_leader']);
    expect(await q("SELECT 1 FROM gw_case_ledger WHERE case_id = $1 AND action = 'opened'", [opened.id])).toHaveLength(1);
    client.end(true);
  }, 240_000);
  it('SIGSTOP of the leader: the lease moves; resumed, the old leader reports the loss and its escalation timer writes nothing', async () => {
    // the hub killed above comes back as a follower
    const leaderId = await until(holder, 30_000, 'a hub to lead the rules');
    const dead = cluster.hubs.find((h) => h.id !== leaderId) as ClusterHub;
    const back = await cluster.startHub(dead.id);
    const leader = cluster.hubs.find((h) => h.id === leaderId) as ClusterHub;
    const client = await cluster.connect(DEVICE, back.mqttPort);
    // the readings of the test above went up to now + 61 s, and the new leader remembers (rule state): stamp later
    const ts = Date.now() + 120_000;
    const from = Number((await q<{ seq: string }>('SELECT coalesce(max(seq), 0) AS seq FROM gw_case_ledger'))[0]?.seq);
    const escalations = async (): Promise<Array<{ data: string }>> => q<{ data: string }>("SELECT data FROM gw_case_ledger WHERE seq > $1 AND action = 'escalated' ORDER BY seq", [from]);
    await client.publishAsync(`gridwatch/v1/${DEVICE}/reading`, JSON.stringify({ lel: 33, ts }), { qos: 1 });
    // the case of the test above re-opens (reopenWithin)
    const opened = await until(async () => (await q<{ id: string }>("SELECT id FROM gw_cases WHERE device = $1 AND incident = 'gas' AND state = 'open'", [DEVICE]))[0], 30_000, 'the gas case');
    await until(async () => (await escalations()).length === 1 || undefined, 30_000, 'the first escalation step');

    await stopProcess(leader.pid);
    const stoppedAt = Date.now();
    const next = await until(async () => {
      const h = await holder();
      return h && h !== leaderId ? h : undefined;
    }, 60_000, 'the lease to move off the frozen hub');
    console.info(`rules leader hand-over after SIGSTOP of a hub (leaseMs 3000, heartbeat 1000): lease row moved within ${Date.now() - stoppedAt} ms`);
    expect(next).toBe(back.id);
    // the second step falls due while the old leader is frozen: the new leader fires it
    await until(async () => (await escalations()).length >= 2 || undefined, 60_000, 'the pending escalation step');

    // resumed: its overdue escalation timer fires first, then it learns it lost the lease
    leader.child.kill('SIGCONT');
    await until(() => leader.log().includes('lease lost: no longer leading') || undefined, 30_000, 'the resumed hub to report the loss');
    await client.publishAsync(`gridwatch/v1/${DEVICE}/reading`, JSON.stringify({ lel: 1, ts: ts + 61_000 }), { qos: 1 });
    await until(async () => (await q("SELECT 1 FROM gw_cases WHERE id = $1 AND state <> 'open' AND state <> 'acknowledged'", [opened.id])).length === 1 || undefined, 60_000, 'the case to resolve');
    expect((await escalations()).map((e) => (JSON.parse(e.data) as { to: string }).to)).toEqual(['grid_worker', 'grid_leader']);
    expect((await q<{ id: string }>('SELECT id FROM gw_cases WHERE device = $1', [DEVICE])).map((c) => c.id)).toEqual([opened.id]);
    client.end(true);
  }, 240_000);
});
