// No data: the one definition of offline (src/core/offline.ts) as a rule condition — silent for
// factor × the device's report interval (at least minSilence), or a dropped connection (Last Will,
// keep-alive timeout) not followed by a reconnect or data within the grace. A clean DISCONNECT is
// not an outage. Any accepted message clears it — even one that races the deadline
// (thingsboard #7909, shared/lessons.md). Uses the hub's receive time.
import type { Condition } from '../../core/rule-spec.js';
import { parseDuration } from '../../core/rule-spec.js';
import { liveness, noteData, notePresence, offlineDeadline, silenceThresholdMs, type Liveness, type OfflinePolicy } from '../../core/offline.js';
import type { ConditionImpl, RuleContext } from '../types.js';
import { VERDICT } from './threshold.js';

type NoData = Extract<Condition, { type: 'noData' }>;

export type NoDataState = Liveness;

const parsed = new WeakMap<NoData, OfflinePolicy>();

/** The rule's parameters as an offline policy (parsed once per condition object). */
export function policyOf(cond: NoData): OfflinePolicy {
  let p = parsed.get(cond);
  if (!p) parsed.set(cond, (p = { factor: cond.factor ?? 3, minSilenceMs: parseDuration(cond.minSilence), graceMs: parseDuration(cond.grace) }));
  return p;
}

export function silenceMs(cond: NoData, ctx: RuleContext): number {
  return silenceThresholdMs(ctx.device.intervalS, policyOf(cond));
}

export function noDataDeadline(cond: NoData, s: NoDataState, ctx: RuleContext): number {
  return offlineDeadline(s, ctx.device.intervalS, policyOf(cond));
}

export const noData: ConditionImpl<NoData, NoDataState> = {
  init: (_c, _ctx, now) => liveness(now),
  step(cond, s, input, _t, ctx, now) {
    switch (input.type) {
      case 'reading':
      case 'event':
        noteData(s, now);
        return { verdict: 'low', wakeAt: noDataDeadline(cond, s, ctx) };
      case 'presence':
        notePresence(s, input.event, now);
        return { verdict: 'none', wakeAt: noDataDeadline(cond, s, ctx) };
      case 'tick': {
        const deadline = noDataDeadline(cond, s, ctx);
        return now >= deadline ? VERDICT.HIGH : { verdict: 'none', wakeAt: deadline };
      }
    }
  },
};
