import { describe, expect, it } from 'vitest';
import noise from '../../src/kinds/noise.js';

describe('noise kind', () => {
  it('refuses lmax below laeq, naming the field and the rule', () => {
    expect(noise.check?.({ laeq: 50, lmax: 45 })).toEqual(['lmax', 45, 'must be >= laeq (50)']);
  });
  it('accepts lmax at or above laeq, or absent', () => {
    expect(noise.check?.({ laeq: 50, lmax: 50 })).toBeUndefined();
    expect(noise.check?.({ laeq: 50 })).toBeUndefined();
  });
  it('ships the night rule for 22:00-06:00 against the zone limit', () => {
    const night = noise.defaultRules.find((r) => r.id === 'noise-night');
    expect(night?.window).toEqual({ from: '22:00', to: '06:00' });
    expect(night?.condition.type).toBe('zoneLimit');
  });
});
