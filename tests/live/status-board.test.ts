import { describe, expect, it } from 'vitest';
import type { AlertCase } from '../../src/core/alert-types.js';
import { ManualClock, systemClock } from '../../src/core/clock.js';
import { HubBus } from '../../src/core/events.js';
import { parseConfig, SiteIndex } from '../../src/config/index.js';
import { offlinePolicy } from '../../src/core/offline.js';
import { deviceStatus, emptyState, isAlarmCase, StatusBoard, type DeviceView } from '../../src/live/status-board.js';
import { testSite } from '../helpers/hub.js';

const T0 = 1_750_000_000_000;

describe('deviceStatus (pure)', () => {
  const s = (over: Partial<ReturnType<typeof emptyState>>) => ({ ...emptyState(), ...over });
  const seen = (at: number, drop?: { at: number; cause: 'lwt' | 'timeout' }) => ({ lastSeen: at, dropAt: drop?.at, dropCause: drop?.cause });
  it('unknown when never seen', () => expect(deviceStatus(emptyState(), 60, T0)).toBe('unknown'));
  it('ok when recently seen with a good battery', () => expect(deviceStatus(s({ live: seen(T0 - 1000), online: true, battery: 80 }), 60, T0)).toBe('ok'));
  it('offline once silent longer than max(3 × interval, 5 min) — the rules\' definition — not before', () => {
    expect(deviceStatus(s({ live: seen(T0 - 299_999), online: true }), 60, T0)).toBe('ok');
    expect(deviceStatus(s({ live: seen(T0 - 300_000), online: true }), 60, T0)).toBe('offline');
    expect(deviceStatus(s({ live: seen(T0 - 3 * 3_600_000 + 1), online: true }), 3600, T0)).toBe('ok');
    expect(deviceStatus(s({ live: seen(T0 - 400_000), online: true }), 60, T0, offlinePolicy({ factor: 10 }))).toBe('ok');
  });
  it('a clean disconnect is not offline; a dropped connection is, after the 2-minute grace', () => {
    expect(deviceStatus(s({ live: seen(T0 - 1000), online: false }), 7200, T0)).toBe('ok');
    expect(deviceStatus(s({ live: seen(T0 - 1000, { at: T0 - 119_999, cause: 'lwt' }), online: false }), 60, T0)).toBe('ok');
    expect(deviceStatus(s({ live: seen(T0 - 1000, { at: T0 - 120_000, cause: 'lwt' }), online: false }), 60, T0)).toBe('offline');
  });
  it('low_battery below 20, ok at 20', () => {
    expect(deviceStatus(s({ live: seen(T0), online: true, battery: 19.9 }), 60, T0)).toBe('low_battery');
    expect(deviceStatus(s({ live: seen(T0), online: true, battery: 20 }), 60, T0)).toBe('ok');
  });
  it('alarm outranks everything else', () => expect(deviceStatus(s({ live: seen(T0 - 1e9), online: false, battery: 1, alarms: new Set(['c1']) }), 60, T0)).toBe('alarm'));
  it('only open/acknowledged warning or critical cases that are not offline/battery are alarms', () => {
    const c = (rule: string, severity: AlertCase['severity'], state: AlertCase['state']) => ({ rule, severity, state });
    expect(isAlarmCase(c('gas-critical', 'critical', 'open'))).toBe(true);
    expect(isAlarmCase(c('gas-warning', 'warning', 'acknowledged'))).toBe(true);
    expect(isAlarmCase(c('gas-warning', 'warning', 'resolved'))).toBe(false);
    expect(isAlarmCase(c('noise-info', 'info', 'open'))).toBe(false);
    expect(isAlarmCase(c('offline', 'warning', 'open'))).toBe(false);
    expect(isAlarmCase(c('battery-critical', 'critical', 'open'))).toBe(false);
  });
});

describe('StatusBoard', () => {
  const site = new SiteIndex(parseConfig(testSite([{ id: 'gas-1', kind: 'gas' }, { id: 'gas-2', kind: 'gas', building: 'b2' }]).raw, '(test)', { env: {} }));
  const make = () => {
    const clock = new ManualClock(T0);
    const bus = new HubBus();
    const board = new StatusBoard(site, clock, 3);
    board.attach(bus);
    const changes: DeviceView[] = [];
    board.on('change', (v) => changes.push(v));
    return { clock, bus, board, changes };
  };
  const dev = (id: string) => site.devices.get(id)!;

  it('a view handed out keeps the last reading it showed (the board updates its own state in place)', () => {
    const { bus, board, changes } = make();
    bus.emit('reading', { device: 'gas-2', kind: 'gas', ts: T0, values: { lel: 1 } }, dev('gas-2'));
    const first = board.view('gas-2');
    bus.emit('reading', { device: 'gas-2', kind: 'gas', ts: T0 + 1, values: { lel: 2 } }, dev('gas-2'));
    expect(first?.last).toEqual({ ts: T0, values: { lel: 1 } });
    expect(changes[0]?.last).toEqual({ ts: T0, values: { lel: 1 } });
    expect(board.view('gas-2')?.last).toEqual({ ts: T0 + 1, values: { lel: 2 } });
  });

  it('follows readings, presence and alerts from the bus and announces only changes', () => {
    const { clock, bus, board, changes } = make();
    bus.emit('reading', { device: 'gas-1', kind: 'gas', ts: T0, battery: 50, values: { lel: 1 } }, dev('gas-1'));
    expect(board.view('gas-1')).toMatchObject({ status: 'ok', online: true, lastSeen: T0, battery: 50, last: { ts: T0, values: { lel: 1 } } });
    bus.emit('reading', { device: 'gas-1', kind: 'gas', ts: T0 + 1, battery: 50, values: { lel: 2 } }, dev('gas-1'));
    expect(changes).toHaveLength(1); // same status/online/battery: no announcement
    bus.emit('presence', { device: 'gas-1', ts: T0 + 2, online: false, cause: 'lwt' }, dev('gas-1'));
    expect(changes.at(-1)).toMatchObject({ id: 'gas-1', status: 'ok', online: false }); // within the reconnect grace
    clock.set(T0 + 120_000);
    expect(board.view('gas-1')).toMatchObject({ status: 'offline', online: false });
    const alert = { id: 'c1', device: 'gas-1', rule: 'gas-critical', severity: 'critical', state: 'open', grid: 'g1' } as AlertCase;
    bus.emit('alert', { case: alert, entry: { seq: 1, caseId: 'c1', ts: T0, actor: 'system', action: 'opened' } });
    expect(changes.at(-1)?.status).toBe('alarm');
    bus.emit('alert', { case: { ...alert, state: 'resolved' }, entry: { seq: 2, caseId: 'c1', ts: T0, actor: 'system', action: 'resolved' } });
    expect(changes.at(-1)?.status).toBe('offline');
    bus.emit('reading', { device: 'gas-1', kind: 'gas', ts: T0 + 10, values: { lel: 0 } }, dev('gas-1'));
    expect(changes.at(-1)?.status).toBe('ok'); // the next reading clears offline
    clock.set(T0 + 120_000 + 5 * 60_000);
    expect(board.view('gas-1')?.status).toBe('offline');
    board.close();
  });

  it('lists by grid filter and ignores an older reading for the last value', () => {
    const { bus, board } = make();
    bus.emit('reading', { device: 'gas-2', kind: 'gas', ts: T0, values: { lel: 5 } }, dev('gas-2'));
    bus.emit('reading', { device: 'gas-2', kind: 'gas', ts: T0 - 5000, values: { lel: 9 } }, dev('gas-2'));
    expect(board.view('gas-2')?.last).toEqual({ ts: T0, values: { lel: 5 } });
    expect(board.list({ grids: ['g1'] }).map((d) => d.id)).toEqual(['gas-1']);
    expect(board.list({ kind: 'gas' }).map((d) => d.id)).toEqual(['gas-1', 'gas-2']);
    expect(board.list({ building: 'b2' }).map((d) => d.id)).toEqual(['gas-2']);
    board.close();
  });


  it('announces offline by itself when a device falls silent past its deadline', async () => {
    const fast = new SiteIndex(parseConfig(testSite([{ id: 'gas-9', kind: 'gas' }]).raw, '(test)', { env: {} }));
    const d = fast.devices.get('gas-9')!;
    d.intervalS = 1;
    const board = new StatusBoard(fast, systemClock, { factor: 1, minSilenceMs: 1000 });
    const changes: DeviceView[] = [];
    board.on('change', (v) => changes.push(v));
    board.onReading({ device: 'gas-9', kind: 'gas', ts: Date.now(), values: { lel: 0 } }, d);
    expect(changes.at(-1)?.status).toBe('ok');
    const end = Date.now() + 10_000;
    while (changes.at(-1)?.status !== 'offline' && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(changes.at(-1)).toMatchObject({ id: 'gas-9', status: 'offline', online: true });
    board.close();
  });
});

describe('StatusBoard deadline timer', () => {
  it('a reading after the timer was armed moves the deadline: the device still goes offline once silent', async () => {
    const fast = new SiteIndex(parseConfig(testSite([{ id: 'gas-8', kind: 'gas' }]).raw, '(test)', { env: {} }));
    const d = fast.devices.get('gas-8')!;
    d.intervalS = 1;
    const board = new StatusBoard(fast, systemClock, { factor: 1, minSilenceMs: 1000 });
    const changes: DeviceView[] = [];
    board.on('change', (v) => changes.push(v));
    board.onReading({ device: 'gas-8', kind: 'gas', ts: Date.now(), values: { lel: 0 } }, d);
    // the timer armed by the first reading fires ~2 s on; this reading moves the deadline past that
    await new Promise((r) => setTimeout(r, 1500));
    board.onReading({ device: 'gas-8', kind: 'gas', ts: Date.now(), values: { lel: 1 } }, d);
    const end = Date.now() + 15_000;
    while (changes.at(-1)?.status !== 'offline' && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(changes.at(-1)).toMatchObject({ id: 'gas-8', status: 'offline' });
    board.close();
  }, 20_000);

  const boardOf = (id: string, policy: { factor: number; minSilenceMs: number; graceMs: number }) => {
    const fast = new SiteIndex(parseConfig(testSite([{ id, kind: 'gas' }]).raw, '(test)', { env: {} }));
    const d = fast.devices.get(id)!;
    d.intervalS = 1;
    const board = new StatusBoard(fast, systemClock, policy);
    const changes: DeviceView[] = [];
    board.on('change', (v) => changes.push(v));
    return { board, changes, d };
  };
  const untilOffline = async (changes: DeviceView[]): Promise<void> => {
    const end = Date.now() + 10_000;
    while (changes.at(-1)?.status !== 'offline' && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  };

  it('a drop brings the deadline forward: offline is announced once the grace ends, not at the (10 min) silence deadline armed before', async () => {
    const { board, changes, d } = boardOf('gas-7', { factor: 1, minSilenceMs: 600_000, graceMs: 300 });
    board.onReading({ device: 'gas-7', kind: 'gas', ts: Date.now(), values: { lel: 0 } }, d);
    board.onPresence({ device: 'gas-7', ts: Date.now(), online: false, cause: 'lwt' }, d);
    expect(changes.at(-1)).toMatchObject({ status: 'ok', online: false }); // within the grace
    await untilOffline(changes);
    expect(changes.at(-1)).toMatchObject({ id: 'gas-7', status: 'offline', online: false });
    board.close();
  }, 20_000);

  it('a reconnect within the grace keeps the timer armed by the drop; it re-arms, and silence still turns the device offline', async () => {
    const { board, changes, d } = boardOf('gas-6', { factor: 1, minSilenceMs: 2000, graceMs: 300 });
    board.onReading({ device: 'gas-6', kind: 'gas', ts: Date.now(), values: { lel: 0 } }, d);
    board.onPresence({ device: 'gas-6', ts: Date.now(), online: false, cause: 'lwt' }, d);
    board.onPresence({ device: 'gas-6', ts: Date.now(), online: true, cause: 'connect' }, d);
    expect(changes.at(-1)).toMatchObject({ status: 'ok', online: true });
    await untilOffline(changes);
    expect(changes.at(-1)).toMatchObject({ id: 'gas-6', status: 'offline', online: true });
    expect(changes.filter((c) => c.status === 'offline')).toHaveLength(1);
    board.close();
  }, 20_000);
});
