// Noise against GB 3096-2008 limits for the grid's zone class, day (06-22) or night (22-06)
// local time; the indoor variant uses GB 22337-2008 bedroom limits (shared/domain.md).
import type { NoiseZone } from '../../core/domain.js';
import type { Condition } from '../../core/rule-spec.js';
import type { ConditionImpl } from '../types.js';
import { VERDICT, numericField } from './threshold.js';

type ZoneLimit = Extract<Condition, { type: 'zoneLimit' }>;

/** [day, night] LAeq limits in dB(A) */
export const GB3096_LIMITS: Record<NoiseZone, readonly [number, number]> = {
  '0': [50, 40], '1': [55, 45], '2': [60, 50], '3': [65, 55], '4a': [70, 55], '4b': [70, 60],
};
export const INDOOR_LIMITS: Record<NoiseZone, readonly [number, number]> = {
  '0': [40, 30], '1': [40, 30], '2': [45, 35], '3': [45, 35], '4a': [45, 35], '4b': [45, 35],
};

const NIGHT_FROM = 22 * 60;
const NIGHT_TO = 6 * 60;

export function isNight(minuteOfDay: number): boolean {
  return minuteOfDay >= NIGHT_FROM || minuteOfDay < NIGHT_TO;
}

export function zoneLimitAt(zone: NoiseZone, minuteOfDay: number, indoor: boolean): number {
  const row = (indoor ? INDOOR_LIMITS : GB3096_LIMITS)[zone];
  return isNight(minuteOfDay) ? row[1] : row[0];
}

export const zoneLimit: ConditionImpl<ZoneLimit, null> = {
  init: () => null,
  step(cond, _s, input, t, ctx) {
    const v = numericField(input, cond.field ?? 'laeq');
    if (v === undefined) return VERDICT.NONE;
    const limit = zoneLimitAt(ctx.device.noiseZone, ctx.local.minuteOfDay(t), cond.indoor ?? false);
    // exceeding means strictly above the limit (+ margin); back at or under the limit clears
    return v > limit + (cond.margin ?? 0) ? VERDICT.HIGH : v <= limit ? VERDICT.LOW : VERDICT.NONE;
  },
};
