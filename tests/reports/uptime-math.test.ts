import { describe, expect, it } from 'vitest';
import { batteryStats, computeUptime, thresholdMs, unionWindows, type UptimeInput } from '../../src/reports/uptime-math.js';

const H = 3_600_000;
const M = 60_000;
const T0 = Date.UTC(2026, 0, 1);
const at = (h: number): number => T0 + h * H;
const hourly = (fromH: number, toH: number, offsetH = 0): number[] => Array.from({ length: toH - fromH + 1 }, (_, i) => at(fromH + i + offsetH));

function input(over: Partial<UptimeInput>): UptimeInput {
  return {
    from: at(0), to: at(24), thresholdMs: 3 * H, graceMs: 2 * M,
    presenceBefore: { ts: at(-48), online: true, cause: 'connect' }, presence: [],
    lastReadingBefore: at(-1), readings: [], battery: [], silences: [], ...over,
  };
}

describe('thresholdMs', () => {
  it('is k x interval, at least 5 minutes', () => {
    expect(thresholdMs(3600, 3)).toBe(3 * H);
    expect(thresholdMs(60, 3)).toBe(5 * M);
    expect(thresholdMs(120, 2.5)).toBe(5 * M);
    expect(thresholdMs(600, 2)).toBe(20 * M);
  });
});

describe('computeUptime', () => {
  it('a device reporting every hour all day is 100 % up with no intervals', () => {
    const r = computeUptime(input({ readings: hourly(0, 23) }));
    expect(r.uptimePct).toBe(100);
    expect(r.intervals).toEqual([]);
    expect(r.outages).toBe(0);
    expect(r.mttrMs).toBeNull();
    expect(r.firstSeen).toBeNull();
    expect(r.auditedMs).toBe(24 * H);
    expect(r.neverReported).toBe(false);
  });

  it('a gap longer than k x interval is offline from last reading + threshold until the next reading', () => {
    // readings 0..5h and 12..23h: gap 5h -> 12h, offline [8h, 12h)
    const r = computeUptime(input({ readings: [...hourly(0, 5), ...hourly(12, 23)] }));
    expect(r.intervals).toEqual([{ start: at(8), end: at(12), durationMs: 4 * H, cause: 'silent', planned: false, ongoing: false, startedBefore: false }]);
    expect(r.uptimePct).toBeCloseTo((100 * 20) / 24, 10);
    expect(r.outages).toBe(1);
    expect(r.longestMs).toBe(4 * H);
    expect(r.mttrMs).toBe(4 * H);
  });

  it('a gap shorter than the threshold is not an outage', () => {
    const r = computeUptime(input({ readings: [...hourly(0, 5), ...hourly(8, 23)] }));
    expect(r.intervals).toEqual([]);
  });

  it('an lwt before the silence threshold wins: offline from the lwt, cause lwt', () => {
    const r = computeUptime(input({
      readings: [...hourly(0, 5), ...hourly(12, 23)],
      presence: [{ ts: at(5.5), online: false, cause: 'lwt' }, { ts: at(12), online: true, cause: 'connect' }],
    }));
    expect(r.intervals).toHaveLength(1);
    expect(r.intervals[0]).toMatchObject({ start: at(5.5), end: at(12), cause: 'lwt', durationMs: 6.5 * H });
    expect(r.uptimePct).toBeCloseTo((100 * 17.5) / 24, 10);
  });

  it('a timeout presence event counts from its own time', () => {
    const r = computeUptime(input({
      readings: [...hourly(0, 5), ...hourly(12, 23)],
      presence: [{ ts: at(7), online: false, cause: 'timeout' }],
    }));
    expect(r.intervals).toEqual([{ start: at(7), end: at(12), durationMs: 5 * H, cause: 'timeout', planned: false, ongoing: false, startedBefore: false }]);
  });

  it('the next reading ends an lwt outage even without a connect event', () => {
    const r = computeUptime(input({ readings: [...hourly(0, 5), at(5.5), ...hourly(6, 23)], presence: [{ ts: at(5.25), online: false, cause: 'lwt' }] }));
    expect(r.intervals).toEqual([{ start: at(5.25), end: at(5.5), durationMs: 15 * M, cause: 'lwt', planned: false, ongoing: false, startedBefore: false }]);
  });

  it('an outage that began before the period starts at the period start and is left out of MTTR', () => {
    const r = computeUptime(input({
      presenceBefore: { ts: at(-2), online: false, cause: 'lwt' }, lastReadingBefore: at(-2.5),
      readings: hourly(3, 23),
    }));
    expect(r.intervals).toEqual([{ start: at(0), end: at(3), durationMs: 3 * H, cause: 'lwt', planned: false, ongoing: false, startedBefore: true }]);
    expect(r.outages).toBe(1);
    expect(r.mttrMs).toBeNull();
  });

  it('a silence that began before the period is clipped to the period start', () => {
    // last reading 5h before: silent since -2h
    const r = computeUptime(input({ lastReadingBefore: at(-5), readings: hourly(1, 23) }));
    expect(r.intervals).toEqual([{ start: at(0), end: at(1), durationMs: H, cause: 'silent', planned: false, ongoing: false, startedBefore: true }]);
  });

  it('an outage still open at the end is ongoing and left out of MTTR', () => {
    const r = computeUptime(input({ readings: hourly(0, 20) }));
    expect(r.intervals).toEqual([{ start: at(23), end: at(24), durationMs: H, cause: 'silent', planned: false, ongoing: true, startedBefore: false }]);
    expect(r.mttrMs).toBeNull();
    expect(r.longestMs).toBe(H);
  });

  it('a device never seen is offline all period with cause never_seen', () => {
    const r = computeUptime(input({ presenceBefore: null, lastReadingBefore: null }));
    expect(r.intervals).toEqual([{ start: at(0), end: at(24), durationMs: 24 * H, cause: 'never_seen', planned: false, ongoing: true, startedBefore: true }]);
    expect(r.uptimePct).toBe(0);
    expect(r.neverReported).toBe(true);
  });

  it('a device connected but never reporting is silent after the threshold and never reported', () => {
    const r = computeUptime(input({ presenceBefore: null, lastReadingBefore: null, presence: [{ ts: at(2), online: true, cause: 'connect' }] }));
    expect(r.firstSeen).toBe(at(2));
    expect(r.intervals).toEqual([{ start: at(5), end: at(24), durationMs: 19 * H, cause: 'silent', planned: false, ongoing: true, startedBefore: false }]);
    expect(r.neverReported).toBe(true);
    expect(r.auditedMs).toBe(22 * H);
  });

  it('a device added mid-period is audited from when it was first seen', () => {
    const r = computeUptime(input({ presenceBefore: null, lastReadingBefore: null, readings: hourly(6, 23) }));
    expect(r.firstSeen).toBe(at(6));
    expect(r.auditedMs).toBe(18 * H);
    expect(r.uptimePct).toBe(100);
    expect(r.intervals).toEqual([]);
  });

  it('flapping: an lwt drop shorter than the grace is a reconnect, a longer one an outage until the next reading (a connect alone is no data)', () => {
    const r = computeUptime(input({
      readings: hourly(0, 23, 0.5),
      lastReadingBefore: at(-0.5),
      presence: [
        { ts: at(2), online: false, cause: 'lwt' }, { ts: at(2) + M, online: true, cause: 'connect' },
        { ts: at(4), online: false, cause: 'lwt' }, { ts: at(4) + 10 * M, online: true, cause: 'connect' },
      ],
    }));
    expect(r.reconnects).toBe(1);
    expect(r.outages).toBe(1);
    expect(r.intervals).toEqual([{ start: at(4), end: at(4.5), durationMs: 30 * M, cause: 'lwt', planned: false, ongoing: false, startedBefore: false }]);
    expect(r.uptimePct).toBeCloseTo((100 * (1440 - 30)) / 1440, 10);
  });

  it('a drop just before the period, judged before it, is an outage from the period start until the next reading (a connect alone does not end it)', () => {
    const r = computeUptime(input({
      lastReadingBefore: at(-2), readings: hourly(1, 23),
      presenceBefore: { ts: at(0) - 1000, online: true, cause: 'connect' },
      presenceLead: [{ ts: at(-1) + 1000, online: false, cause: 'lwt' }, { ts: at(0) - 1000, online: true, cause: 'connect' }],
    }));
    expect(r.intervals).toEqual([{ start: at(0), end: at(1), durationMs: H, cause: 'lwt', planned: false, ongoing: false, startedBefore: true }]);
    expect(r.reconnects).toBe(0);
  });

  it('a clean disconnect is never an outage: between hourly reports nothing, before a long silence only the silence counts', () => {
    const nbiot = computeUptime(input({
      readings: hourly(0, 23),
      presence: hourly(0, 23).flatMap((t) => [{ ts: t - M, online: true, cause: 'connect' as const }, { ts: t + M, online: false, cause: 'disconnect' as const }]),
    }));
    expect(nbiot.intervals).toEqual([]);
    const dead = computeUptime(input({
      readings: [...hourly(0, 10), ...hourly(18, 23)],
      presence: [{ ts: at(10) + 5 * M, online: false, cause: 'disconnect' }],
    }));
    expect(dead.intervals).toEqual([{ start: at(13), end: at(18), durationMs: 5 * H, cause: 'silent', planned: false, ongoing: false, startedBefore: false }]);
  });

  it('offline time inside a silence is planned and left out of the uptime denominator', () => {
    const r = computeUptime(input({ readings: [...hourly(0, 5), ...hourly(12, 23)], silences: [{ from: at(10), until: at(14) }] }));
    expect(r.intervals).toEqual([
      { start: at(8), end: at(10), durationMs: 2 * H, cause: 'silent', planned: false, ongoing: false, startedBefore: false },
      { start: at(10), end: at(12), durationMs: 2 * H, cause: 'silent', planned: true, ongoing: false, startedBefore: false },
    ]);
    expect(r.silencedMs).toBe(4 * H);
    expect(r.plannedMs).toBe(2 * H);
    expect(r.unplannedMs).toBe(2 * H);
    expect(r.uptimePct).toBeCloseTo(90, 10);
    expect(r.outages).toBe(1);
    expect(r.longestMs).toBe(2 * H);
  });

  it('an outage wholly inside a silence is not counted as an outage', () => {
    const r = computeUptime(input({ readings: [...hourly(0, 5), ...hourly(12, 23)], silences: [{ from: at(6), until: at(13) }] }));
    expect(r.outages).toBe(0);
    expect(r.unplannedMs).toBe(0);
    expect(r.uptimePct).toBe(100);
  });

  it('reports the last battery and its trend per day', () => {
    const r = computeUptime(input({ readings: hourly(0, 23), battery: [{ ts: at(0), value: 80 }, { ts: at(12), value: 79.5 }, { ts: at(23), value: 79.04 }] }));
    expect(r.lastBattery).toBe(79.04);
    expect(r.batteryTrendPerDay).toBeLessThan(0);
  });
});

describe('computeUptime with spans from server-side gap detection', () => {
  it('spans between gaps give the same answer as the readings they stand for', () => {
    const viaSpans = computeUptime(input({ spans: [{ from: at(0), until: at(5) }, { from: at(12), until: at(23) }] }));
    const viaReadings = computeUptime(input({ readings: [...hourly(0, 5), ...hourly(12, 23)] }));
    expect(viaSpans.intervals).toEqual(viaReadings.intervals);
    expect(viaSpans.uptimePct).toBe(viaReadings.uptimePct);
  });
  it('a long span is not a gap even with a 5-minute threshold', () => {
    const r = computeUptime(input({ thresholdMs: 5 * M, lastReadingBefore: at(0) - M, spans: [{ from: at(0), until: at(24) - M }] }));
    expect(r.intervals).toEqual([]);
    expect(r.uptimePct).toBe(100);
  });
  it('an lwt inside a span without a connect ends at once (a reconnect)', () => {
    const r = computeUptime(input({ spans: [{ from: at(0), until: at(23) }], presence: [{ ts: at(7), online: false, cause: 'lwt' }] }));
    expect(r.intervals).toEqual([]);
    expect(r.reconnects).toBe(1);
  });
  it('an lwt inside a span is taken as followed by data at once (gaps cannot see drops inside continuous data)', () => {
    const r = computeUptime(input({ spans: [{ from: at(0), until: at(23) }], presence: [{ ts: at(7), online: false, cause: 'lwt' }, { ts: at(7) + 20 * M, online: true, cause: 'connect' }] }));
    expect(r.intervals).toEqual([]);
  });
  it('a device first seen in a span is audited from the span start', () => {
    const r = computeUptime(input({ presenceBefore: null, lastReadingBefore: null, spans: [{ from: at(6), until: at(23) }] }));
    expect(r.firstSeen).toBe(at(6));
    expect(r.neverReported).toBe(false);
  });
});

describe('batteryStats', () => {
  it('is the least-squares slope in % per day', () => {
    expect(batteryStats([{ ts: T0, value: 100 }, { ts: T0 + 86_400_000, value: 99 }, { ts: T0 + 2 * 86_400_000, value: 98 }])).toEqual({ last: 98, trend: -1 });
    // (0,90) (1,90) (2,87): slope = Σdx·dy/Σdx² = ((-1)(1)+0+(1)(-2))/2 = -1.5
    expect(batteryStats([{ ts: T0 + 2 * 86_400_000, value: 87 }, { ts: T0, value: 90 }, { ts: T0 + 86_400_000, value: 90 }])).toEqual({ last: 87, trend: -1.5 });
  });
  it('has no trend from fewer than two distinct times', () => {
    expect(batteryStats([])).toEqual({ last: null, trend: null });
    expect(batteryStats([{ ts: T0, value: 50 }])).toEqual({ last: 50, trend: null });
    expect(batteryStats([{ ts: T0, value: 50 }, { ts: T0, value: 49 }]).trend).toBeNull();
  });
});

describe('unionWindows', () => {
  it('merges overlapping windows and clips them to the period', () => {
    expect(unionWindows([{ from: 5, until: 9 }, { from: -3, until: 2 }, { from: 8, until: 12 }, { from: 20, until: 30 }], 0, 25))
      .toEqual([{ from: 0, until: 2 }, { from: 5, until: 12 }, { from: 20, until: 25 }]);
  });
});
