// A gas leak episode end to end: a real MQTT client publishes to the in-process hub (real broker,
// real influxd, real SQLite); the hub runs on a ManualClock so escalation time is driven here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { AlertingHandle } from '../../src/alerts/attach.js';
import type { AlertService } from '../../src/core/alert-types.js';
import { ManualClock } from '../../src/core/clock.js';
import { hashSecretSync } from '../../src/core/secret.js';
import { rows, startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { FAST_SCRYPT, startTestHub, until, type TestHub } from '../helpers/hub.js';

const DEVICE = 'gas-ep-1';
const PEOPLE = [
  { id: 'hantao', name: '韩涛', role: 'grid_worker', grids: ['g1'] },
  { id: 'lead', name: '网格长', role: 'grid_leader', grids: ['g1'] },
  { id: 'duty', name: '街道值班室', role: 'street', grids: [] },
];
let influx: TestInflux;
let t: TestHub;
let client: MqttClient;
let alerting: AlertingHandle;
let alerts: AlertService;
const clock = new ManualClock(Date.now());
const commands: Record<string, unknown>[] = [];

beforeAll(async () => {
  influx = await startTestInflux();
  t = await startTestHub({
    influxUrl: influx.url, devices: [{ id: DEVICE, kind: 'gas' }], clock,
    overrides: { people: PEOPLE, streetDuty: ['duty'] },
  });
  alerting = t.hub.alerting as AlertingHandle;
  alerts = t.hub.ctx.alerts as AlertService;
  client = await t.connect(DEVICE);
  await client.subscribeAsync(`gridwatch/v1/${DEVICE}/cmd`, { qos: 1 });
  client.on('message', (topic, payload) => {
    if (topic.endsWith('/cmd')) commands.push(JSON.parse(payload.toString()) as Record<string, unknown>);
  });
}, 120_000);

afterAll(async () => {
  client?.end(true);
  await t?.close();
  await influx?.cleanup();
}, 60_000);

const publish = (lel: number): Promise<unknown> => client.publishAsync(`gridwatch/v1/${DEVICE}/reading`, JSON.stringify({ lel, ts: clock.now() }), { qos: 1 });
const critical = async (): ReturnType<AlertService['list']> => (await alerts.list({ device: DEVICE })).filter((c) => c.rule === 'gas-critical');
const ledgerOf = async (id: string): Promise<string[]> => (await alerts.get(id))?.ledger.map((e) => e.action) ?? [];

describe('gas leak episode over MQTT', () => {
  it('opens one critical case, closes the valve, escalates on schedule, stops on ack, resolves and closes', async () => {
    expect(alerting).toBeDefined();
    await publish(2);
    await publish(32);
    const opened = await until(async () => (await critical())[0], 30_000, 'critical case');
    expect(opened).toMatchObject({ state: 'open', severity: 'critical', assignee: 'hantao', grid: 'g1', building: 'b1', unit: '1单元101' });

    // the valve of the unit gets a close command; the device acknowledges it
    const cmd = await until(() => commands.find((c) => c.cmd === 'valve'), 30_000, 'valve command');
    expect(cmd).toMatchObject({ cmd: 'valve', state: 'closed' });
    await client.publishAsync(`gridwatch/v1/${DEVICE}/cmd/ack`, JSON.stringify({ id: cmd.id, ok: true }), { qos: 1 });
    await until(async () => (await ledgerOf(opened.id)).includes('command_ack'), 30_000, 'command_ack on the ledger');

    // more readings while the leak goes on: still one case
    await publish(40);
    await until(async () => (await alerts.get(opened.id))?.ledger.length, 10_000);
    expect(await critical()).toHaveLength(1);

    // 2 minutes without acknowledgement: the grid leader is called
    clock.advance(120_000);
    await alerting.tick();
    const escalations = async (): Promise<{ step: unknown; recipients: unknown }[]> => ((await alerts.get(opened.id))?.ledger ?? []).filter((e) => e.action === 'escalated').map((e) => ({ step: e.data?.step, recipients: e.data?.recipients }));
    expect(await escalations()).toEqual([{ step: 0, recipients: ['hantao'] }, { step: 1, recipients: ['lead'] }]);

    // acknowledged: the street duty step at 5 minutes never comes
    await alerts.acknowledge(opened.id, 'hantao', '已到场');
    clock.advance(600_000);
    await alerting.tick();
    expect(await escalations()).toHaveLength(2);

    // readings fall: resolved by the system; then closed with a note
    await publish(3);
    await until(async () => (await alerts.get(opened.id))?.case.state === 'resolved', 30_000, 'resolved');
    const closed = await alerts.close(opened.id, 'hantao', '灶具软管老化漏气，已关阀更换软管');
    expect(closed.state).toBe('closed');
    expect(await ledgerOf(opened.id)).toEqual(expect.arrayContaining(['opened', 'command_sent', 'command_ack', 'escalated', 'acknowledged', 'resolved', 'closed']));
    expect(await critical()).toHaveLength(1);

    // every transition is in InfluxDB's alert measurement
    const actions = await until(async () => {
      const got = rows(await influx.query(`SELECT "action", "state" FROM "alert" WHERE "case_id" = '${opened.id}'`, 'gridwatch')).map((r) => r.action);
      return got.includes('closed') ? got : undefined;
    }, 30_000, 'alert points');
    expect(actions).toEqual(['opened', 'escalated', 'escalated', 'acknowledged', 'resolved', 'closed']);
  });
});

describe('alerting across a hub restart', () => {
  it('an escalation due while the hub was down fires on start; the old case still resolves; no duplicate', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gw-alerts-restart-'));
    const clock2 = new ManualClock(Date.now());
    const dev = 'gas-rs-1';
    const start = (): Promise<TestHub> => startTestHub({ influxUrl: influx.url, devices: [{ id: dev, kind: 'gas' }], clock: clock2, database: 'gw_restart', overrides: { people: PEOPLE, streetDuty: ['duty'], dataDir } });
    let hub = await start();
    try {
      let c = await hub.connect(dev);
      await c.publishAsync(`gridwatch/v1/${dev}/reading`, JSON.stringify({ lel: 30 }), { qos: 1 });
      const svc = (): AlertService => hub.hub.ctx.alerts as AlertService;
      const opened = await until(async () => (await svc().list({ device: dev })).find((x) => x.rule === 'gas-critical'), 30_000, 'case');
      c.end(true);
      await hub.close();
      clock2.advance(180_000); // down for 3 minutes: the 2-minute step fell due meanwhile
      hub = await start();
      const steps = async (): Promise<unknown[]> => ((await svc().get(opened.id))?.ledger ?? []).filter((e) => e.action === 'escalated').map((e) => e.data?.step);
      expect(await steps()).toEqual([0, 1]);
      c = await hub.connect(dev);
      // the first reading after the restart is already low: the reloaded case must still resolve
      await c.publishAsync(`gridwatch/v1/${dev}/reading`, JSON.stringify({ lel: 1 }), { qos: 1 });
      await until(async () => (await svc().get(opened.id))?.case.state === 'resolved', 30_000, 'resolved after restart');
      await c.publishAsync(`gridwatch/v1/${dev}/reading`, JSON.stringify({ lel: 30 }), { qos: 1 });
      await until(async () => (await svc().get(opened.id))?.case.state === 'open', 30_000, 're-opened within the window');
      expect((await svc().list({ device: dev })).filter((x) => x.rule === 'gas-critical')).toHaveLength(1);
    } finally {
      await hub.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('no-data deadlines on the real clock', () => {
  it('a silent device goes offline from its own deadline timer (no sweep) and its next reading clears it', async () => {
    const dev = 'gas-silent-1';
    const hub = await startTestHub({
      influxUrl: influx.url, devices: [{ id: dev, kind: 'gas' }], database: 'gw_nodata',
      overrides: {
        people: PEOPLE,
        devices: [{ id: dev, kind: 'gas', building: 'b1', unit: '1单元101', intervalS: 1, secretHash: hashSecretSync(`pw-${dev}`, FAST_SCRYPT) }],
        rules: [{ id: 'offline', severity: 'warning', condition: { type: 'noData', factor: 2, minSilence: '1s', grace: '1s' } }],
      },
    });
    try {
      const svc = hub.hub.ctx.alerts as AlertService;
      const c = await hub.connect(dev);
      await c.publishAsync(`gridwatch/v1/${dev}/reading`, JSON.stringify({ lel: 0 }), { qos: 1 });
      const offline = await until(async () => (await svc.list({ device: dev, state: ['open'] })).find((x) => x.rule === 'offline'), 30_000, 'offline case');
      expect(offline.trigger).toMatchObject({ timer: true });
      await c.publishAsync(`gridwatch/v1/${dev}/reading`, JSON.stringify({ lel: 0 }), { qos: 1 });
      await until(async () => (await svc.get(offline.id))?.case.state === 'resolved', 30_000, 'offline cleared by data');
      c.end(true);
    } finally {
      await hub.close();
    }
  });
});
