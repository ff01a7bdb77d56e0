// Rule engine state export / import (cluster mode's leader hand-over): a new engine that imports
// the old one's state behaves exactly as the old one would have, input for input.
import { describe, expect, it } from 'vitest';
import type { DeviceInfo, KindName, Reading } from '../../src/core/domain.js';
import type { RuleSpec } from '../../src/core/rule-spec.js';
import { RuleEngine, type RuleTransition } from '../../src/rules/engine.js';
import { effectiveRules } from '../../src/rules/resolve.js';
import { decodeSnapshot, encodeSnapshot, specKey } from '../../src/rules/snapshot.js';
import { device } from './fixtures.js';

const RATE: RuleSpec = { id: 'water-rising', kind: 'water', severity: 'warning', condition: { type: 'rate', field: 'level_mm', perMinute: 2, over: '10m' }, title: { zh: '水位上涨', en: 'Water rising' } } as RuleSpec;

function engine(overrides: RuleSpec[] = [RATE]): RuleEngine {
  return new RuleEngine({ timezone: 'Asia/Shanghai', rulesFor: (d) => effectiveRules(d, overrides) });
}

/** A small deterministic PRNG (mulberry32), so a failing seed can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const DEVICES: DeviceInfo[] = [
  device('gas', { id: 'g1', intervalS: 60 }),
  device('smoke', { id: 's1', intervalS: 120 }),
  device('water', { id: 'w1', intervalS: 60 }),
  device('noise', { id: 'n1', intervalS: 60 }),
];

type Step =
  | { kind: 'reading'; d: DeviceInfo; r: Reading; now: number }
  | { kind: 'presence'; d: DeviceInfo; online: boolean; cause: 'connect' | 'lwt' | 'disconnect'; now: number }
  | { kind: 'event'; d: DeviceInfo; now: number }
  | { kind: 'tick'; now: number };

function values(kind: KindName, rnd: () => number): Reading['values'] {
  switch (kind) {
    case 'gas': return { lel: Math.round(rnd() * 35), co_ppm: Math.round(rnd() * 350) };
    case 'smoke': return { alarm: rnd() < 0.2, obscuration: Math.round(rnd() * 60) / 10 };
    case 'water': return { leak: rnd() < 0.3, level_mm: Math.round(rnd() * 30) };
    default: { const laeq = 30 + Math.round(rnd() * 40); return { laeq, lmax: laeq + Math.round(rnd() * 25) }; }
  }
}

/** A random script: readings (some repeated, some back-dated), presence hints, events, ticks; hours long, across 22:00. */
function script(seed: number, length: number): Step[] {
  const rnd = prng(seed);
  const steps: Step[] = [];
  let now = Date.parse('2026-11-20T13:30:00Z'); // 21:30 in Shanghai
  const last = new Map<string, Reading>();
  for (let i = 0; i < length; i++) {
    now += Math.floor(rnd() * 240_000);
    const d = DEVICES[Math.floor(rnd() * DEVICES.length)] as DeviceInfo;
    const x = rnd();
    const prev = last.get(d.id);
    if (x < 0.55) {
      const r: Reading = { device: d.id, kind: d.kind, ts: now - Math.floor(rnd() * 5000), seq: i, values: values(d.kind, rnd), ...(rnd() < 0.3 ? { battery: Math.round(rnd() * 40) } : {}) };
      last.set(d.id, r);
      steps.push({ kind: 'reading', d, r, now });
    } else if (x < 0.62 && prev) {
      steps.push({ kind: 'reading', d, r: structuredClone(prev), now }); // the same reading again (a re-send)
    } else if (x < 0.67 && prev) {
      steps.push({ kind: 'reading', d, r: { ...structuredClone(prev), ts: prev.ts - 60_000, seq: i }, now }); // back-dated
    } else if (x < 0.75) {
      const cause = (['connect', 'lwt', 'disconnect'] as const)[Math.floor(rnd() * 3)] as 'connect' | 'lwt' | 'disconnect';
      steps.push({ kind: 'presence', d, online: cause === 'connect', cause, now });
    } else if (x < 0.8) {
      steps.push({ kind: 'event', d, now });
    } else {
      steps.push({ kind: 'tick', now });
    }
  }
  return steps;
}

function run(e: RuleEngine, s: Step): RuleTransition[] {
  switch (s.kind) {
    case 'reading': return e.onReading(s.r, s.d, s.now);
    case 'presence': return e.onPresence({ device: s.d.id, ts: s.now, online: s.online, cause: s.cause }, s.d, s.now);
    case 'event': return e.onEvent({ device: s.d.id, ts: s.now, type: 'tamper' }, s.d, s.now);
    case 'tick': return e.tick(s.now);
  }
}

const show = (ts: RuleTransition[]): string[] => ts.map((t) => `${t.device.id}:${t.rule.id}:${t.transition}@${t.ts}:${JSON.stringify(t.trigger)}`);
// transitions of one tick whose deadlines are equal come out in heap order; the case layer sorts them (bySeverity)
const same = (ts: RuleTransition[]): string[] => show(ts).sort();

/** Hands the state of every device from `from` to a fresh engine through the stored (JSON) form. */
function handOver(from: RuleEngine, now: number, overrides?: RuleSpec[]): RuleEngine {
  const to = engine(overrides);
  for (const d of DEVICES) {
    const snap = from.exportDevice(d.id);
    if (!snap) continue;
    const stored = decodeSnapshot(encodeSnapshot(snap));
    expect(stored).toBeDefined();
    if (stored) to.importDevice(d, stored, now);
  }
  return to;
}

describe('rule engine state export / import', () => {
  it('an engine that imports the state behaves as the original would have, input for input (200 random scripts)', () => {
    let compared = 0;
    let differedWithoutImport = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const steps = script(seed, 160);
      const cut = 20 + (seed % 120);
      const a = engine();
      for (const d of DEVICES) a.addDevice(d, steps[0]?.now ?? 0);
      for (const s of steps.slice(0, cut)) run(a, s);
      const cutNow = steps[cut - 1]?.now ?? 0;
      const b = handOver(a, cutNow);
      const fresh = engine(); // the control: a leader without the state
      for (const d of DEVICES) fresh.addDevice(d, cutNow);
      let differed = false;
      for (const s of steps.slice(cut)) {
        const want = same(run(a, s));
        expect(same(run(b, s)), `seed ${seed}, step ${s.kind} at ${s.now}`).toEqual(want);
        if (same(run(fresh, s)).join() !== want.join()) differed = true;
        compared += want.length;
      }
      expect(b.nextDeadline()).toBe(a.nextDeadline());
      if (differed) differedWithoutImport++;
    }
    expect(compared).toBeGreaterThan(500); // the scripts do raise and clear
    expect(differedWithoutImport).toBeGreaterThan(100); // and the state matters for most of them
  });

  it('keeps a `for` duration under way: the new engine raises when it was due, with no new reading', () => {
    const a = engine();
    const d = DEVICES[2] as DeviceInfo; // water-leak: for 30s
    a.addDevice(d, 0);
    expect(a.onReading({ device: d.id, kind: 'water', ts: 10_000, values: { leak: true, level_mm: 0 } }, d, 10_000)).toEqual([]);
    const b = handOver(a, 15_000);
    expect(b.nextDeadline()).toBe(40_000);
    expect(show(b.tick(40_000))).toEqual(['w1:water-leak:raise@40000:{"timer":true,"at":40000}']);
  });

  it('does not evaluate a reading twice: readings replayed after the hand-over raise nothing', () => {
    const a = engine();
    const d = DEVICES[0] as DeviceInfo;
    a.addDevice(d, 0);
    const high: Reading = { device: d.id, kind: 'gas', ts: 5000, seq: 7, values: { lel: 30 } };
    const low: Reading = { device: d.id, kind: 'gas', ts: 100_000, seq: 8, values: { lel: 2 } };
    expect(a.onReading(high, d, 5000).map((t) => t.rule.id)).toEqual(['gas-warning', 'gas-critical']);
    expect(a.onReading(low, d, 100_000).map((t) => `${t.rule.id}:${t.transition}`)).toEqual(['gas-warning:clear', 'gas-critical:clear']);
    const b = handOver(a, 101_000);
    // the stream replays entries the old leader handled but had not acked: no second raise
    expect(b.onReading(structuredClone(high), d, 101_000)).toEqual([]);
    expect(b.onReading(structuredClone(low), d, 101_000)).toEqual([]);
    // a different reading with the same time as the last one is still evaluated (a batch stamped in one ms)
    expect(b.onReading({ ...low, seq: 9, values: { lel: 40 } }, d, 102_000).map((t) => t.rule.id)).toEqual(['gas-warning', 'gas-critical']);
  });

  it('keeps the no-data liveness: the offline deadline does not restart at the hand-over', () => {
    const a = engine();
    const d = DEVICES[1] as DeviceInfo; // smoke, 120 s interval: silence threshold max(3 x 120 s, 5 min) = 6 min
    a.addDevice(d, 0);
    a.onReading({ device: d.id, kind: 'smoke', ts: 60_000, values: { alarm: false, obscuration: 0 } }, d, 60_000);
    const b = handOver(a, 300_000);
    expect(b.nextDeadline()).toBe(a.nextDeadline());
    expect(b.tick(360_000)).toEqual([]); // the first deadline only re-checks: data came at 60 s
    expect(b.nextDeadline()).toBe(60_000 + 360_000);
    expect(show(b.tick(420_000)).map((s) => s.split('@')[0])).toEqual(['s1:offline:raise']);
  });

  it('a rule changed since the snapshot starts afresh but stays active; a rule gone is ignored', () => {
    const a = engine();
    const d = DEVICES[0] as DeviceInfo;
    a.addDevice(d, 0);
    a.onReading({ device: d.id, kind: 'gas', ts: 1000, values: { lel: 30 } }, d, 1000);
    a.onReading({ device: d.id, kind: 'gas', ts: 2000, values: { co_ppm: 120 } }, d, 2000); // co-critical: for 10m, under way
    const stricter: RuleSpec = { id: 'gas-warning', kind: 'gas', severity: 'warning', condition: { type: 'threshold', field: 'lel', op: 'gte', raise: 8, clear: 4 }, title: { zh: '燃气', en: 'Gas' } } as RuleSpec;
    const b = handOver(a, 3000, [stricter]);
    expect(b.isActive(d.id, 'gas-warning')).toBe(true); // changed: fresh, still active, so its case can clear
    expect(b.isActive(d.id, 'gas-critical')).toBe(true); // unchanged: its state
    expect(show(b.tick(602_000)).map((s) => s.split('@')[0]).filter((s) => s !== 'g1:offline:raise')).toEqual(['g1:co-critical:raise']); // the `for` went on
    expect(b.onReading({ device: d.id, kind: 'gas', ts: 700_000, values: { lel: 3 } }, d, 700_000).map((t) => `${t.rule.id}:${t.transition}`).filter((s) => !s.startsWith('offline'))).toEqual(['gas-warning:clear', 'gas-critical:clear']);
  });

  it('the stored form: stable spec keys, nothing lost for a device with no reading yet, garbage refused', () => {
    const a = engine();
    const d = DEVICES[3] as DeviceInfo;
    a.addDevice(d, 0);
    const snap = a.exportDevice(d.id);
    expect(snap?.evaluatedTs).toBeNull();
    expect(decodeSnapshot(encodeSnapshot(snap as NonNullable<typeof snap>))).toEqual(snap);
    expect(a.exportDevice('nope')).toBeUndefined();
    expect(specKey({ b: 1, a: { d: 2, c: [3, { f: 1, e: 2 }] } } as unknown as RuleSpec)).toBe('{"a":{"c":[3,{"e":2,"f":1}],"d":2},"b":1}');
    for (const bad of ['', 'null', '{"v":2,"rules":[],"atTs":[],"evaluatedTs":null}', '{"v":1,"rules":[{"id":1}],"atTs":[],"evaluatedTs":null}', '{"v":1,"rules":[],"atTs":[],"evaluatedTs":"x"}']) {
      expect(decodeSnapshot(bad), bad).toBeUndefined();
    }
  });
});
