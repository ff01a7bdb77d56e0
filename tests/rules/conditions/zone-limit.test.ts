import { describe, expect, it } from 'vitest';
import { zoneLimitAt } from '../../../src/rules/conditions/zone-limit.js';
import { clockMinutes } from '../../../src/rules/localtime.js';
import { RuleRig, device, shanghai } from '../fixtures.js';

describe('GB 3096 zone limits', () => {
  it.each([
    ['0', 50, 40], ['1', 55, 45], ['2', 60, 50], ['3', 65, 55], ['4a', 70, 55], ['4b', 70, 60],
  ] as const)('zone %s: day %i, night %i', (zone, day, night) => {
    expect(zoneLimitAt(zone, clockMinutes('12:00'), false)).toBe(day);
    expect(zoneLimitAt(zone, clockMinutes('23:00'), false)).toBe(night);
    expect(zoneLimitAt(zone, clockMinutes('05:59'), false)).toBe(night);
    expect(zoneLimitAt(zone, clockMinutes('06:00'), false)).toBe(day);
  });
  it('indoor variant: class 1 bedrooms 40/30, class 2-4 45/35', () => {
    expect(zoneLimitAt('1', clockMinutes('10:00'), true)).toBe(40);
    expect(zoneLimitAt('1', clockMinutes('23:00'), true)).toBe(30);
    expect(zoneLimitAt('2', clockMinutes('10:00'), true)).toBe(45);
    expect(zoneLimitAt('4b', clockMinutes('01:00'), true)).toBe(35);
  });
});

describe('zoneLimit condition', () => {
  const spec = { id: 'n', severity: 'warning' as const, condition: { type: 'zoneLimit' as const, field: 'laeq', margin: 0, indoor: false } };
  it('uses the night limit at night in the configured zone (Asia/Shanghai)', () => {
    const rig = new RuleRig(spec, device('noise', { noiseZone: '2' }));
    expect(rig.read(shanghai(23, 0), { laeq: 50 })).toBeUndefined(); // at the limit
    expect(rig.read(shanghai(23, 1), { laeq: 50.5 })).toBe('raise');
    expect(rig.read(shanghai(23, 2), { laeq: 50 })).toBe('clear');
  });
  it('the same level is fine in the day', () => {
    const rig = new RuleRig(spec, device('noise', { noiseZone: '2' }));
    expect(rig.read(shanghai(14, 0), { laeq: 58 })).toBeUndefined();
    expect(rig.read(shanghai(14, 1), { laeq: 61 })).toBe('raise');
  });
  it('margin raises only above limit + margin and clears at the limit', () => {
    const rig = new RuleRig({ ...spec, condition: { ...spec.condition, margin: 5 } }, device('noise', { noiseZone: '1' }));
    expect(rig.read(shanghai(23, 0), { laeq: 50 })).toBeUndefined();
    expect(rig.read(shanghai(23, 1), { laeq: 50.1 })).toBe('raise');
    expect(rig.read(shanghai(23, 2), { laeq: 46 })).toBeUndefined();
    expect(rig.read(shanghai(23, 3), { laeq: 45 })).toBe('clear');
  });
  it('the night window crosses midnight and its end clears an open alert by timer', () => {
    const night = { ...spec, window: { from: '22:00', to: '06:00' } };
    const rig = new RuleRig(night, device('noise', { noiseZone: '1' }));
    expect(rig.read(shanghai(21, 59), { laeq: 70 })).toBeUndefined();
    expect(rig.read(shanghai(0, 30, 1), { laeq: 50 })).toBe('raise');
    expect(rig.st.wakeAt).toBe(shanghai(6, 0, 1));
    expect(rig.tick(shanghai(6, 0, 1))).toBe('clear');
  });
  it('works in a DST-free zone other than Shanghai (UTC)', () => {
    const rig = new RuleRig({ ...spec, window: { from: '22:00', to: '06:00' } }, device('noise', { noiseZone: '1' }), 0, 'UTC');
    expect(rig.read(Date.UTC(2026, 0, 15, 23, 30), { laeq: 46 })).toBe('raise');
    expect(rig.read(Date.UTC(2026, 0, 16, 6, 30), { laeq: 46 })).toBe('clear');
  });
});
