import { describe, expect, it } from 'vitest';
import { isDrop, judgementOf, isOffline, liveness, noteData, notePresence, offlineDeadline, offlinePolicy, pendingOutage, replayOutages, silenceThresholdMs, type LivenessStep } from '../../src/core/offline.js';

const MIN = 60_000;
const data = (ts: number): LivenessStep => ({ ts, kind: 'data' });
const pres = (ts: number, online: boolean, cause: 'connect' | 'lwt' | 'disconnect' | 'timeout'): LivenessStep => ({ ts, kind: 'presence', online, cause });

describe('the one definition of offline', () => {
  it('silence threshold is max(3 x interval, 5 min)', () => {
    expect(silenceThresholdMs(60)).toBe(5 * MIN);
    expect(silenceThresholdMs(7200)).toBe(6 * 60 * MIN);
    expect(silenceThresholdMs(60, offlinePolicy({ factor: 10 }))).toBe(10 * MIN);
  });
  it('only lwt and keep-alive timeout are drops; a clean disconnect is not', () => {
    expect(isDrop('lwt')).toBe(true);
    expect(isDrop('timeout')).toBe(true);
    expect(isDrop('disconnect')).toBe(false);
    expect(isDrop('connect')).toBe(false);
  });
  it('a clean disconnect leaves the device judged by silence alone', () => {
    const s = liveness(0);
    noteData(s, 1000);
    notePresence(s, { online: false, cause: 'disconnect' }, 2000);
    expect(offlineDeadline(s, 7200)).toBe(1000 + 6 * 60 * MIN);
    expect(isOffline(s, 7200, 3 * MIN)).toBe(false);
    expect(isOffline(s, 7200, 1000 + 6 * 60 * MIN)).toBe(true);
  });
  it('a drop is offline after the 2-minute grace, from the drop; a reconnect or data within the grace cancels it', () => {
    for (const cause of ['lwt', 'timeout'] as const) {
      const s = liveness(0);
      notePresence(s, { online: false, cause }, 10_000);
      expect(isOffline(s, 60, 10_000 + 2 * MIN - 1)).toBe(false);
      expect(isOffline(s, 60, 10_000 + 2 * MIN)).toBe(true);
      expect(pendingOutage(s, judgementOf(60))).toEqual({ start: 10_000, cause, judgedAt: 10_000 + 2 * MIN });
      notePresence(s, { online: true, cause: 'connect' }, 20_000);
      expect(isOffline(s, 60, 10_000 + 2 * MIN)).toBe(false);
    }
  });
  it('a connect alone is not data: a connected but silent device still falls silent', () => {
    const s = liveness(0);
    notePresence(s, { online: true, cause: 'connect' }, 4 * MIN);
    expect(isOffline(s, 60, 5 * MIN)).toBe(true);
    expect(pendingOutage(s, judgementOf(60))).toMatchObject({ start: 5 * MIN, cause: 'silent' });
  });
});

describe('replayOutages (the audit recomputation of the live judgement)', () => {
  it('battery sensor: connect, report, clean disconnect every 2 h is never offline', () => {
    const steps: LivenessStep[] = [];
    for (let t = 0; t < 86_400_000; t += 7_200_000) steps.push(pres(t, true, 'connect'), data(t + 1000), pres(t + 2000, false, 'disconnect'));
    expect(replayOutages(liveness(0), steps, judgementOf(7200), 86_400_000).outages).toEqual([]);
  });
  it('a drop longer than the grace is an outage from the drop until the next data; a shorter one a reconnect', () => {
    const r = replayOutages(liveness(0), [data(0), pres(MIN, false, 'lwt'), pres(2 * MIN, true, 'connect'), data(2.5 * MIN), data(6 * MIN), data(9.5 * MIN),
      pres(10 * MIN, false, 'lwt'), pres(20 * MIN, true, 'connect'), data(21 * MIN), data(24 * MIN)], judgementOf(60), 25 * MIN);
    expect(r.reconnects).toBe(1);
    expect(r.outages).toEqual([{ start: 10 * MIN, end: 21 * MIN, cause: 'lwt' }]);
  });
  it('a silence is an outage from last data + threshold; one open at the end runs to `to`', () => {
    const r = replayOutages(liveness(0), [data(0), data(20 * MIN)], judgementOf(60), 60 * MIN);
    expect(r.outages).toEqual([{ start: 5 * MIN, end: 20 * MIN, cause: 'silent' }, { start: 25 * MIN, end: 60 * MIN, cause: 'silent' }]);
    expect(r.open).toBe(true);
  });
  it('data exactly at the deadline wins (as the live hub: the reading is handled before the timer)', () => {
    expect(replayOutages(liveness(0), [data(0), data(5 * MIN)], judgementOf(60), 9 * MIN).outages).toEqual([]);
  });
});
