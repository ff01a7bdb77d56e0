// The generic part of every rule: active window (may cross midnight), sustained `for`, minimum
// hold (anti-flap) and the one-alert-per-rule state machine. Deterministic, no I/O, no clock.
import { parseDuration, type RuleSpec } from '../core/rule-spec.js';
import { conditionImpl } from './conditions/index.js';
import { clockMinutes, inWindow } from './localtime.js';
import type { CompiledRule, CondResult, EvalResult, RuleContext, RuleInput, RuleState, Transition } from './types.js';

export function compileRule(spec: RuleSpec): CompiledRule {
  return {
    spec,
    forMs: spec.for ? parseDuration(spec.for) : 0,
    minHoldMs: spec.minHold ? parseDuration(spec.minHold) : 0,
    window: spec.window ? { from: clockMinutes(spec.window.from), to: clockMinutes(spec.window.to) } : undefined,
    presence: spec.condition.type === 'noData' || spec.window !== undefined,
    reading: spec.condition.type !== 'event',
  };
}

export function initialState(rule: CompiledRule, ctx: RuleContext, now: number): RuleState {
  const cond = conditionImpl(rule.spec.condition).init(rule.spec.condition, ctx, now);
  const st: RuleState = { active: false, raisedAt: 0, highSince: undefined, lowPending: false, scheduledAt: undefined, wakeAt: undefined, cond };
  if (rule.spec.condition.type === 'noData') {
    // start the silence clock now: a device that never reports goes offline too
    const r = conditionImpl(rule.spec.condition).step(rule.spec.condition, cond, { type: 'presence', event: { device: ctx.device.id, ts: now, online: true, cause: 'connect' } }, now, ctx, now);
    st.wakeAt = r.wakeAt;
  }
  return st;
}

const OUTSIDE: CondResult = { verdict: 'low' };

function inputTime(input: RuleInput, now: number): number {
  switch (input.type) {
    case 'reading': return input.reading.ts;
    case 'tick': return now;
    default: return input.event.ts;
  }
}

function minOf(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}

/** ms from t to the next local minute `to` (the end of the rule's window) */
function windowEnd(t: number, minute: number, to: number): number {
  const ahead = (to - minute + 1440) % 1440 || 1440;
  return Math.floor(t / 60_000) * 60_000 + ahead * 60_000;
}

/**
 * Evaluates one rule for one input. Updates `st` in place (the engine owns it; tests pass a
 * fresh one) and returns the transition, if any. `st.wakeAt` says when a tick is wanted next.
 */
export function step(rule: CompiledRule, st: RuleState, input: RuleInput, now: number, ctx: RuleContext): Transition | undefined {
  const cond = rule.spec.condition;
  // no-data works on the hub's receive time: a buffered reading stamped long ago still clears it
  const t = cond.type === 'noData' ? now : inputTime(input, now);
  const minute = rule.window ? ctx.local.minuteOfDay(t) : 0;
  const outside = rule.window !== undefined && !inWindow(minute, rule.window.from, rule.window.to);
  // outside its window a rule reads as clear, and its condition sees nothing (a count window
  // must not collect daytime impulses); no-data still has to see every message
  const r = outside && cond.type !== 'noData' ? OUTSIDE : conditionImpl(cond).step(cond, st.cond, input, t, ctx, now);
  const verdict = outside ? 'low' : r.verdict;
  let wake = r.wakeAt;
  if (rule.window && !outside && (st.active || st.highSince !== undefined || verdict === 'high')) {
    wake = minOf(wake, windowEnd(t, minute, rule.window.to));
  }
  let transition: Transition | undefined;
  if (verdict === 'high') {
    st.lowPending = false;
    if (r.pulse) {
      transition = 'raise'; // momentary: raise, keep no state (the case layer dedups)
    } else if (!st.active) {
      if (st.highSince === undefined || t < st.highSince) st.highSince = t;
      if (t - st.highSince >= rule.forMs) transition = 'raise';
      else wake = minOf(wake, st.highSince + rule.forMs);
    }
  } else if (verdict === 'low') {
    st.highSince = undefined;
    if (st.active) {
      if (t - st.raisedAt >= rule.minHoldMs) transition = 'clear';
      else {
        st.lowPending = true;
        wake = minOf(wake, st.raisedAt + rule.minHoldMs);
      }
    }
  } else if (input.type === 'tick') {
    // no news: the last verdict still stands; see whether a timer it set has come due
    if (!st.active && st.highSince !== undefined) {
      if (now - st.highSince >= rule.forMs) transition = 'raise';
      else wake = minOf(wake, st.highSince + rule.forMs);
    } else if (st.active && st.lowPending) {
      if (now - st.raisedAt >= rule.minHoldMs) transition = 'clear';
      else wake = minOf(wake, st.raisedAt + rule.minHoldMs);
    }
  } else if (input.type === 'reading') {
    st.lowPending = false; // back in the hysteresis band: not clear any more
  }
  if (transition === 'raise' && !r.pulse) {
    st.active = true;
    st.raisedAt = t > now ? now : t;
    st.highSince = undefined;
  } else if (transition === 'clear') {
    st.active = false;
    st.lowPending = false;
  }
  st.wakeAt = wake;
  return transition;
}

/** The pure API: `evaluate(rule, state, input, now, ctx) → { state', transition? }`. */
export function evaluate(rule: CompiledRule, state: RuleState, input: RuleInput, now: number, ctx: RuleContext): EvalResult {
  const next: RuleState = { ...state, cond: structuredClone(state.cond) };
  const transition = step(rule, next, input, now, ctx);
  return transition ? { state: next, transition } : { state: next };
}
