import { describe, expect, it } from 'vitest';
import { RuleRig, device } from '../fixtures.js';

const offline = { id: 'offline', severity: 'warning' as const, condition: { type: 'noData' as const, factor: 3, minSilence: '5m', grace: '2m' } };

describe('noData condition', () => {
  it('a device silent for 3 × its interval goes offline on time, once', () => {
    const d = device('smoke', { intervalS: 600 });
    const rig = new RuleRig(offline, d, 0);
    expect(rig.st.wakeAt).toBe(1_800_000);
    rig.read(100_000, { alarm: false });
    expect(rig.tick(1_800_000)).toBeUndefined(); // re-armed by the reading
    expect(rig.st.wakeAt).toBe(1_900_000);
    expect(rig.tick(1_900_000)).toBe('raise');
    expect(rig.tick(5_000_000)).toBeUndefined(); // one case per outage
  });
  it('uses the 5-minute minimum for fast reporters', () => {
    const rig = new RuleRig(offline, device('noise', { intervalS: 60 }), 0);
    expect(rig.st.wakeAt).toBe(300_000);
  });
  it('offline by Last Will after the 2-minute grace; a reconnect within grace cancels it', () => {
    const d = device('gas', { intervalS: 3600 });
    const rig = new RuleRig(offline, d, 0);
    expect(rig.input({ type: 'presence', event: { device: d.id, ts: 1000, online: false, cause: 'lwt' } }, 1000)).toBeUndefined();
    expect(rig.st.wakeAt).toBe(121_000);
    rig.input({ type: 'presence', event: { device: d.id, ts: 60_000, online: true, cause: 'connect' } }, 60_000);
    expect(rig.tick(121_000)).toBeUndefined();
    rig.input({ type: 'presence', event: { device: d.id, ts: 200_000, online: false, cause: 'lwt' } }, 200_000);
    expect(rig.tick(320_000)).toBe('raise');
  });
  it('a clean DISCONNECT is not an outage: a battery sensor is judged by its silence alone', () => {
    const d = device('smoke', { intervalS: 7200 });
    const rig = new RuleRig(offline, d, 0);
    rig.read(1000, { alarm: false });
    rig.input({ type: 'presence', event: { device: d.id, ts: 2000, online: false, cause: 'disconnect' } }, 2000);
    expect(rig.st.wakeAt).toBe(1000 + 6 * 3_600_000);
    expect(rig.tick(2000 + 120_000)).toBeUndefined();
    expect(rig.tick(1000 + 6 * 3_600_000 - 1)).toBeUndefined();
    expect(rig.tick(1000 + 6 * 3_600_000)).toBe('raise');
  });
  it('a keep-alive timeout gets the same 2-minute grace as a Last Will', () => {
    const d = device('gas', { intervalS: 3600 });
    const rig = new RuleRig(offline, d, 0);
    rig.input({ type: 'presence', event: { device: d.id, ts: 1000, online: false, cause: 'timeout' } }, 1000);
    expect(rig.tick(120_999)).toBeUndefined();
    expect(rig.tick(121_000)).toBe('raise');
  });
  it('a connected but silent device still goes offline', () => {
    const d = device('gas', { intervalS: 120 });
    const rig = new RuleRig(offline, d, 0);
    rig.input({ type: 'presence', event: { device: d.id, ts: 10, online: true, cause: 'connect' } }, 10);
    expect(rig.tick(360_000)).toBe('raise');
  });
  it('the next accepted reading clears it, whatever its timestamp', () => {
    const d = device('gas', { intervalS: 60 });
    const rig = new RuleRig(offline, d, 0);
    expect(rig.tick(300_000)).toBe('raise');
    // a buffered reading stamped before the outage, received now
    const tr = rig.input({ type: 'reading', reading: { device: d.id, kind: 'gas', ts: 10_000, values: { lel: 0 } } }, 400_000);
    expect(tr).toBe('clear');
    expect(rig.st.wakeAt).toBe(700_000);
  });
  it('race: a reading just before the deadline wins over a late timer; a reading right after a raise clears it', () => {
    const d = device('gas', { intervalS: 60 });
    const rig = new RuleRig(offline, d, 0);
    rig.input({ type: 'reading', reading: { device: d.id, kind: 'gas', ts: 299_999, values: { lel: 0 } } }, 299_999);
    expect(rig.tick(300_000)).toBeUndefined(); // the timer fired late, after the reading
    expect(rig.tick(599_998)).toBeUndefined();
    expect(rig.tick(599_999)).toBe('raise');
    const tr = rig.input({ type: 'reading', reading: { device: d.id, kind: 'gas', ts: 600_000, values: { lel: 0 } } }, 600_000);
    expect(tr).toBe('clear');
    expect(rig.st.active).toBe(false);
  });
});
