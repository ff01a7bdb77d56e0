// Noise limits, the one copy (shared/domain.md): GB 3096-2008 boundary LAeq limits by zone class,
// day 06:00–22:00 and night 22:00–06:00 local; GB 22337-2008 indoor (bedroom) limits for a meter
// mounted indoors. Pure data and lookups with type-only imports, so the browser panel bundles it too.
import type { NoiseZone } from '../core/domain.js';

export type NoisePeriod = 'day' | 'night';

export const NOISE_ZONES: readonly NoiseZone[] = ['0', '1', '2', '3', '4a', '4b'];

/** GB 3096-2008 table 1: LAeq limits in dB(A) */
export const GB3096_LIMITS: Readonly<Record<NoiseZone, Readonly<Record<NoisePeriod, number>>>> = {
  '0': { day: 50, night: 40 },
  '1': { day: 55, night: 45 },
  '2': { day: 60, night: 50 },
  '3': { day: 65, night: 55 },
  '4a': { day: 70, night: 55 },
  '4b': { day: 70, night: 60 },
};

/** GB 22337-2008 structure-borne noise, bedrooms: class 0–1 zones 40/30, class 2–4 zones 45/35 */
export const GB22337_INDOOR_LIMITS: Readonly<Record<NoiseZone, Readonly<Record<NoisePeriod, number>>>> = {
  '0': { day: 40, night: 30 },
  '1': { day: 40, night: 30 },
  '2': { day: 45, night: 35 },
  '3': { day: 45, night: 35 },
  '4a': { day: 45, night: 35 },
  '4b': { day: 45, night: 35 },
};

/** At night an impulse (Lmax) may exceed the limit by at most this many dB(A). */
export const NOISE_IMPULSE_DB = 15;

/** Day starts at 06:00, night at 22:00 (minutes after local midnight). */
export const DAY_START_MIN = 6 * 60;
export const NIGHT_START_MIN = 22 * 60;

export function isNoiseZone(v: unknown): v is NoiseZone {
  return typeof v === 'string' && (NOISE_ZONES as readonly string[]).includes(v);
}

/** The LAeq limit in dB(A) for a zone class and period; `indoor` gives the GB 22337 bedroom limit. */
export function noiseLimit(zone: NoiseZone, period: NoisePeriod, indoor = false): number {
  return (indoor ? GB22337_INDOOR_LIMITS : GB3096_LIMITS)[zone][period];
}

/** 'night' from 22:00 up to 06:00, 'day' from 06:00 up to 22:00 (minutes after local midnight). */
export function noisePeriodAt(minuteOfDay: number): NoisePeriod {
  return minuteOfDay >= NIGHT_START_MIN || minuteOfDay < DAY_START_MIN ? 'night' : 'day';
}
