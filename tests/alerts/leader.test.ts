// The alerting stage as the cluster's rules leader drives it, on a real hub (single mode, SQLite):
// handle() applies one input after another and resolves once its case writes are stored; a hub
// that follows evaluates nothing (handle() refuses, the bus is ignored) yet still serves case
// reads and user actions; lead() starts it again and fires what fell due meanwhile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertingHandle, AlertInput } from '../../src/alerts/attach.js';
import type { AlertService } from '../../src/core/alert-types.js';
import { ManualClock } from '../../src/core/clock.js';
import type { DeviceInfo } from '../../src/core/domain.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { startTestHub, until, type TestHub } from '../helpers/hub.js';
import { PEOPLE } from './harness.js';
import { codeOf } from '../helpers/errors.js';

let influx: TestInflux;
let t: TestHub;
const clock = new ManualClock(Date.UTC(2026, 0, 12, 2, 0));
let alerting: AlertingHandle;
let alerts: AlertService;

beforeAll(async () => {
  influx = await startTestInflux();
  t = await startTestHub({
    influxUrl: influx.url, clock, database: 'gw_leader',
    devices: [{ id: 'gas-1', kind: 'gas' }, { id: 'gas-2', kind: 'gas' }, { id: 'gas-3', kind: 'gas' }],
    overrides: { people: PEOPLE, streetDuty: ['duty'] },
  });
  alerting = t.hub.alerting as AlertingHandle;
  alerts = t.hub.ctx.alerts as AlertService;
}, 120_000);

afterAll(async () => {
  await t?.close();
  await influx?.cleanup();
}, 60_000);

const device = (id: string): DeviceInfo => t.hub.ctx.registry.device(id) as DeviceInfo;
const reading = (id: string, lel: number, ts = clock.now()): AlertInput => ({ type: 'reading', reading: { device: id, kind: 'gas', ts, values: { lel } }, device: device(id) });
const actions = async (id: string): Promise<string[]> => (await alerts.get(id))?.ledger.map((e) => e.action) ?? [];

describe('alerting driven by handle(), lead() and follow()', () => {
  it('single mode leads from the start; handle() resolves once the case is stored', async () => {
    expect(alerting.leading).toBe(true);
    await alerting.handle(reading('gas-1', 32));
    const [c] = await alerts.list({ device: 'gas-1' });
    expect(c).toMatchObject({ state: 'open', rule: 'gas-critical' });
    expect(await actions(c?.id as string)).toEqual(expect.arrayContaining(['opened', 'escalated']));
  });

  it('inputs handed in back to back are applied one after another, in order', async () => {
    clock.advance(61_000);
    const raise = alerting.handle(reading('gas-2', 32, clock.now() - 61_000));
    const clear = alerting.handle(reading('gas-2', 1)); // past minHold; not awaited in between: must not overtake the raise
    await Promise.all([raise, clear]);
    const cases = await alerts.list({ device: 'gas-2' });
    expect(cases).toHaveLength(1);
    expect(cases[0]?.state).toBe('resolved');
    expect((await actions(cases[0]?.id as string)).filter((a) => a !== 'command_sent')).toEqual(['opened', 'escalated', 'condition_cleared', 'resolved']);
  });

  it('a follower evaluates nothing but still serves reads and user actions; lead() fires what fell due', async () => {
    await alerting.follow();
    expect(alerting.leading).toBe(false);
    expect(await codeOf(alerting.handle(reading('gas-3', 32)))).toBe('GW_ERR_LEASE_LOST');
    t.hub.ctx.bus.emit('reading', { device: 'gas-3', kind: 'gas', ts: clock.now(), values: { lel: 32 } }, device('gas-3'));
    await alerting.cases.exclusive(async () => undefined); // whatever the bus handed in is done
    expect(await alerts.list({ device: 'gas-3' })).toEqual([]);

    const [c] = await alerts.list({ device: 'gas-1', state: ['open'] });
    clock.advance(120_000); // gas-1's grid-leader step falls due while nobody leads
    await alerting.tick();
    expect((await actions(c?.id as string)).filter((a) => a === 'escalated')).toHaveLength(1);
    await alerts.comment(c?.id as string, 'hantao', '正在赶往现场');
    expect(await actions(c?.id as string)).toContain('commented');

    await alerting.lead();
    expect(alerting.leading).toBe(true);
    expect((await alerts.get(c?.id as string))?.ledger.filter((e) => e.action === 'escalated').map((e) => e.data?.step)).toEqual([0, 1]);
    await alerting.handle(reading('gas-3', 32));
    expect(await alerts.list({ device: 'gas-3', state: ['open'] })).toHaveLength(1);
  });

  it('a bus reading is evaluated at once when nothing is queued, and waits its turn behind a change under way', async () => {
    const emit = (lel: number): boolean => t.hub.ctx.bus.emit('reading', { device: 'gas-2', kind: 'gas', ts: clock.now(), values: { lel } }, device('gas-2'));
    clock.advance(1_000);
    emit(32);
    expect(alerting.engine.isActive('gas-2', 'gas-critical')).toBe(true); // in the emit itself
    await until(async () => (await alerts.list({ device: 'gas-2', state: ['open'] }))[0], 10_000, 'the re-opened case');

    let release = (): void => undefined;
    let started = (): void => undefined;
    const running = new Promise<void>((r) => { started = r; });
    const held = alerting.cases.exclusive(() => new Promise<void>((r) => { release = r; started(); }));
    await running;
    clock.advance(61_000); // past minHold
    emit(1);
    expect(alerting.engine.isActive('gas-2', 'gas-critical')).toBe(true); // not evaluated ahead of the change under way
    release();
    await held;
    await alerting.cases.exclusive(async () => undefined);
    expect(alerting.engine.isActive('gas-2', 'gas-critical')).toBe(false);
    expect(await alerts.list({ device: 'gas-2', state: ['open'] })).toEqual([]);
  });
});
