// Night noise maths. Pure. Decibels average by energy (shared/domain.md):
// LAeq = 10·log10(Σ tᵢ·10^(Lᵢ/10) / Σ tᵢ), never the arithmetic mean of dB.
import type { NoiseZone } from '../core/domain.js';
import { NOISE_IMPULSE_DB, noiseLimit } from '../kinds/noise-limits.js';

export interface NoiseSample {
  ts: number;
  laeq: number;
  lmax?: number | null;
  /** seconds the laeq covers (the reading's interval_s, else the device interval) */
  durationS: number;
}

export interface HourLevel { start: number; end: number; laeq: number | null; lmax: number | null; samples: number }

export interface Impulse { ts: number; laeq: number; lmax: number; reasons: Array<'impulsive' | 'over_limit'> }

export interface NightAnalysis {
  limit: number;
  laeq: number | null;
  lmax: number | null;
  /** minutes covered by readings whose laeq is above the limit */
  minutesAbove: number;
  hourly: HourLevel[];
  impulses: Impulse[];
  samples: number;
  /** night LAeq or an hourly LAeq above the limit, or an impulse above limit + 15 */
  breach: boolean;
}

/** Energy (optionally time-weighted) mean of levels in dB; null for no levels. */
export function energyMean(levels: number[], weights?: number[]): number | null {
  let num = 0;
  let den = 0;
  levels.forEach((l, i) => {
    const w = weights?.[i] ?? 1;
    num += w * 10 ** (l / 10);
    den += w;
  });
  return den > 0 ? 10 * Math.log10(num / den) : null;
}

/** LAeq from a downsampled energy sum Σ10^(L/10) over n equal-length samples. */
export function laeqFromEnergy(energySum: number, n: number): number | null {
  return n > 0 && energySum > 0 ? 10 * Math.log10(energySum / n) : null;
}

/** GB 3096-2008 night limit in dB(A) for the zone class (src/kinds/noise-limits.ts). */
export function nightLimit(zone: NoiseZone): number {
  return noiseLimit(zone, 'night');
}

function levels(s: NoiseSample[]): { laeq: number | null; lmax: number | null } {
  return {
    laeq: energyMean(s.map((x) => x.laeq), s.map((x) => x.durationS)),
    lmax: s.length > 0 ? Math.max(...s.map((x) => x.lmax ?? x.laeq)) : null,
  };
}

/** Hour buckets from `from` in steps of one hour, the last cut at `to`; a sample belongs to the bucket holding its ts. */
export function hourlyLevels(samples: NoiseSample[], from: number, to: number): HourLevel[] {
  const out: HourLevel[] = [];
  for (let start = from; start < to; start += 3_600_000) {
    const end = Math.min(start + 3_600_000, to);
    const inHour = samples.filter((s) => s.ts >= start && s.ts < end);
    out.push({ start, end, ...levels(inHour), samples: inHour.length });
  }
  return out;
}

export function findImpulses(samples: NoiseSample[], limit: number): Impulse[] {
  const out: Impulse[] = [];
  for (const s of samples) {
    // lmax − laeq at or above 15 dB is an impulse; so is lmax above limit + 15
    if (s.lmax === undefined || s.lmax === null) continue;
    const reasons: Impulse['reasons'] = [];
    if (s.lmax - s.laeq >= NOISE_IMPULSE_DB) reasons.push('impulsive');
    if (s.lmax > limit + NOISE_IMPULSE_DB) reasons.push('over_limit');
    if (reasons.length > 0) out.push({ ts: s.ts, laeq: s.laeq, lmax: s.lmax, reasons });
  }
  return out.sort((a, b) => a.ts - b.ts);
}

/** One device's night in [from, to) against `limit`. */
export function analyzeNight(samples: NoiseSample[], from: number, to: number, limit: number): NightAnalysis {
  const inNight = samples.filter((s) => s.ts >= from && s.ts < to).sort((a, b) => a.ts - b.ts);
  const { laeq, lmax } = levels(inNight);
  const hourly = hourlyLevels(inNight, from, to);
  const impulses = findImpulses(inNight, limit);
  const minutesAbove = inNight.filter((s) => s.laeq > limit).reduce((m, s) => m + s.durationS / 60, 0);
  const breach = (laeq !== null && laeq > limit) || hourly.some((h) => h.laeq !== null && h.laeq > limit)
    || impulses.some((i) => i.reasons.includes('over_limit'));
  return { limit, laeq, lmax, minutesAbove, hourly, impulses, samples: inNight.length, breach };
}

export interface Ranked { laeq: number | null; minutesAbove: number }

/** Loudest first: by LAeq, then minutes above the limit; no data last. Stable for ties. */
export function rankByLoudness<T extends Ranked>(items: T[]): T[] {
  return [...items].sort((a, b) => {
    if (a.laeq === null || b.laeq === null) return a.laeq === null ? (b.laeq === null ? 0 : 1) : -1;
    return b.laeq - a.laeq || b.minutesAbove - a.minutesAbove;
  });
}
