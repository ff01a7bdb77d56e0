// Late, back-dated, stale and re-sent readings: evaluated in reading-time order per device, once
// per (device, reading time, content); never re-opening or flapping a case.
import { describe, expect, it } from 'vitest';
import type { Reading } from '../../src/core/domain.js';
import type { RuleSpec } from '../../src/core/rule-spec.js';
import { RuleEngine } from '../../src/rules/engine.js';
import { effectiveRules } from '../../src/rules/resolve.js';
import { device } from './fixtures.js';

const H = 3_600_000;
const M = 60_000;
const T = Date.UTC(2026, 0, 15, 4); // noon in Shanghai

function engine(extra: RuleSpec[] = []): RuleEngine {
  return new RuleEngine({ timezone: 'Asia/Shanghai', rulesFor: (d) => effectiveRules(d, extra) });
}
const gas = device('gas');
const r = (ts: number, lel: number, seq?: number): Reading => ({ device: gas.id, kind: 'gas', ts, values: { lel }, ...(seq === undefined ? {} : { seq }) });
const names = (ts: ReturnType<RuleEngine['onReading']>): string[] => ts.map((t) => `${t.transition}:${t.rule.id}`);

/** deterministic shuffle */
function shuffled<X>(xs: X[]): X[] {
  const out = [...xs];
  let a = 7;
  for (let i = out.length - 1; i > 0; i--) {
    a = (a * 1103515245 + 12345) % 2 ** 31;
    const j = a % (i + 1);
    [out[i], out[j]] = [out[j] as X, out[i] as X];
  }
  return out;
}

describe('late and back-dated readings', () => {
  it('a back-dated flush, out of order, stores-and-shows only: no case re-opens or flaps', () => {
    const e = engine();
    e.addDevice(gas, T - 4 * H);
    expect(names(e.onReading(r(T, 30), gas, T))).toEqual(['raise:gas-warning', 'raise:gas-critical']);
    expect(names(e.onReading(r(T + 2 * M, 2), gas, T + 2 * M))).toEqual(['clear:gas-warning', 'clear:gas-critical']);
    // three hours of buffered readings, alternating leak / clean, arriving shuffled
    const flush = shuffled(Array.from({ length: 360 }, (_, i) => r(T - 3 * H + i * 30_000, i % 2 === 0 ? 30 : 2)));
    const out = flush.flatMap((x) => e.onReading(x, gas, T + 3 * M));
    expect(out).toEqual([]);
    expect(e.isActive(gas.id, 'gas-critical')).toBe(false);
  });

  it('a stale reading (device clock at 1970, or older than a day) opens nothing', () => {
    const e = engine();
    e.addDevice(gas, T);
    expect(e.onReading(r(1000, 30), gas, T)).toEqual([]);
    expect(e.onReading(r(T - 25 * H, 30), gas, T)).toEqual([]);
    expect(names(e.onReading(r(T - 23 * H, 30), gas, T))).toEqual(['raise:gas-warning', 'raise:gas-critical']);
  });

  it('a late reading newer than the latest evaluated one is evaluated and says how late', () => {
    const e = engine();
    e.addDevice(gas, T);
    e.onReading(r(T, 1), gas, T);
    // the device was cut off for 3 h and flushes in order: the leak at T + 1 h arrives at T + 3 h
    const out = e.onReading(r(T + H, 32), gas, T + 3 * H);
    expect(names(out)).toEqual(['raise:gas-warning', 'raise:gas-critical']);
    expect(out[1]?.trigger).toMatchObject({ ts: T + H, lateMs: 2 * H, receivedAt: T + 3 * H, values: { lel: 32 } });
    // an on-time reading carries no lateness
    expect(e.onReading(r(T + 3 * H, 2), gas, T + 3 * H)[0]?.trigger).not.toHaveProperty('lateMs');
  });

  it('the same reading re-sent (same time and content) is evaluated once; distinct readings in one millisecond are all evaluated', () => {
    const spikes: RuleSpec = { id: 'gas-spikes', kind: 'gas', severity: 'warning', condition: { type: 'count', field: 'lel', gte: 8, min: 3, within: '1h' } };
    const e = engine([spikes]);
    e.addDevice(gas, T);
    for (let i = 0; i < 5; i++) expect(e.onReading(r(T, 9, 4), gas, T + i * 1000)).toEqual([]);
    const d2 = device('gas', { id: 'gas-2' });
    e.addDevice(d2, T);
    // a batch stamped on receipt: three different readings in the same millisecond
    const same = [1, 9, 30].map((lel): Reading => ({ device: d2.id, kind: 'gas', ts: T, values: { lel } }));
    expect(same.flatMap((x) => names(e.onReading(x, d2, T)))).toEqual(['raise:gas-warning', 'raise:gas-critical']);
  });

  it('a back-dated reading is still a sign of life: it clears an offline case', () => {
    const e = engine();
    e.addDevice(gas, T);
    e.onReading(r(T, 1), gas, T);
    expect(names(e.tick(T + 5 * M))).toEqual(['raise:offline']);
    expect(names(e.onReading(r(T - H, 1), gas, T + 6 * M))).toEqual(['clear:offline']);
  });
});
