import { describe, expect, it } from 'vitest';
import { analyzeNight, energyMean, findImpulses, hourlyLevels, laeqFromEnergy, nightLimit, rankByLoudness, type NoiseSample } from '../../src/reports/noise-math.js';

const H = 3_600_000;
const M = 60_000;

describe('energyMean', () => {
  it('averages decibels by energy, never arithmetically', () => {
    expect(energyMean([60, 60])).toBeCloseTo(60, 10);
    // 10·log10((10^5 + 10^6)/2) = 10·log10(550000) = 57.4036
    expect(energyMean([50, 60])).toBeCloseTo(57.4036, 4);
    expect(energyMean([50, 60])).not.toBeCloseTo(55, 1);
    // 10·log10((3·10^5 + 10^6)/4) = 10·log10(325000) = 55.1188
    expect(energyMean([50, 60], [3, 1])).toBeCloseTo(55.1188, 4);
    expect(energyMean([])).toBeNull();
  });
  it('matches the downsampled form 10·log10(Σ10^(L/10) / n)', () => {
    expect(laeqFromEnergy(1.1e6, 2)).toBeCloseTo(57.4036, 4);
    expect(laeqFromEnergy(0, 0)).toBeNull();
  });
});

describe('nightLimit', () => {
  it('follows GB 3096-2008 night limits by zone class', () => {
    expect([nightLimit('0'), nightLimit('1'), nightLimit('2'), nightLimit('3'), nightLimit('4a'), nightLimit('4b')]).toEqual([40, 45, 50, 55, 55, 60]);
  });
});

// A 2-hour night in 10-minute readings: hour 0 all 40 dB; hour 1 three at 50 then three at 40.
const from = Date.UTC(2026, 2, 5, 14);
const tenMin = (i: number, laeq: number, lmax?: number): NoiseSample => ({ ts: from + i * 10 * M, laeq, lmax, durationS: 600 });
const samples: NoiseSample[] = [
  tenMin(0, 40, 62), tenMin(1, 40, 44), tenMin(2, 40), tenMin(3, 40), tenMin(4, 40), tenMin(5, 40),
  tenMin(6, 50, 55), tenMin(7, 50, 58), tenMin(8, 50), tenMin(9, 40), tenMin(10, 40), tenMin(11, 40),
];

describe('analyzeNight', () => {
  it('gives hourly LAeq, night LAeq, Lmax, minutes above the limit and impulses', () => {
    const n = analyzeNight(samples, from, from + 2 * H, 45);
    expect(n.hourly).toHaveLength(2);
    expect(n.hourly[0]?.laeq).toBeCloseTo(40, 10);
    // 10·log10((3·10^5 + 3·10^4)/6) = 10·log10(55000) = 47.4036
    expect(n.hourly[1]?.laeq).toBeCloseTo(47.4036, 4);
    // 10·log10((9·10^4 + 3·10^5)/12) = 10·log10(32500) = 45.1188
    expect(n.laeq).toBeCloseTo(45.1188, 4);
    expect(n.lmax).toBe(62);
    expect(n.minutesAbove).toBe(30);
    expect(n.impulses).toEqual([{ ts: from, laeq: 40, lmax: 62, reasons: ['impulsive', 'over_limit'] }]);
    expect(n.samples).toBe(12);
    expect(n.breach).toBe(true);
  });
  it('weights readings by the time they cover', () => {
    const n = analyzeNight([{ ts: from, laeq: 60, durationS: 60 }, { ts: from + M, laeq: 40, durationS: 540 }], from, from + H, 45);
    // 10·log10((60·10^6 + 540·10^4)/600) = 10·log10(109000) = 50.374
    expect(n.laeq).toBeCloseTo(50.374, 3);
    expect(n.minutesAbove).toBe(1);
  });
  it('ignores readings outside the window and is quiet with none', () => {
    const n = analyzeNight([{ ts: from - M, laeq: 90, durationS: 60 }], from, from + H, 45);
    expect(n).toMatchObject({ laeq: null, lmax: null, minutesAbove: 0, impulses: [], samples: 0, breach: false });
    expect(n.hourly).toEqual([{ start: from, end: from + H, laeq: null, lmax: null, samples: 0 }]);
  });
  it('a quiet night with a single loud hour still breaches', () => {
    const quiet = Array.from({ length: 8 }, (_, h) => ({ ts: from + h * H, laeq: h === 3 ? 47 : 35, durationS: 3600 }));
    const n = analyzeNight(quiet, from, from + 8 * H, 45);
    expect(n.laeq).toBeLessThan(45);
    expect(n.breach).toBe(true);
  });
});

describe('hourlyLevels', () => {
  it('cuts the last bucket at the window end', () => {
    const h = hourlyLevels([], from, from + 90 * M);
    expect(h.map((x) => [x.start - from, x.end - from])).toEqual([[0, H], [H, 90 * M]]);
  });
});

describe('findImpulses', () => {
  it('flags lmax − laeq ≥ 15 and lmax > limit + 15', () => {
    const s: NoiseSample[] = [
      { ts: 3, laeq: 40, lmax: 55, durationS: 60 }, // 15 over laeq: impulsive
      { ts: 2, laeq: 52, lmax: 61, durationS: 60 }, // 61 > 45 + 15: over_limit
      { ts: 1, laeq: 40, lmax: 54.9, durationS: 60 }, // neither
      { ts: 4, laeq: 40, durationS: 60 }, // no lmax
    ];
    expect(findImpulses(s, 45)).toEqual([
      { ts: 2, laeq: 52, lmax: 61, reasons: ['over_limit'] },
      { ts: 3, laeq: 40, lmax: 55, reasons: ['impulsive'] },
    ]);
  });
});

describe('rankByLoudness', () => {
  it('sorts by LAeq, then minutes above, no data last', () => {
    const r = rankByLoudness([
      { id: 'a', laeq: 44, minutesAbove: 0 }, { id: 'b', laeq: null, minutesAbove: 0 },
      { id: 'c', laeq: 50, minutesAbove: 10 }, { id: 'd', laeq: 50, minutesAbove: 30 },
    ]);
    expect(r.map((x) => x.id)).toEqual(['d', 'c', 'a', 'b']);
  });
});
