import { describe, expect, it } from 'vitest';
import { RuleRig, device } from '../fixtures.js';

describe('event condition', () => {
  it('each matching device event raises; other events and readings do nothing', () => {
    const d = device('smoke');
    const rig = new RuleRig({ id: 'tamper', severity: 'warning', condition: { type: 'event', event: 'tamper' } }, d);
    expect(rig.input({ type: 'event', event: { device: d.id, ts: 1, type: 'test' } }, 1)).toBeUndefined();
    expect(rig.input({ type: 'event', event: { device: d.id, ts: 2, type: 'tamper' } }, 2)).toBe('raise');
    expect(rig.input({ type: 'event', event: { device: d.id, ts: 3, type: 'tamper' } }, 3)).toBe('raise');
    expect(rig.read(4, { alarm: false })).toBeUndefined();
    expect(rig.st.active).toBe(false);
  });
});
