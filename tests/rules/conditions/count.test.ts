import { describe, expect, it } from 'vitest';
import { RuleRig, device, shanghai } from '../fixtures.js';

const impulses = { id: 'noise-impulses', severity: 'warning' as const, condition: { type: 'count' as const, field: 'lmax', minus: 'laeq', gte: 15, min: 6, within: '1h' }, window: { from: '22:00', to: '06:00' } };

describe('count in a window', () => {
  it('six impulses (lmax − laeq ≥ 15) within an hour at night raise; five do not', () => {
    const rig = new RuleRig(impulses, device('noise'));
    const t0 = shanghai(23, 0);
    for (let i = 0; i < 5; i++) expect(rig.read(t0 + i * 5 * 60_000, { laeq: 40, lmax: 55 })).toBeUndefined();
    expect(rig.read(t0 + 26 * 60_000, { laeq: 40, lmax: 54.9 })).toBeUndefined(); // not an impulse
    expect(rig.read(t0 + 27 * 60_000, { laeq: 40, lmax: 56 })).toBe('raise');
  });
  it('clears by timer when the oldest impulse leaves the hour', () => {
    const rig = new RuleRig(impulses, device('noise'));
    const t0 = shanghai(23, 0);
    for (let i = 0; i < 6; i++) rig.read(t0 + i * 60_000, { laeq: 40, lmax: 60 });
    expect(rig.st.active).toBe(true);
    expect(rig.st.wakeAt).toBe(t0 + 3_600_000);
    expect(rig.tick(t0 + 3_600_000)).toBe('clear');
  });
  it('impulses spread over more than an hour never raise', () => {
    const rig = new RuleRig(impulses, device('noise'));
    const t0 = shanghai(22, 0);
    for (let i = 0; i < 12; i++) expect(rig.read(t0 + i * 15 * 60_000, { laeq: 40, lmax: 60 })).toBeUndefined();
    expect((rig.st.cond as { hits: number[] }).hits.length).toBeLessThanOrEqual(6);
  });
  it('does not count in the daytime (outside the rule window)', () => {
    const rig = new RuleRig(impulses, device('noise'));
    const t0 = shanghai(14, 0);
    for (let i = 0; i < 8; i++) expect(rig.read(t0 + i * 60_000, { laeq: 40, lmax: 60 })).toBeUndefined();
  });
  it('impulses before the window opens do not count towards the night', () => {
    const rig = new RuleRig(impulses, device('noise'));
    for (let i = 0; i < 5; i++) rig.read(shanghai(21, 30 + i), { laeq: 40, lmax: 60 });
    expect(rig.read(shanghai(22, 0), { laeq: 40, lmax: 60 })).toBeUndefined();
    expect((rig.st.cond as { hits: number[] }).hits).toHaveLength(1);
  });
  it('without `minus` counts field ≥ gte', () => {
    const rig = new RuleRig({ id: 'c', severity: 'info', condition: { type: 'count', field: 'lmax', gte: 80, min: 2, within: '10m' } }, device('noise'));
    expect(rig.read(0, { laeq: 50, lmax: 85 })).toBeUndefined();
    expect(rig.read(60_000, { laeq: 50, lmax: 79 })).toBeUndefined();
    expect(rig.read(120_000, { laeq: 50, lmax: 81 })).toBe('raise');
  });
});
