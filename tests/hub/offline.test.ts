// One definition of offline, against the real hub (real broker, MQTT clients over TCP, influxd,
// SQLite ledger) on a ManualClock: a clean DISCONNECT is no outage; a dropped connection is, after
// the 2-minute reconnect grace; a silence longer than max(3 x interval, 5 min) is. The rules and the
// panel's status board agree at every step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertingHandle } from '../../src/alerts/attach.js';
import type { AlertCase, AlertService } from '../../src/core/alert-types.js';
import { ManualClock } from '../../src/core/clock.js';
import type { PresenceEvent } from '../../src/core/domain.js';
import { hashSecretSync } from '../../src/core/secret.js';
import type { StatusBoard } from '../../src/live/status-board.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { FAST_SCRYPT, startTestHub, until, type TestHub } from '../helpers/hub.js';

const BATTERY = 'smoke-batt-1'; // reports every 2 h, disconnects cleanly after each report
const MAINS = 'noise-mains-1'; // reports every minute, stays connected
const MIN = 60_000;
let influx: TestInflux;
let t: TestHub;
let alerting: AlertingHandle;
let alerts: AlertService;
let board: StatusBoard;
const clock = new ManualClock(Date.now());
const presence: PresenceEvent[] = [];

beforeAll(async () => {
  influx = await startTestInflux();
  const dev = (id: string, kind: string, intervalS: number) => ({ id, kind, building: 'b1', unit: '1单元101', intervalS, secretHash: hashSecretSync(`pw-${id}`, FAST_SCRYPT) });
  t = await startTestHub({
    influxUrl: influx.url, clock, devices: [{ id: BATTERY, kind: 'smoke' }, { id: MAINS, kind: 'noise' }],
    overrides: { devices: [dev(BATTERY, 'smoke', 7200), dev(MAINS, 'noise', 60)] },
  });
  alerting = t.hub.alerting as AlertingHandle;
  alerts = t.hub.ctx.alerts as AlertService;
  board = t.hub.board;
  t.hub.ctx.bus.on('presence', (e) => presence.push(e));
}, 120_000);

afterAll(async () => {
  await t?.close();
  await influx?.cleanup();
}, 60_000);

const offlineCases = async (device: string): Promise<AlertCase[]> => (await alerts.list({ device })).filter((c) => c.rule === 'offline');
const advance = async (ms: number): Promise<void> => {
  clock.advance(ms);
  await alerting.tick();
};

describe('offline, one definition, on the real hub', () => {
  it('a dropped connection (Last Will) is an outage after the 2-minute grace, not before, and in the panel too', async () => {
    const c = await t.connect(MAINS, { will: { topic: `gridwatch/v1/${MAINS}/status`, payload: Buffer.from('offline'), qos: 1, retain: false } });
    await c.publishAsync(`gridwatch/v1/${MAINS}/reading`, JSON.stringify({ laeq: 40, lmax: 45 }), { qos: 1 });
    c.stream.destroy();
    await until(() => presence.some((e) => e.device === MAINS && !e.online && e.cause === 'lwt'), 30_000, 'lwt');
    await advance(MIN);
    expect(await offlineCases(MAINS)).toEqual([]);
    expect(board.view(MAINS)?.status).not.toBe('offline');
    await advance(MIN + 1000);
    const opened = await until(async () => (await offlineCases(MAINS))[0], 10_000, 'offline case after the grace');
    expect(opened.trigger).toMatchObject({ timer: true });
    expect(board.view(MAINS)?.status).toBe('offline');
  });

  it('a battery sensor that connects, reports and disconnects cleanly gets no offline case; a silence past 3 x its interval does', async () => {
    const c = await t.connect(BATTERY);
    await c.publishAsync(`gridwatch/v1/${BATTERY}/reading`, JSON.stringify({ alarm: false, battery: 90 }), { qos: 1 });
    await c.endAsync();
    await until(() => presence.some((e) => e.device === BATTERY && !e.online && e.cause === 'disconnect'), 30_000, 'clean disconnect');
    for (const step of [3 * MIN, 15 * MIN, 60 * MIN, 4 * 60 * MIN]) {
      await advance(step);
      expect(await offlineCases(BATTERY)).toEqual([]);
      expect(board.view(BATTERY)?.status).toBe('ok');
    }
    // 5 h 18 min since the report: still inside 3 x 2 h; past 6 h it is silent
    await advance(42 * MIN + 1000);
    await until(async () => (await offlineCases(BATTERY))[0], 10_000, 'offline case after 6 h of silence');
    expect(board.view(BATTERY)?.status).toBe('offline');
  });
});
