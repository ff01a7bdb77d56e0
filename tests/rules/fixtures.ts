// Shared builders for the rules tests (not a test file itself).
import type { DeviceInfo, FieldValue, KindName, NoiseZone, Reading } from '../../src/core/domain.js';
import type { RuleSpec } from '../../src/core/rule-spec.js';
import { compileRule, initialState, step } from '../../src/rules/evaluate.js';
import { localTime } from '../../src/rules/localtime.js';
import type { RuleContext, RuleInput, RuleState, Transition } from '../../src/rules/types.js';

export function device(kind: KindName, over: Partial<DeviceInfo> = {}): DeviceInfo {
  return {
    id: `${kind}-1`, kind, intervalS: 60, secretHash: 'x', street: 's1', community: 'c1', grid: 'g1', building: 'b1',
    noiseZone: '1' as NoiseZone, ...over,
  };
}

export function ctxFor(d: DeviceInfo, tz = 'Asia/Shanghai'): RuleContext {
  return { local: localTime(tz), device: d };
}

export function reading(d: DeviceInfo, ts: number, values: Record<string, FieldValue>, battery?: number): RuleInput {
  const r: Reading = { device: d.id, kind: d.kind, ts, values, ...(battery === undefined ? {} : { battery }) };
  return { type: 'reading', reading: r };
}

/** Drives one rule through a script of inputs and returns the transitions with their times. */
export class RuleRig {
  readonly compiled;
  readonly ctx: RuleContext;
  readonly st: RuleState;
  constructor(readonly spec: RuleSpec, readonly d: DeviceInfo, now = 0, tz = 'Asia/Shanghai') {
    this.compiled = compileRule(spec);
    this.ctx = ctxFor(d, tz);
    this.st = initialState(this.compiled, this.ctx, now);
  }
  read(ts: number, values: Record<string, FieldValue>, battery?: number): Transition | undefined {
    return step(this.compiled, this.st, reading(this.d, ts, values, battery), ts, this.ctx);
  }
  tick(now: number): Transition | undefined {
    return step(this.compiled, this.st, { type: 'tick' }, now, this.ctx);
  }
  input(input: RuleInput, now: number): Transition | undefined {
    return step(this.compiled, this.st, input, now, this.ctx);
  }
}

/** 2026-01-15 (a Thursday) at HH:MM Beijing time, in ms. */
export function shanghai(hh: number, mm = 0, dayOffset = 0): number {
  return Date.UTC(2026, 0, 15 + dayOffset, hh - 8, mm);
}
