import { describe, expect, it } from 'vitest';
import { AckMuter, Deduper, dedupKey, routeMuter } from '../../src/notify/stages.js';
import type { Channel } from '../../src/notify/types.js';
import { T0, makeNotification } from './fixtures.js';

const channel = (over: Partial<Channel> = {}): Channel => ({ id: 'c', type: 'webhook', maxAttempts: 1, send: async () => ({ ok: true }), ...over });

describe('routeMuter', () => {
  it('passes everything on an unrouted channel', () => {
    expect(routeMuter.muted(makeNotification({}, { severity: 'info' }), channel())).toBeUndefined();
  });

  it('mutes below the minimum severity', () => {
    const ch = channel({ minSeverity: 'warning' });
    expect(routeMuter.muted(makeNotification({}, { severity: 'info' }), ch)).toMatch(/severity info below warning/);
    expect(routeMuter.muted(makeNotification({}, { severity: 'warning' }), ch)).toBeUndefined();
    expect(routeMuter.muted(makeNotification({}, { severity: 'critical' }), ch)).toBeUndefined();
    expect(routeMuter.muted(makeNotification({}, { severity: 'warning' }), channel({ minSeverity: 'critical' }))).toBeDefined();
  });

  it('mutes grids the channel does not serve', () => {
    const ch = channel({ grids: ['lty-2'] });
    expect(routeMuter.muted(makeNotification(), ch)).toMatch(/grid lty-1/);
    expect(routeMuter.muted(makeNotification({}, { grid: 'lty-2' }), ch)).toBeUndefined();
  });
});

describe('AckMuter', () => {
  it('mutes stale notifications of an acknowledged case, not later ones or other cases', () => {
    const m = new AckMuter();
    const n = makeNotification();
    expect(m.muted(n)).toBeUndefined();
    m.mark('c-0001', T0 + 1000);
    expect(m.muted(n)).toBe('case acknowledged');
    expect(m.muted(makeNotification({}, { id: 'c-0002' }))).toBeUndefined();
    const reopened = makeNotification({ reason: 'reopened', entry: { seq: 9, caseId: 'c-0001', ts: T0 + 2000, actor: 'system', action: 'reopened' } });
    expect(m.muted(reopened)).toBeUndefined();
  });

  it('lets notices about the case no longer open through', () => {
    const m = new AckMuter();
    m.mark('c-0001', T0 + 1000);
    expect(m.muted(makeNotification({}, { state: 'acknowledged' }))).toBeUndefined();
  });

  it('forgets old marks', () => {
    const m = new AckMuter();
    m.mark('c-0001', T0);
    m.prune(T0 + 1);
    expect(m.muted(makeNotification())).toBeUndefined();
  });
});

describe('Deduper', () => {
  it('claims a key once per window and forgets released keys', () => {
    const d = new Deduper(1000);
    const k = dedupKey(makeNotification());
    expect(d.claim(k, 0)).toBe(true);
    expect(d.claim(k, 999)).toBe(false);
    expect(d.claim(k, 1000)).toBe(true);
    d.release(k);
    expect(d.claim(k, 1001)).toBe(true);
  });

  it('keys on case, ledger entry, step, reason, state and severity', () => {
    const a = dedupKey(makeNotification());
    expect(dedupKey(makeNotification({ step: 1 }))).not.toBe(a);
    expect(dedupKey(makeNotification({}, { severity: 'warning' }))).not.toBe(a);
    expect(dedupKey(makeNotification({ reason: 'reopened' }))).not.toBe(a);
    expect(dedupKey(makeNotification({}, { id: 'c-2' }))).not.toBe(a);
    expect(dedupKey(makeNotification({ entry: { seq: 7, caseId: 'c-0001', ts: 1, actor: 'system', action: 'opened' } }))).not.toBe(a);
    expect(dedupKey(makeNotification({ entry: { seq: 1, caseId: 'c-0001', ts: 1, actor: 'system', action: 'opened' } }))).toBe(a);
  });
});
