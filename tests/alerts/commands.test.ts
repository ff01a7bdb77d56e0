// Valve commands are confirmed, not assumed: the real hub (broker, influxd, SQLite ledger) and real
// MQTT devices. A gas leak in a unit closes the unit's valve; the case's ledger says whether the
// valve confirmed (cmd/ack), was re-sent, or never confirmed.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertService, LedgerEntry } from '../../src/core/alert-types.js';
import type { AlertCases } from '../../src/alerts/service.js';
import type { SqliteCaseStore } from '../../src/alerts/store-sqlite.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { startTestHub, until, type TestHub } from '../helpers/hub.js';

let influx: TestInflux;
let t: TestHub;
let alerts: AlertService;

// three units: the valve acks at once / never connects / comes online while the hub re-sends
const UNITS = {
  acks: { sensor: 'gas-u1', valve: 'valve-u1', unit: '1单元101' },
  offline: { sensor: 'gas-u2', valve: 'valve-u2', unit: '1单元102' },
  late: { sensor: 'gas-u3', valve: 'valve-u3', unit: '1单元103' },
  storeDown: { sensor: 'gas-u4', valve: 'valve-u4', unit: '1单元104' },
};

beforeAll(async () => {
  influx = await startTestInflux();
  t = await startTestHub({
    influxUrl: influx.url,
    devices: Object.values(UNITS).flatMap((u) => [{ id: u.sensor, kind: 'gas' as const, unit: u.unit }, { id: u.valve, kind: 'gas' as const, unit: u.unit, valve: true }]),
    overrides: { mqtt: { port: 0, host: '127.0.0.1', commandAckMs: 300, commandAttempts: 4 } },
  });
  alerts = t.hub.ctx.alerts as AlertService;
}, 120_000);

afterAll(async () => {
  await t?.close();
  await influx?.cleanup();
}, 60_000);

/** A valve: subscribes to its cmd topic and acks every command with its id (collected in `seen`). */
async function valve(id: string, seen: string[] = []): Promise<MqttClient> {
  const c = await t.connect(id);
  c.on('message', (_topic, payload) => {
    const cmd = JSON.parse(payload.toString()) as { id: string };
    seen.push(cmd.id);
    c.publishAsync(`gridwatch/v1/${id}/cmd/ack`, JSON.stringify({ id: cmd.id, ok: true }), { qos: 1 }).catch(() => undefined); // the test may end first
  });
  await c.subscribeAsync(`gridwatch/v1/${id}/cmd`, { qos: 1 });
  return c;
}

/** The sensor reports a leak; resolves with the critical case's id. */
async function leak(sensor: string): Promise<string> {
  const c = await t.connect(sensor);
  for (const lel of [2, 32]) await c.publishAsync(`gridwatch/v1/${sensor}/reading`, JSON.stringify({ lel }), { qos: 1 });
  const opened = await until(async () => (await alerts.list({ device: sensor })).find((x) => x.rule === 'gas-critical'), 30_000, `critical case of ${sensor}`);
  return opened.id;
}

const ledger = async (caseId: string): Promise<LedgerEntry[]> => (await alerts.get(caseId))?.ledger ?? [];
const commandEntries = async (caseId: string): Promise<{ action: string; data: Record<string, unknown> | undefined }[]> =>
  (await ledger(caseId)).filter((e) => e.action.startsWith('command_')).map((e) => ({ action: e.action, data: e.data }));

describe('valve commands on a gas leak', () => {
  it('a valve that acks: the ledger shows the command and its confirmation', async () => {
    await valve(UNITS.acks.valve);
    const caseId = await leak(UNITS.acks.sensor);
    await until(async () => (await ledger(caseId)).some((e) => e.action === 'command_ack'), 30_000, 'command_ack');
    const [sent] = await commandEntries(caseId);
    expect(sent).toMatchObject({ action: 'command_sent', data: { device: UNITS.acks.valve, command: { cmd: 'valve', state: 'closed' } } });
    const commandId = (sent?.data?.command as { id: string }).id;
    expect((await ledger(caseId)).find((e) => e.action === 'command_ack')).toMatchObject({ actor: UNITS.acks.valve, data: { commandId, ok: true } });
    expect((await commandEntries(caseId)).map((e) => e.action)).not.toContain('command_unconfirmed');
  });

  it('a valve that is offline: re-sent with backoff, then recorded as not confirmed', async () => {
    const caseId = await leak(UNITS.offline.sensor);
    await until(async () => (await ledger(caseId)).some((e) => e.action === 'command_unconfirmed'), 30_000, 'command_unconfirmed');
    const entries = await commandEntries(caseId);
    const commandId = (entries[0]?.data?.command as { id: string }).id;
    expect(entries.map((e) => e.action)).toEqual(['command_sent', 'command_retried', 'command_retried', 'command_retried', 'command_unconfirmed']);
    expect(entries.slice(1, 4).map((e) => e.data)).toEqual([2, 3, 4].map((send) => ({ device: UNITS.offline.valve, commandId, send, reason: 'timeout' })));
    expect(entries[4]?.data).toMatchObject({ device: UNITS.offline.valve, commandId, sends: 4 });
  });

  it('a valve that comes online during the re-sends gets the command at once and confirms it', async () => {
    const caseId = await leak(UNITS.late.sensor);
    await until(async () => (await ledger(caseId)).some((e) => e.action === 'command_retried'), 30_000, 'a first re-send');
    const received: string[] = [];
    await valve(UNITS.late.valve, received);
    await until(async () => (await ledger(caseId)).some((e) => e.action === 'command_ack'), 30_000, 'command_ack');
    const entries = await commandEntries(caseId);
    const commandId = (entries[0]?.data?.command as { id: string }).id;
    expect(received[0]).toBe(commandId);
    // re-sent the moment it subscribed to its cmd topic, not at the next window
    expect(entries).toContainEqual({ action: 'command_retried', data: expect.objectContaining({ commandId, reason: 'online' }) });
    expect(entries.filter((e) => e.action === 'command_ack')).toEqual([{ action: 'command_ack', data: { commandId, ok: true } }]);
    expect(entries.map((e) => e.action)).not.toContain('command_unconfirmed');
  });

  // last: while the case store refuses writes, nothing else of this hub may need it
  it('acts before storing: the valve gets its command even when the case store refuses the case', async () => {
    const { sensor, valve: valveId } = UNITS.storeDown;
    const received: string[] = [];
    const v = await valve(valveId, received);
    const db = ((t.hub.ctx.alerts as AlertCases).deps.store as SqliteCaseStore).db;
    db.pragma('query_only = ON'); // every case write now fails (SQLITE_READONLY)
    try {
      const c = await t.connect(sensor);
      for (const lel of [2, 32]) await c.publishAsync(`gridwatch/v1/${sensor}/reading`, JSON.stringify({ lel }), { qos: 1 });
      await until(() => received.length > 0, 15_000, 'the valve command');
      await c.endAsync();
    } finally {
      db.pragma('query_only = OFF');
    }
    expect(await alerts.list({ device: sensor })).toEqual([]); // the case was refused: the command did not wait for it
    await v.endAsync();
  });
});
