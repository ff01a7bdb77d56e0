import { describe, expect, it } from 'vitest';
import { RuleRig, device } from '../fixtures.js';

describe('state condition', () => {
  it('smoke alarm true raises at once; false clears after minHold', () => {
    const rig = new RuleRig({ id: 's', severity: 'critical', condition: { type: 'state', field: 'alarm', equals: true }, minHold: '30s' }, device('smoke'));
    expect(rig.read(0, { alarm: false })).toBeUndefined();
    expect(rig.read(1000, { alarm: true })).toBe('raise');
    expect(rig.read(2000, { alarm: false })).toBeUndefined();
    expect(rig.tick(31_000)).toBe('clear');
  });
  it('string states compare exactly', () => {
    const rig = new RuleRig({ id: 'v', severity: 'info', condition: { type: 'state', field: 'valve', equals: 'closed' } }, device('gas'));
    expect(rig.read(1, { valve: 'open' })).toBeUndefined();
    expect(rig.read(2, { valve: 'closed' })).toBe('raise');
    expect(rig.read(3, { lel: 1 })).toBeUndefined(); // field absent: no news
    expect(rig.read(4, { valve: 'open' })).toBe('clear');
  });
  it('water leak held 30 s raises (debounce); a short blip does not', () => {
    const rig = new RuleRig({ id: 'w', severity: 'warning', condition: { type: 'state', field: 'leak', equals: true }, for: '30s' }, device('water'));
    expect(rig.read(0, { leak: true })).toBeUndefined();
    expect(rig.read(10_000, { leak: false })).toBeUndefined();
    expect(rig.tick(40_000)).toBeUndefined();
    expect(rig.read(50_000, { leak: true })).toBeUndefined();
    expect(rig.tick(80_000)).toBe('raise'); // no new reading needed: the last one still stands
  });
});
