// A valve command outlives the hub that sent it, and a decommissioned device leaves no rule state
// behind. Two real hubs (gridwatch serve) on a real redis-server, PostgreSQL and influxd:
// - the rules leader sends a gas leak's valve command and is killed (-9) before the valve acks;
//   the other hub takes the lead and sends the same command (same id) again; the valve's ack (to
//   either send) closes it in the ledger, once;
// - a leader stopped gracefully (SIGTERM) with a command un-acked hands it over: it records no
//   "not confirmed", and the next leader sends it again;
// - a device decommissioned over the API has its saved rule state (gw:rulestate) deleted, so when
//   it is re-provisioned with the same id, the next leader does not judge its readings by the old
//   device's state (a stale "evaluated up to" time would ignore its first alarm).
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RULESTATE_KEY } from '../../src/cluster/stream.js';
import { startTestCluster, type ClusterHub, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/hub.js';
import { password, peopleConfig } from '../api/people.js';

const VALVE = 'gas-valve';
const REUSED = 'gas-reused';
const VALVE_2 = 'gas-valve-2';

describe('cluster: commands across a leader kill, rule state across a decommission', () => {
  let cluster: TestCluster;
  let leader: ClusterHub;
  let survivor: ClusterHub;
  let staleTs: number;
  let newSecret: string;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    cluster = await startTestCluster({
      devices: [{ id: VALVE, kind: 'gas', unit: '3单元301' }, { id: REUSED, kind: 'gas', building: 'b2' }, { id: VALVE_2, kind: 'gas', unit: '5单元501' }],
      overrides: {
        people: peopleConfig(),
        // the sender's own re-send would come only after 60 s: a second copy within the test comes from the take-over
        mqtt: { port: 0, host: '127.0.0.1', commandAckMs: 60_000, commandAttempts: 4 },
      },
    });
    const holder = await until(async () => (await q<{ holder: string }>("SELECT holder FROM gw_lease WHERE name = 'rules'"))[0]?.holder, 60_000, 'a hub to lead the rules');
    leader = cluster.hubs.find((h) => h.id === holder) as ClusterHub;
    survivor = cluster.hubs.find((h) => h.id !== holder) as ClusterHub;
  }, 180_000);
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await cluster?.cleanup();
  }, 60_000);

  const q = <R extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> => cluster.postgres.query<R>(sql, params);
  const api = async (method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`http://127.0.0.1:${survivor.httpPort}/api/v1${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const savedState = async (device: string): Promise<{ evaluatedTs: number | null } | undefined> => {
    const text = await cluster.redis.client().hget(RULESTATE_KEY, device);
    return text === null ? undefined : (JSON.parse(text) as { evaluatedTs: number | null });
  };
  const connect = async (device: string, opts: { password?: string } = {}, hub = survivor): Promise<MqttClient> => {
    const c = await cluster.connect(device, hub.mqttPort, opts);
    clients.push(c);
    return c;
  };
  /** a valve that records the command ids it gets and acks none by itself */
  const valveOn = async (device: string, hub: ClusterHub): Promise<{ client: MqttClient; received: string[] }> => {
    const client = await connect(device, {}, hub);
    const received: string[] = [];
    client.on('message', (topic, payload) => {
      if (topic === `gridwatch/v1/${device}/cmd`) received.push((JSON.parse(payload.toString()) as { id: string }).id);
    });
    await client.subscribeAsync(`gridwatch/v1/${device}/cmd`, { qos: 1 });
    return { client, received };
  };
  /** the command_sent of the device's case: its case and command id */
  const sentTo = async (device: string): Promise<{ caseId: string; commandId: string }> => {
    const [sent] = await until(async () => {
      const rows = await q<{ case_id: string; data: string }>("SELECT l.case_id, l.data FROM gw_case_ledger l JOIN gw_cases c ON c.id = l.case_id WHERE l.action = 'command_sent' AND c.device = $1", [device]);
      return rows.length > 0 ? rows : undefined;
    }, 30_000, `the valve command to ${device} on the ledger`);
    return { caseId: sent?.case_id as string, commandId: (JSON.parse(sent?.data as string) as { command: { id: string } }).command.id };
  };
  const commandEntries = async (caseId: string): Promise<Record<string, unknown>[]> =>
    (await q<{ action: string; data: string }>("SELECT action, data FROM gw_case_ledger WHERE case_id = $1 AND action LIKE 'command_%' ORDER BY seq", [caseId]))
      .map((e) => ({ action: e.action, ...(JSON.parse(e.data) as Record<string, unknown>) }));

  it('a decommissioned device\'s saved rule state is deleted; re-provisioned with the same id it has none', async () => {
    const token = (await api('POST', '/auth/login', undefined, { username: 'root', password: password('root') })).body.token as string;
    const device = await connect(REUSED);
    // a reading stamped a minute ahead: the leader's state says "evaluated up to" then
    staleTs = Date.now() + 60_000;
    await device.publishAsync(`gridwatch/v1/${REUSED}/reading`, JSON.stringify({ lel: 1, ts: staleTs }), { qos: 1 });
    await until(async () => (await savedState(REUSED))?.evaluatedTs === staleTs || undefined, 30_000, 'the leader to save the device\'s rule state');

    expect((await api('DELETE', `/devices/${REUSED}`, token)).status).toBe(200);
    await until(async () => (await savedState(REUSED)) === undefined || undefined, 15_000, 'the saved rule state deleted');

    const added = await api('POST', '/devices', token, { id: REUSED, kind: 'gas', building: 'b2' });
    expect(added.status).toBe(201);
    newSecret = added.body.secret as string;
    expect(await savedState(REUSED)).toBeUndefined();
  }, 120_000);

  it('kill -9 of the leader before the valve acks: the new leader sends the same command again, and the ack closes it once', async () => {
    const { client: valve, received } = await valveOn(VALVE, survivor);
    await valve.publishAsync(`gridwatch/v1/${VALVE}/reading`, JSON.stringify({ lel: 32, ts: Date.now() }), { qos: 1 });
    const { caseId, commandId } = await sentTo(VALVE);
    await until(() => received.length === 1 || undefined, 30_000, 'the valve to get the command');
    expect(received).toEqual([commandId]);

    // the sender dies with the command un-acked (the valve is connected to the other hub)
    leader.child.kill('SIGKILL');
    await until(() => received.length >= 2 || undefined, 30_000, 'the command sent again by the new leader');
    expect(received.slice(0, 2)).toEqual([commandId, commandId]);
    expect((await q<{ holder: string }>("SELECT holder FROM gw_lease WHERE name = 'rules'"))[0]?.holder).toBe(survivor.id);

    // the valve acks it, and late, the first send too (same id)
    await valve.publishAsync(`gridwatch/v1/${VALVE}/cmd/ack`, JSON.stringify({ id: commandId, ok: true }), { qos: 1 });
    await valve.publishAsync(`gridwatch/v1/${VALVE}/cmd/ack`, JSON.stringify({ id: commandId, ok: true }), { qos: 1 });
    // a clear, handled after both acks (one stream, in order), is the barrier: then count
    await valve.publishAsync(`gridwatch/v1/${VALVE}/reading`, JSON.stringify({ lel: 1, ts: Date.now() + 61_000 }), { qos: 1 });
    await until(async () => (await q("SELECT 1 FROM gw_cases WHERE id = $1 AND state = 'resolved'", [caseId])).length === 1 || undefined, 30_000, 'the case to resolve');
    const data = await commandEntries(caseId);
    expect(data.filter((e) => e.action === 'command_sent')).toHaveLength(1);
    expect(data.filter((e) => e.action === 'command_retried')).toEqual([{ action: 'command_retried', device: VALVE, commandId, send: 2, reason: 'takeover' }]);
    expect(data.filter((e) => e.action === 'command_ack')).toEqual([{ action: 'command_ack', commandId, ok: true }]);
    expect(data.map((e) => e.action)).not.toContain('command_unconfirmed');
    // settled on the new leader too: nothing left for a later leader to send
    expect(await q("SELECT 1 FROM gw_case_ledger WHERE action = 'command_unconfirmed'")).toEqual([]);
  }, 180_000);

  it('the new leader judges the re-provisioned device afresh: its first alarm (stamped before the old device\'s last reading) opens a case', async () => {
    const device = await connect(REUSED, { password: newSecret });
    const ts = Date.now();
    expect(ts).toBeLessThan(staleTs);
    await device.publishAsync(`gridwatch/v1/${REUSED}/reading`, JSON.stringify({ lel: 32, ts }), { qos: 1 });
    const opened = await until(async () => (await q<{ id: string }>("SELECT id FROM gw_cases WHERE device = $1 AND state = 'open'", [REUSED]))[0], 30_000, 'the re-provisioned device\'s case');
    expect(opened.id).toBeTruthy();
    await until(async () => (await savedState(REUSED))?.evaluatedTs === ts || undefined, 30_000, 'the new device\'s own state saved');
  }, 120_000);

  it('a leader stopped gracefully (SIGTERM) before the valve acks hands the command over: nothing recorded as unconfirmed, the next leader sends it again', async () => {
    // the hub killed above comes back, as a follower; the valve is on it
    const back = await cluster.startHub(leader.id);
    const { client: valve, received } = await valveOn(VALVE_2, back);
    await valve.publishAsync(`gridwatch/v1/${VALVE_2}/reading`, JSON.stringify({ lel: 32, ts: Date.now() }), { qos: 1 });
    const { caseId, commandId } = await sentTo(VALVE_2);
    await until(() => received.length === 1 || undefined, 30_000, 'the valve to get the command');

    survivor.child.kill('SIGTERM');
    await until(() => survivor.child.exitCode !== null || survivor.child.signalCode !== null || undefined, 60_000, 'the leader to stop');
    await until(() => received.length >= 2 || undefined, 30_000, 'the command sent again by the next leader');
    expect(received.slice(0, 2)).toEqual([commandId, commandId]);
    expect((await q<{ holder: string }>("SELECT holder FROM gw_lease WHERE name = 'rules'"))[0]?.holder).toBe(back.id);

    await valve.publishAsync(`gridwatch/v1/${VALVE_2}/cmd/ack`, JSON.stringify({ id: commandId, ok: true }), { qos: 1 });
    await until(async () => (await commandEntries(caseId)).some((e) => e.action === 'command_ack') || undefined, 30_000, 'the ack on the ledger');
    const data = await commandEntries(caseId);
    expect(data.map((e) => e.action)).toEqual(['command_sent', 'command_retried', 'command_ack']);
    expect(data[1]).toEqual({ action: 'command_retried', device: VALVE_2, commandId, send: 2, reason: 'takeover' });
  }, 180_000);
});
