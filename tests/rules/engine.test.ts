import { describe, expect, it } from 'vitest';
import { RuleEngine } from '../../src/rules/engine.js';
import { effectiveRules } from '../../src/rules/resolve.js';
import { device, shanghai } from './fixtures.js';

function engine(): RuleEngine {
  return new RuleEngine({ timezone: 'Asia/Shanghai', rulesFor: (d) => effectiveRules(d, []) });
}

describe('RuleEngine', () => {
  it('turns a gas episode into raise and clear transitions for warning and critical', () => {
    const e = engine();
    const d = device('gas');
    e.addDevice(d, 0);
    const at = (ts: number, lel: number): string[] => e.onReading({ device: d.id, kind: 'gas', ts, values: { lel } }, d, ts).map((t) => `${t.transition}:${t.rule.id}`);
    expect(at(1000, 3)).toEqual([]);
    expect(at(2000, 30)).toEqual(['raise:gas-warning', 'raise:gas-critical']);
    expect(at(3000, 40)).toEqual([]);
    expect(at(100_000, 8)).toEqual(['clear:gas-critical']);
    expect(at(200_000, 4)).toEqual(['clear:gas-warning']);
  });
  it('keeps one deadline per device in the heap and fires offline when it comes due', () => {
    const e = engine();
    const devices = Array.from({ length: 50 }, (_, i) => device('smoke', { id: `s${i}`, intervalS: 600 }));
    for (const d of devices) e.addDevice(d, 0);
    expect(e.nextDeadline()).toBe(1_800_000);
    for (let t = 1; t <= 100; t++) for (const d of devices) e.onReading({ device: d.id, kind: 'smoke', ts: t * 1000, values: { alarm: false } }, d, t * 1000);
    // readings re-arm the deadline without queueing a heap entry each
    expect((e as unknown as { heap: { size: number } }).heap.size).toBeLessThanOrEqual(100);
    expect(e.tick(1_800_000)).toEqual([]);
    expect(e.nextDeadline()).toBe(1_900_000);
    const fired = e.tick(1_900_000);
    expect(fired.map((t) => t.rule.id)).toEqual(Array(50).fill('offline'));
    expect(e.tick(10_000_000)).toEqual([]);
  });
  it('sustained rules fire from the timer without new readings', () => {
    const e = engine();
    const d = device('water', { intervalS: 3600 });
    e.addDevice(d, 0);
    expect(e.onReading({ device: d.id, kind: 'water', ts: 1000, values: { leak: true } }, d, 1000)).toEqual([]);
    expect(e.nextDeadline()).toBe(31_000);
    expect(e.tick(31_000).map((t) => t.rule.id)).toEqual(['water-leak']);
    expect(e.tick(601_000).map((t) => t.rule.id)).toEqual(['water-leak-persisting']);
  });
  it('markActive lets a clear resolve a case opened before a restart', () => {
    const e = engine();
    const d = device('gas');
    e.addDevice(d, 0);
    e.markActive(d.id, 'gas-critical', 0);
    const out = e.onReading({ device: d.id, kind: 'gas', ts: 120_000, values: { lel: 1 } }, d, 120_000);
    expect(out.map((t) => `${t.transition}:${t.rule.id}`)).toEqual(['clear:gas-critical']);
  });
  it('a re-registered device (new DeviceInfo object) keeps its rule states', () => {
    const e = engine();
    const d = device('gas');
    e.addDevice(d, 0);
    expect(e.onReading({ device: d.id, kind: 'gas', ts: 1000, values: { lel: 30 } }, d, 1000)).toHaveLength(2);
    const moved = { ...d, secretHash: 'rotated' };
    const out = e.onReading({ device: d.id, kind: 'gas', ts: 200_000, values: { lel: 1 } }, moved, 200_000);
    expect(out.map((t) => `${t.transition}:${t.rule.id}`)).toEqual(['clear:gas-warning', 'clear:gas-critical']);
  });
  it('device events raise tamper each time', () => {
    const e = engine();
    const d = device('smoke');
    expect(e.onEvent({ device: d.id, ts: 5, type: 'tamper' }, d, 5).map((t) => t.rule.id)).toEqual(['tamper']);
    expect(e.onEvent({ device: d.id, ts: 6, type: 'test' }, d, 6)).toEqual([]);
  });
});

describe('RuleEngine: presence changes', () => {
  const ids = (out: { transition: string; rule: { id: string } }[]): string[] => out.map((t) => `${t.transition}:${t.rule.id}`);

  it('a drop reaches the no-data rule among all the others: offline once the grace ends; a connect alone keeps it, data clears it', () => {
    const e = engine();
    const d = device('smoke', { intervalS: 600 });
    e.addDevice(d, 0);
    expect(ids(e.onPresence({ device: d.id, ts: 1000, online: true, cause: 'connect' }, d, 1000))).toEqual([]);
    expect(ids(e.onReading({ device: d.id, kind: 'smoke', ts: 2000, battery: 90, values: { alarm: false } }, d, 2000))).toEqual([]);
    expect(ids(e.onPresence({ device: d.id, ts: 10_000, online: false, cause: 'lwt' }, d, 10_000))).toEqual([]);
    expect(e.nextDeadline()).toBe(130_000); // the drop's 2-minute grace, not the 30-minute silence
    expect(ids(e.tick(130_000))).toEqual(['raise:offline']);
    expect(ids(e.onPresence({ device: d.id, ts: 140_000, online: true, cause: 'connect' }, d, 140_000))).toEqual([]);
    expect(ids(e.onReading({ device: d.id, kind: 'smoke', ts: 150_000, battery: 90, values: { alarm: false } }, d, 150_000))).toEqual(['clear:offline']);
  });

  it('a presence change after a windowed rule\'s window clears it, as the window-end timer would', () => {
    const night = { id: 'night-noise', severity: 'warning' as const, condition: { type: 'zoneLimit' as const, field: 'laeq', margin: 0, indoor: false }, window: { from: '22:00', to: '06:00' } };
    const e = new RuleEngine({ timezone: 'Asia/Shanghai', rulesFor: () => [night] });
    const d = device('noise', { noiseZone: '1' });
    e.addDevice(d, shanghai(22, 30));
    expect(ids(e.onReading({ device: d.id, kind: 'noise', ts: shanghai(23, 0), values: { laeq: 60 } }, d, shanghai(23, 0)))).toEqual(['raise:night-noise']);
    expect(ids(e.onPresence({ device: d.id, ts: shanghai(6, 1, 1), online: false, cause: 'disconnect' }, d, shanghai(6, 1, 1)))).toEqual(['clear:night-noise']);
  });
});
