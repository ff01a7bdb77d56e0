import { describe, expect, it } from 'vitest';
import noise, { DAY_START_MIN, GB3096_LIMITS, isNoiseZone, NIGHT_START_MIN, NOISE_IMPULSE_DB, NOISE_ZONES, noiseLimit, noisePeriodAt } from '../../src/kinds/noise.js';

// Expected values transcribed from shared/domain.md ("Noise — GB 3096-2008" table and the GB 22337 note).
const GB3096 = [['0', 50, 40], ['1', 55, 45], ['2', 60, 50], ['3', 65, 55], ['4a', 70, 55], ['4b', 70, 60]] as const;
// GB 22337-2008 bedrooms: class 1 zones 40/30, class 2-4 zones 45/35 (class 0 as class 1, as in the standard)
const INDOOR = [['0', 40, 30], ['1', 40, 30], ['2', 45, 35], ['3', 45, 35], ['4a', 45, 35], ['4b', 45, 35]] as const;

describe('noise limits', () => {
  it.each(GB3096)('GB 3096 zone %s: day %i, night %i', (zone, day, night) => {
    expect(GB3096_LIMITS[zone]).toEqual({ day, night });
    expect(noiseLimit(zone, 'day')).toBe(day);
    expect(noiseLimit(zone, 'night')).toBe(night);
    expect(noiseLimit(zone, 'night', false)).toBe(night);
  });
  it.each(INDOOR)('GB 22337 indoor zone %s: day %i, night %i', (zone, day, night) => {
    expect(noiseLimit(zone, 'day', true)).toBe(day);
    expect(noiseLimit(zone, 'night', true)).toBe(night);
  });
  it('covers exactly the six zone classes', () => {
    expect(NOISE_ZONES).toEqual(GB3096.map(([z]) => z));
    expect(Object.keys(GB3096_LIMITS).sort()).toEqual([...NOISE_ZONES].sort());
    expect(NOISE_ZONES.every(isNoiseZone)).toBe(true);
    expect(['4', '4c', 'A', '', 1, null].some(isNoiseZone)).toBe(false);
  });
  it('day is 06:00-22:00, night 22:00-06:00 local', () => {
    expect([DAY_START_MIN, NIGHT_START_MIN]).toEqual([360, 1320]);
    expect(noisePeriodAt(0)).toBe('night');
    expect(noisePeriodAt(5 * 60 + 59)).toBe('night');
    expect(noisePeriodAt(6 * 60)).toBe('day');
    expect(noisePeriodAt(21 * 60 + 59)).toBe('day');
    expect(noisePeriodAt(22 * 60)).toBe('night');
    expect(noisePeriodAt(23 * 60 + 59)).toBe('night');
  });
  it('an impulse may exceed the night limit by 15 dB(A), and the impulse rule uses it', () => {
    expect(NOISE_IMPULSE_DB).toBe(15);
    const rule = noise.defaultRules.find((r) => r.id === 'noise-impulses');
    expect(rule?.condition).toMatchObject({ type: 'count', field: 'lmax', minus: 'laeq', gte: 15 });
  });
});

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
