import { describe, expect, it } from 'vitest';
import type { RuleSpec } from '../../src/core/rule-spec.js';
import { compileRule, evaluate, initialState } from '../../src/rules/evaluate.js';
import { DeadlineHeap } from '../../src/rules/heap.js';
import { ctxFor, device, reading, shanghai } from './fixtures.js';

const spec: RuleSpec = { id: 'g', severity: 'warning', condition: { type: 'threshold', field: 'lel', op: 'gte', raise: 10, clear: 5 }, for: '1m' };

describe('evaluate (pure API)', () => {
  it('returns the next state and leaves the given state untouched', () => {
    const d = device('gas');
    const ctx = ctxFor(d);
    const rule = compileRule(spec);
    const s0 = initialState(rule, ctx, 0);
    const r1 = evaluate(rule, s0, reading(d, 0, { lel: 12 }), 0, ctx);
    expect(r1.transition).toBeUndefined();
    expect(r1.state.highSince).toBe(0);
    expect(s0.highSince).toBeUndefined();
    const r2 = evaluate(rule, r1.state, { type: 'tick' }, 60_000, ctx);
    expect(r2).toMatchObject({ transition: 'raise', state: { active: true, raisedAt: 60_000 } });
    expect(r1.state.active).toBe(false);
  });
  it('a sustained condition that leaves its window before `for` elapses never raises', () => {
    const d = device('noise', { noiseZone: '1' });
    const ctx = ctxFor(d);
    const rule = compileRule({ id: 'n', severity: 'warning', condition: { type: 'zoneLimit', field: 'laeq', margin: 0, indoor: false }, window: { from: '22:00', to: '06:00' }, for: '15m' });
    let st = initialState(rule, ctx, 0);
    st = evaluate(rule, st, reading(d, shanghai(5, 50, 1), { laeq: 60 }), shanghai(5, 50, 1), ctx).state;
    expect(st.wakeAt).toBe(shanghai(6, 0, 1)); // the window end comes before the 15 minutes
    const r = evaluate(rule, st, { type: 'tick' }, shanghai(6, 0, 1), ctx);
    expect(r.transition).toBeUndefined();
    expect(r.state.highSince).toBeUndefined();
  });
});

describe('DeadlineHeap', () => {
  it('pops in deadline order', () => {
    const h = new DeadlineHeap<number>();
    const ats = [50, 10, 40, 10, 30, 20, 60, 0];
    ats.forEach((at, i) => h.push(at, i));
    const out: number[] = [];
    for (let x = h.pop(); x; x = h.pop()) out.push(x.at);
    expect(out).toEqual([...ats].sort((a, b) => a - b));
    expect(h.size).toBe(0);
  });
});
