import { describe, it, expect } from 'vitest';
import { makeDevice, type SimDevice } from '../../firmware-sim/device.js';
import { rngFor } from '../../firmware-sim/rng.js';
import { applyScenario } from '../../firmware-sim/scenarios.js';
import { batteryAt, isKnocking, reading } from '../../firmware-sim/signals.js';
import { localHour } from '../../firmware-sim/time.js';

const TZ = 'Asia/Shanghai';
const T0 = Date.parse('2026-11-20T12:00:00+08:00');
const MIN = 60_000;

function fleet(seed: string): SimDevice[] {
  const specs = [
    ...Array.from({ length: 20 }, (_, i) => ({ id: `noise-${i}`, kind: 'noise' as const, building: `b${i % 4}`, intervalS: 60 })),
    ...Array.from({ length: 6 }, (_, i) => ({ id: `gas-${i}`, kind: 'gas' as const, building: `b${i % 4}`, intervalS: 600 })),
    ...Array.from({ length: 4 }, (_, i) => ({ id: `water-${i}`, kind: 'water' as const, building: `b${i % 4}`, intervalS: 7200 })),
    ...Array.from({ length: 4 }, (_, i) => ({ id: `smoke-${i}`, kind: 'smoke' as const, building: `b${i % 4}`, intervalS: 3600 })),
  ];
  return specs.map((s) => makeDevice(s, { seed, t0: T0, timezone: TZ }));
}

function series(d: SimDevice, from: number, to: number, step: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let t = from, seq = 0; t < to; t += step, seq++) out.push(reading(d, t, rngFor(d.seed, d.id, seq), seq));
  return out;
}

describe('signal generators', () => {
  it('are deterministic for a seed and differ for another seed', () => {
    const a = fleet('s1').map((d) => series(d, T0, T0 + 6 * 3_600_000, 10 * MIN));
    const b = fleet('s1').map((d) => series(d, T0, T0 + 6 * 3_600_000, 10 * MIN));
    const c = fleet('s2').map((d) => series(d, T0, T0 + 6 * 3_600_000, 10 * MIN));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('knock at night only between 23:00 and 04:00 local, and do knock then', () => {
    const devices = applyScenario('night-knocking', fleet('night'), T0, 'night').filter((d) => d.kind === 'noise');
    let impulses = 0;
    let nightSlots = 0;
    for (const d of devices) {
      // three days, one reading per 5 simulated minutes
      for (let t = T0, seq = 0; t < T0 + 3 * 86_400_000; t += 5 * MIN, seq++) {
        const r = reading(d, t, rngFor(d.seed, d.id, seq), seq);
        const h = localHour(t, TZ);
        const night = h >= 23 || h < 4;
        if (night) nightSlots++;
        const lmax = r.lmax as number;
        const laeq = r.laeq as number;
        expect(lmax).toBeGreaterThanOrEqual(laeq);
        if (lmax >= 70) {
          impulses++;
          expect(night, `lmax ${lmax} at local hour ${h.toFixed(2)}`).toBe(true);
        }
        if (!night) expect(isKnocking(d, t)).toBe(false);
      }
    }
    expect(nightSlots).toBeGreaterThan(0);
    expect(impulses).toBeGreaterThan(20);
  });

  it('noise follows a day/night curve', () => {
    const d = fleet('curve').find((x) => x.kind === 'noise' && x.knockChance === 0) as SimDevice;
    const at = (iso: string): number => reading(d, Date.parse(iso), rngFor('x', iso), 0).laeq as number;
    expect(at('2026-11-21T14:00:00+08:00')).toBeGreaterThan(at('2026-11-21T02:30:00+08:00') + 12);
  });

  it('the gas-leak scenario crosses 25 % LEL within minutes and stays near 0 otherwise', () => {
    const devices = applyScenario('gas-leak', fleet('gas'), T0, 'gas').filter((d) => d.kind === 'gas');
    const leaking = devices.filter((d) => d.episodes.some((e) => e.type === 'gas-leak'));
    expect(leaking).toHaveLength(1);
    const leak = leaking[0] as SimDevice;
    const lel = series(leak, T0, T0 + 10 * MIN, 10_000).map((r) => r.lel as number);
    const crossedAt = lel.findIndex((v) => v >= 25);
    expect(crossedAt).toBeGreaterThan(0);
    expect(crossedAt * 10_000).toBeLessThan(5 * MIN);
    for (const d of devices.filter((x) => x !== leak)) {
      for (const r of series(d, T0, T0 + 10 * MIN, 30_000)) expect(r.lel as number).toBeLessThan(1);
    }
  });

  it('a closed valve makes the leak air out and reports the valve closed', () => {
    const leak = applyScenario('gas-leak', fleet('gas'), T0, 'gas').find((d) => d.episodes.some((e) => e.type === 'gas-leak')) as SimDevice;
    const closed = { ...leak, valveClosedAt: T0 + 4 * MIN };
    const later = reading(closed, T0 + 20 * MIN, rngFor('v'), 1);
    expect(later.valve).toBe('closed');
    expect(later.lel as number).toBeLessThan(10);
  });

  it('battery drains monotonically and stays within 0..100', () => {
    for (const d of fleet('battery')) {
      let prev = Infinity;
      for (let t = T0; t < T0 + 400 * 86_400_000; t += 5 * 86_400_000) {
        const b = batteryAt(d, t);
        expect(b).toBeLessThanOrEqual(prev);
        expect(b).toBeGreaterThanOrEqual(0);
        expect(b).toBeLessThanOrEqual(100);
        prev = b;
      }
    }
  });

  it('flood and fire scenarios raise the right fields; skewed clocks stay within 300 s', () => {
    const flood = applyScenario('flood', fleet('f'), T0, 'f').find((d) => d.episodes.some((e) => e.type === 'flood')) as SimDevice;
    expect(reading(flood, T0, rngFor('a'), 0).leak).toBe(false);
    const wet = reading(flood, T0 + 20 * MIN, rngFor('b'), 1);
    expect(wet.leak).toBe(true);
    expect(wet.level_mm as number).toBeGreaterThanOrEqual(20);
    const fire = applyScenario('fire', fleet('f'), T0, 'f').find((d) => d.episodes.some((e) => e.type === 'smoke')) as SimDevice;
    expect(reading(fire, T0 + 5 * MIN, rngFor('c'), 0).alarm).toBe(true);
    for (const d of fleet('skew')) {
      expect(Math.abs(d.skewMs)).toBeLessThan(300_000);
      expect(Math.abs((reading(d, T0, rngFor('d'), 0).ts as number) - T0)).toBe(Math.abs(d.skewMs));
    }
  });

  it('the outage scenario takes one whole building off the network', () => {
    const devices = applyScenario('outage', fleet('o'), T0, 'o');
    const down = devices.filter((d) => d.episodes.some((e) => e.type === 'dropout' && e.holdMs === 10 * MIN));
    expect(down.length).toBeGreaterThan(1);
    expect(new Set(down.map((d) => d.building)).size).toBe(1);
    expect(devices.filter((d) => d.building === down[0]?.building).every((d) => down.includes(d))).toBe(true);
  });
});
