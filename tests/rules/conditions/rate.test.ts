import { describe, expect, it } from 'vitest';
import { RuleRig, device } from '../fixtures.js';

describe('rate of change', () => {
  const spec = { id: 'r', severity: 'warning' as const, condition: { type: 'rate' as const, field: 'level_mm', perMinute: 2, over: '5m' } };
  it('raises on a rise at least perMinute over the window and clears when it slows', () => {
    const rig = new RuleRig(spec, device('water'));
    expect(rig.read(0, { level_mm: 0 })).toBeUndefined();
    expect(rig.read(60_000, { level_mm: 1 })).toBeUndefined(); // 1 mm/min
    expect(rig.read(120_000, { level_mm: 5 })).toBe('raise'); // 2.5 mm/min over 2 min
    expect(rig.read(600_000, { level_mm: 5.5 })).toBe('clear'); // old samples left the window
  });
  it('a negative perMinute raises on a fall', () => {
    const rig = new RuleRig({ ...spec, condition: { ...spec.condition, perMinute: -1 } }, device('water'));
    rig.read(0, { level_mm: 10 });
    expect(rig.read(60_000, { level_mm: 8 })).toBe('raise');
  });
  it('keeps its sample buffer bounded and ignores out-of-order readings', () => {
    const rig = new RuleRig(spec, device('water'));
    for (let i = 0; i < 1000; i++) rig.read(i * 100, { level_mm: 0 });
    expect((rig.st.cond as { ts: number[] }).ts.length).toBeLessThanOrEqual(32);
    expect(rig.read(50, { level_mm: 100 })).toBeUndefined();
  });
});
