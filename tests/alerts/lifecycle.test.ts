import { describe, expect, it } from 'vitest';
import type { CaseState } from '../../src/core/alert-types.js';
import { GridwatchError } from '../../src/core/errors.js';
import { type CaseAction, canTransition, nextState } from '../../src/alerts/lifecycle.js';

describe('case lifecycle', () => {
  it('walks open → acknowledged → resolved → closed, and resolved → open on reopen', () => {
    expect(nextState('a', 'open', 'acknowledge')).toBe('acknowledged');
    expect(nextState('a', 'acknowledged', 'resolve')).toBe('resolved');
    expect(nextState('a', 'open', 'resolve')).toBe('resolved');
    expect(nextState('a', 'resolved', 'close')).toBe('closed');
    expect(nextState('a', 'resolved', 'reopen')).toBe('open');
  });
  const invalid: [CaseState, CaseAction][] = [
    ['acknowledged', 'acknowledge'], ['resolved', 'acknowledge'], ['closed', 'acknowledge'], ['open', 'close'],
    ['acknowledged', 'close'], ['closed', 'close'], ['closed', 'resolve'], ['resolved', 'resolve'], ['open', 'reopen'], ['closed', 'reassign'],
  ];
  it.each(invalid)('%s cannot %s (GW_ERR_ALERT_TRANSITION)', (from, action) => {
    expect(canTransition(from, action)).toBe(false);
    try {
      nextState('case-1', from, action);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(GridwatchError);
      expect((e as GridwatchError).code).toBe('GW_ERR_ALERT_TRANSITION');
      expect((e as GridwatchError).message).toContain('case-1');
    }
  });
  it('comments are allowed in every state', () => {
    for (const s of ['open', 'acknowledged', 'resolved', 'closed'] as const) expect(nextState('a', s, 'comment')).toBe(s);
  });
});
