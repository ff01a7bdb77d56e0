// Noise against GB 3096-2008 limits for the grid's zone class, day (06-22) or night (22-06)
// local time; the indoor variant uses GB 22337-2008 bedroom limits (shared/domain.md).
import type { NoiseZone } from '../../core/domain.js';
import type { Condition } from '../../core/rule-spec.js';
import { noiseLimit, noisePeriodAt } from '../../kinds/noise-limits.js';
import type { ConditionImpl } from '../types.js';
import { VERDICT, numericField } from './threshold.js';

type ZoneLimit = Extract<Condition, { type: 'zoneLimit' }>;

/** The zone's LAeq limit at a local minute of the day (table and day/night boundary: src/kinds/noise-limits.ts). */
export function zoneLimitAt(zone: NoiseZone, minuteOfDay: number, indoor: boolean): number {
  return noiseLimit(zone, noisePeriodAt(minuteOfDay), indoor);
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
