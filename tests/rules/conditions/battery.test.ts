import { describe, expect, it } from 'vitest';
import { RuleRig, device } from '../fixtures.js';

describe('battery condition', () => {
  it('raises below the level and clears at or above the clear level', () => {
    const rig = new RuleRig({ id: 'b', severity: 'warning', condition: { type: 'battery', raise: 20, clear: 25 } }, device('smoke'));
    expect(rig.read(1, { alarm: false }, 20)).toBeUndefined();
    expect(rig.read(2, { alarm: false }, 19)).toBe('raise');
    expect(rig.read(3, { alarm: false }, 24)).toBeUndefined();
    expect(rig.read(4, { alarm: false })).toBeUndefined(); // no battery field
    expect(rig.read(5, { alarm: false }, 25)).toBe('clear');
  });
});
