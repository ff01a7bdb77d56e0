// Shared vocabulary of the rules engine: inputs, per-rule state, condition modules.
import type { DeviceEvent, DeviceInfo, PresenceEvent, Reading } from '../core/domain.js';
import type { Condition, RuleSpec } from '../core/rule-spec.js';
import type { LocalTime } from './localtime.js';

export type RuleInput =
  | { type: 'reading'; reading: Reading }
  | { type: 'presence'; event: PresenceEvent }
  | { type: 'event'; event: DeviceEvent }
  | { type: 'tick' };

export interface RuleContext {
  /** IANA time zone of the site, through a cached converter */
  local: LocalTime;
  device: DeviceInfo;
}

/** 'high': the raise condition holds; 'low': the clear condition holds; 'none': no news. */
export type Verdict = 'high' | 'low' | 'none';

export interface CondResult {
  verdict: Verdict;
  /** when the condition wants to be looked at again without new input (ms) */
  wakeAt?: number;
  /** true for momentary conditions (device events): raise, then forget */
  pulse?: boolean;
}

export interface ConditionImpl<C extends Condition, S> {
  init(cond: C, ctx: RuleContext, now: number): S;
  /** t: the input's own time (reading ts, event ts, or now for ticks); now: the hub's clock */
  step(cond: C, s: S, input: RuleInput, t: number, ctx: RuleContext, now: number): CondResult;
}

export interface RuleState {
  active: boolean;
  /** when the alert was raised */
  raisedAt: number;
  /** since when the raise condition has held ('for') */
  highSince: number | undefined;
  /** the last verdict was 'low' (a clear waiting for minHold) */
  lowPending: boolean;
  /** the earliest deadline queued for this rule in the engine's heap */
  scheduledAt: number | undefined;
  /** the next time this rule wants a tick */
  wakeAt: number | undefined;
  /** the condition's own small state */
  cond: unknown;
}

export type Transition = 'raise' | 'clear';

export interface EvalResult {
  state: RuleState;
  transition?: Transition;
}

/** A rule with its durations parsed once. */
export interface CompiledRule {
  spec: RuleSpec;
  forMs: number;
  minHoldMs: number;
  /** local minutes of day [from, to); may cross midnight */
  window: { from: number; to: number } | undefined;
  /**
   * whether a presence change can move it: no-data, or a rule with a window (outside it any input
   * reads as clear). Every other condition reads presence as no news, so the engine skips it.
   */
  presence: boolean;
  /**
   * whether a reading can move it: every condition but a device event's (a pulse on its event,
   * never active, so a reading, inside its window or out, changes nothing): the engine skips it.
   */
  reading: boolean;
}
