// owedNotifications (pure): which notifications a channel still owes, from a case's ledger alone.
import { describe, expect, it } from 'vitest';
import type { LedgerAction, LedgerEntry } from '../../src/core/alert-types.js';
import { owedNotifications } from '../../src/alerts/owed.js';

type Spec = [LedgerAction, Record<string, unknown>?];

/** A ledger written in this order (seq 1, 2, ...). */
function ledger(...specs: Spec[]): LedgerEntry[] {
  return specs.map(([action, data], i) => ({ seq: i + 1, caseId: 'c1', ts: 1000 + i, actor: 'system', action, ...(data ? { data } : {}) }));
}

const OPEN = { state: 'open' as const };
const esc = (step: number, recipients = ['hantao']): Spec => ['escalated', { step, to: 'grid_worker', level: 'grid_worker', recipients }];
const notified = (channel: string, entry: number, step = 0): Spec => ['notified', { channel, type: 'webhook', entry, step, reason: 'opened', attempt: 1 }];
const failed = (channel: string, entry: number, final: boolean, step = 0): Spec => ['delivery_failed', { channel, type: 'webhook', entry, step, reason: 'opened', final, ...(final ? { deadLetter: true } : { retryInMs: 1000 }) }];
const owedSeqs = (c: Parameters<typeof owedNotifications>[0], l: LedgerEntry[], channel = 'hook'): number[] => owedNotifications(c, l, channel).map((o) => o.entry.seq);

describe('owedNotifications', () => {
  it('an escalation step with no record for the channel is owed, with its step, reason and recipients', () => {
    const l = ledger(['opened'], esc(0, ['hantao', 'lead']));
    expect(owedNotifications(OPEN, l, 'hook')).toEqual([{ entry: l[1], step: 0, reason: 'opened', recipients: ['hantao', 'lead'], fallback: false }]);
  });

  it('settled by a notified record or a final delivery_failed (dead letter) for that channel and entry', () => {
    expect(owedSeqs(OPEN, ledger(['opened'], esc(0), notified('hook', 2)))).toEqual([]);
    expect(owedSeqs(OPEN, ledger(['opened'], esc(0), failed('hook', 2, true)))).toEqual([]);
  });

  it('not settled by failed attempts that were to be retried (final: false)', () => {
    expect(owedSeqs(OPEN, ledger(['opened'], esc(0), failed('hook', 2, false), failed('hook', 2, false)))).toEqual([2]);
  });

  it('per channel: another channel\'s record settles nothing here', () => {
    const l = ledger(['opened'], esc(0), notified('wecom', 2), failed('ding', 2, true));
    expect(owedSeqs(OPEN, l, 'hook')).toEqual([2]);
    expect(owedSeqs(OPEN, l, 'wecom')).toEqual([]);
    expect(owedSeqs(OPEN, l, 'ding')).toEqual([]);
  });

  it('per step: the record of step 0 does not settle step 1', () => {
    const l = ledger(['opened'], esc(0), notified('hook', 2), esc(1));
    expect(owedNotifications(OPEN, l, 'hook').map((o) => [o.entry.seq, o.step, o.reason])).toEqual([[4, 1, 'escalated']]);
  });

  it('a record naming another entry does not settle this one (step 0 again after a re-open)', () => {
    const l = ledger(['opened'], esc(0), ['reopened'], esc(0), notified('hook', 2));
    expect(owedSeqs({ state: 'open', reopenedAt: 5 }, l)).toEqual([4]);
  });

  it('nothing is owed unless the case is open', () => {
    const l = ledger(['opened'], esc(0));
    for (const state of ['acknowledged', 'resolved', 'closed'] as const) expect(owedSeqs({ state }, l)).toEqual([]);
  });

  it('what came before the case last left open (acknowledged, resolved, closed) is stale: only later ones are owed', () => {
    for (const end of ['acknowledged', 'resolved', 'closed'] as const) {
      const l = ledger(['opened'], esc(0), esc(1), [end], ['severity_raised'], esc(0));
      expect(owedSeqs(OPEN, l)).toEqual([6]);
    }
  });

  it('step 0 says opened, or reopened once the case has re-opened; later steps say escalated', () => {
    const l = ledger(['opened'], esc(0), esc(1), esc(2));
    expect(owedNotifications(OPEN, l, 'hook').map((o) => o.reason)).toEqual(['opened', 'escalated', 'escalated']);
    expect(owedNotifications({ state: 'open', reopenedAt: 1 }, l, 'hook').map((o) => o.reason)).toEqual(['reopened', 'escalated', 'escalated']);
  });

  it('a step that went up the chain because no one was on duty is a fallback', () => {
    const l = ledger(['opened'], ['no_one_on_duty', { asked: 'grid_worker', reached: 'grid_leader' }], esc(0, ['lead']));
    expect(owedNotifications(OPEN, l, 'hook')).toMatchObject([{ entry: { seq: 3 }, fallback: true, recipients: ['lead'] }]);
  });

  it('a reassignment is owed to the new person, at the step the case had reached', () => {
    const specs: Spec[] = [['opened'], esc(0), notified('hook', 2), esc(1), notified('hook', 4, 1), ['reassigned', { person: 'lead' }]];
    const l = ledger(...specs);
    expect(owedNotifications(OPEN, l, 'hook')).toEqual([{ entry: l[5], step: 1, reason: 'reassigned', recipients: ['lead'], fallback: false }]);
    expect(owedSeqs(OPEN, ledger(...specs, notified('hook', 6, 1)))).toEqual([]);
  });

  it('a re-open or a raised severity starts the steps again (a reassignment then is at step -1)', () => {
    const l = ledger(['opened'], esc(0), esc(1), ['severity_raised'], ['reassigned', { person: 'lead' }]);
    expect(owedNotifications(OPEN, l, 'hook').map((o) => [o.entry.seq, o.step])).toEqual([[2, 0], [3, 1], [5, -1]]);
  });

  it('records written before they named their entry: the same step settles it; a dead letter of then (no step) settles what came before', () => {
    const legacyNotified: Spec = ['notified', { channel: 'hook', type: 'webhook', step: 0, reason: 'opened', attempt: 1 }];
    const legacyDead: Spec = ['delivery_failed', { channel: 'hook', type: 'webhook', final: true, deadLetter: true }];
    expect(owedSeqs(OPEN, ledger(['opened'], esc(0), legacyNotified))).toEqual([]);
    expect(owedSeqs(OPEN, ledger(['opened'], esc(0), esc(1), legacyNotified))).toEqual([3]);
    expect(owedSeqs(OPEN, ledger(['opened'], esc(0), esc(1), legacyDead, esc(2)))).toEqual([5]);
  });

  it('a record written before its entry settles nothing; command records and other entries are not notifications', () => {
    const l = ledger(['opened'], notified('hook', 3), esc(0), ['command_sent', { device: 'v', command: {} }], ['delivery_failed', { commandId: 'x', final: true }], ['commented'], ['seen']);
    expect(owedSeqs(OPEN, l)).toEqual([3]);
  });

  it('an empty ledger or a silenced case owes nothing', () => {
    expect(owedSeqs(OPEN, [])).toEqual([]);
    expect(owedSeqs(OPEN, ledger(['opened'], ['silenced', { silence: 's1' }]))).toEqual([]);
  });
});
