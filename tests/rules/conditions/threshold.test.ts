import { describe, expect, it } from 'vitest';
import { RuleRig, device } from '../fixtures.js';

const gasCritical = { id: 'g', severity: 'critical' as const, condition: { type: 'threshold' as const, field: 'lel', op: 'gte' as const, raise: 25, clear: 10 } };

describe('threshold with hysteresis', () => {
  it('raises at the raise level and clears only at the clear level', () => {
    const rig = new RuleRig(gasCritical, device('gas'));
    expect(rig.read(1000, { lel: 24.9 })).toBeUndefined();
    expect(rig.read(2000, { lel: 25 })).toBe('raise');
    expect(rig.read(3000, { lel: 30 })).toBeUndefined();
    expect(rig.read(4000, { lel: 11 })).toBeUndefined(); // in the band: still raised
    expect(rig.st.active).toBe(true);
    expect(rig.read(5000, { lel: 10 })).toBe('clear');
    expect(rig.read(6000, { lel: 20 })).toBeUndefined(); // band again: stays clear
  });
  it('op lte raises below and clears above', () => {
    const rig = new RuleRig({ id: 't', severity: 'warning', condition: { type: 'threshold', field: 'temp_c', op: 'lte', raise: 2, clear: 5 } }, device('smoke'));
    expect(rig.read(1, { temp_c: 3 })).toBeUndefined();
    expect(rig.read(2, { temp_c: 2 })).toBe('raise');
    expect(rig.read(3, { temp_c: 4 })).toBeUndefined();
    expect(rig.read(4, { temp_c: 5 })).toBe('clear');
  });
  it('ignores readings without the field', () => {
    const rig = new RuleRig(gasCritical, device('gas'));
    expect(rig.read(1, { co_ppm: 400 })).toBeUndefined();
    expect(rig.st.active).toBe(false);
  });
  it('minimum hold: a quick drop waits for minHold, then clears by timer', () => {
    const rig = new RuleRig({ ...gasCritical, minHold: '60s' }, device('gas'));
    expect(rig.read(0, { lel: 30 })).toBe('raise');
    expect(rig.read(10_000, { lel: 2 })).toBeUndefined();
    expect(rig.st.wakeAt).toBe(60_000);
    expect(rig.tick(59_999)).toBeUndefined();
    expect(rig.tick(60_000)).toBe('clear');
  });
  it('minimum hold: flapping around the level gives one raise and no clear', () => {
    const rig = new RuleRig({ ...gasCritical, minHold: '60s' }, device('gas'));
    const out: string[] = [];
    for (let i = 0; i <= 10; i++) {
      const tr = rig.read(i * 5000, { lel: i % 2 === 0 ? 26 : 9 });
      if (tr) out.push(tr);
    }
    expect(out).toEqual(['raise']);
    // the last reading was high again, so the pending clear was cancelled
    expect(rig.tick(120_000)).toBeUndefined();
    expect(rig.st.active).toBe(true);
  });
  it('sustained (for): raises only after holding for the duration, by reading or by timer', () => {
    const rig = new RuleRig({ ...gasCritical, for: '10m' }, device('gas'));
    expect(rig.read(0, { lel: 30 })).toBeUndefined();
    expect(rig.read(300_000, { lel: 30 })).toBeUndefined();
    expect(rig.read(400_000, { lel: 5 })).toBeUndefined(); // dropped: the clock restarts
    expect(rig.read(500_000, { lel: 30 })).toBeUndefined();
    expect(rig.st.wakeAt).toBe(1_100_000);
    expect(rig.tick(1_099_999)).toBeUndefined();
    expect(rig.tick(1_100_000)).toBe('raise');
  });
});
