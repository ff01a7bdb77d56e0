// The panel's pure logic (dashboards/panel/src/logic): alert list merging, buttons per state,
// night noise windows and limits, and report formatting.
import { describe, expect, it } from 'vitest';
import type { AlertCase, AlertChange, LedgerEntry } from '../../src/core/alert-types.js';
import { actionsFor, isNewCritical, minutesBetween, triageOrder, upsertCase, validCloseNote } from '../../dashboards/panel/src/logic/alerts.js';
import { fmtCell, fmtValues, toTable } from '../../dashboards/panel/src/logic/format.js';
import { hourlySlots, lastNight, nightLimit, nightWindow } from '../../dashboards/panel/src/logic/noise.js';

function mkCase(id: string, openedAt: number, over: Partial<AlertCase> = {}): AlertCase {
  return {
    id, device: 'gas-1', rule: 'gas.lel', kind: 'gas', severity: 'critical', state: 'open',
    title: { zh: '燃气浓度过高', en: 'Gas concentration high' }, street: 's', community: 'c', grid: 'g', building: 'b',
    openedAt, updatedAt: openedAt, escalationStep: 0, trigger: {}, ...over,
  };
}
const entry = (caseId: string, action: LedgerEntry['action']): LedgerEntry => ({ seq: 1, caseId, ts: 0, actor: 'system', action });
const change = (c: AlertCase, action: LedgerEntry['action']): AlertChange => ({ case: c, entry: entry(c.id, action) });

describe('alert list', () => {
  it('keeps the longest waiting first among equals and replaces a case in place', () => {
    let list = upsertCase([], mkCase('a', 1000));
    list = upsertCase(list, mkCase('b', 3000));
    list = upsertCase(list, mkCase('c', 2000));
    expect(list.map((c) => c.id)).toEqual(['a', 'c', 'b']);
    list = upsertCase(list, mkCase('c', 2000, { state: 'acknowledged', updatedAt: 2500 }));
    expect(list.map((c) => `${c.id}:${c.state}`)).toEqual(['a:open', 'b:open', 'c:acknowledged']);
  });

  it('triage: open unacknowledged criticals first, resolved last, then severity, then open before acknowledged, then age', () => {
    const cases = [
      mkCase('resolved-crit', 100, { state: 'resolved' }),
      mkCase('offline-warn', 200, { severity: 'warning' }),
      mkCase('acked-crit', 50, { state: 'acknowledged' }),
      mkCase('new-crit', 900),
      mkCase('old-crit', 300),
      mkCase('info', 10, { severity: 'info' }),
      mkCase('acked-warn', 5, { severity: 'warning', state: 'acknowledged' }),
    ];
    expect([...cases].sort(triageOrder).map((c) => c.id)).toEqual(['old-crit', 'new-crit', 'acked-crit', 'offline-warn', 'acked-warn', 'info', 'resolved-crit']);
    expect(minutesBetween(0, 8 * 60_000 + 59_000)).toBe(8);
  });

  it('drops closed cases and ignores a stale copy', () => {
    const acked = mkCase('a', 1000, { state: 'acknowledged', updatedAt: 5000 });
    const list = upsertCase([acked], mkCase('a', 1000, { state: 'open', updatedAt: 1000 }));
    expect(list[0]?.state).toBe('acknowledged');
    expect(upsertCase(list, mkCase('a', 1000, { state: 'closed', updatedAt: 6000 }))).toEqual([]);
  });

  it('rings only for a critical case that just opened or reopened', () => {
    const crit = mkCase('a', 1000);
    expect(isNewCritical([], change(crit, 'opened'))).toBe(true);
    expect(isNewCritical([crit], change(crit, 'opened'))).toBe(false);
    expect(isNewCritical([], change(crit, 'escalated'))).toBe(false);
    expect(isNewCritical([], change(mkCase('w', 1, { severity: 'warning' }), 'opened'))).toBe(false);
    expect(isNewCritical([mkCase('a', 1000, { state: 'resolved' })], change(crit, 'reopened'))).toBe(true);
    // the same incident raised from warning to critical rings too
    expect(isNewCritical([mkCase('a', 1000, { severity: 'warning', state: 'acknowledged' })], change(crit, 'severity_raised'))).toBe(true);
  });

  it('offers the buttons each state allows and needs a close note', () => {
    expect(actionsFor('open')).toEqual(['ack', 'resolve']);
    expect(actionsFor('acknowledged')).toEqual(['resolve']);
    expect(actionsFor('resolved')).toEqual(['close']);
    expect(actionsFor('closed')).toEqual([]);
    expect(validCloseNote('  ')).toBe(false);
    expect(validCloseNote('阀门已关闭，住户已通风')).toBe(true);
  });
});

describe('night noise', () => {
  it('uses the GB 3096-2008 night limits per zone', () => {
    expect(['0', '1', '2', '3', '4a', '4b'].map(nightLimit)).toEqual([40, 45, 50, 55, 55, 60]);
    expect(nightLimit('9')).toBeUndefined();
  });

  it('spans 22:00 to 06:00 Beijing time', () => {
    const w = nightWindow('2026-11-20');
    expect(new Date(w.from).toISOString()).toBe('2026-11-20T14:00:00.000Z');
    expect(new Date(w.to).toISOString()).toBe('2026-11-20T22:00:00.000Z');
    expect(() => nightWindow('20-11-2026')).toThrow(/YYYY-MM-DD/);
  });

  it('picks the last complete night', () => {
    expect(lastNight(Date.parse('2026-11-21T07:00:00+08:00'))).toBe('2026-11-20');
    expect(lastNight(Date.parse('2026-11-21T03:00:00+08:00'))).toBe('2026-11-19');
    expect(lastNight(Date.parse('2026-11-21T23:00:00+08:00'))).toBe('2026-11-20');
  });

  it('fills eight hourly slots, loudest device wins, flags LAeq and impulse excess', () => {
    const { from } = nightWindow('2026-11-20');
    const h = (i: number): string => new Date(from + i * 3_600_000).toISOString();
    const slots = hourlySlots([
      { time: h(0), device: 'n1', laeq: 44, lmax: 55 },
      { time: h(0), device: 'n2', laeq: 47, lmax: 52 },
      { time: from + 3_600_000, device: 'n1', laeq: 40, lmax: 61 },
      { time: h(8), device: 'n1', laeq: 80, lmax: 90 },
    ], from, 45);
    expect(slots).toHaveLength(8);
    expect(slots[0]).toMatchObject({ laeq: 47, lmax: 55, over: true });
    expect(slots[1]).toMatchObject({ laeq: 40, lmax: 61, over: true });
    expect(slots[2]).toMatchObject({ laeq: null, lmax: null, over: false });
    expect(slots.filter((s) => s.over)).toHaveLength(2);
  });
});

describe('formatting', () => {
  it('writes reading values with units in the chosen language', () => {
    expect(fmtValues({ lel: 26.04, valve: 'closed', battery: 80 }, 'zh')).toBe('26 % LEL · 阀门关');
    expect(fmtValues({ lel: 26.04, valve: 'closed' }, 'en')).toBe('26 % LEL · valve closed');
    expect(fmtValues({ alarm: true }, 'zh')).toBe('烟雾报警');
    expect(fmtValues(undefined, 'zh')).toBe('—');
  });

  it('turns a report into a table and writes offline intervals', () => {
    const t = toTable({ period: {}, rows: [{ device: 'a', uptime: 0.5 }, { device: 'b', offline: [] }] });
    expect(t.columns).toEqual(['device', 'uptime', 'offline']);
    expect(t.rows).toHaveLength(2);
    const from = Date.parse('2026-11-20T22:05:00+08:00');
    expect(fmtCell([{ from, to: from + 3_900_000 }], 'zh')).toBe('11/20 22:05–23:10');
    expect(fmtCell(0.98765, 'en')).toBe('0.99');
    expect(toTable('nonsense').rows).toEqual([]);
  });
});

describe('uptime audit view', () => {
  it('reads the report devices, sorted, with durations and intervals written out', async () => {
    const { uptimeView, fmtDuration, fmtIntervals, fmtPct } = await import('../../dashboards/panel/src/logic/uptime.js');
    const start = Date.parse('2026-11-20T22:05:00+08:00');
    const view = uptimeView({
      devices: [
        { device: 'z', grid: 'g2', building: 'b', kind: 'gas', uptimePct: 99.99, outages: 0, unplannedMs: 0, longestMs: 0, intervals: [] },
        { device: 'a', grid: 'g1', building: 'b', kind: 'smoke', uptimePct: null, outages: 1, unplannedMs: 5_400_000, longestMs: 5_400_000, intervals: [{ start, end: start + 5_400_000, ongoing: false, planned: true }] },
      ],
      summary: { devices: 2, meanUptimePct: 99.99, outages: 1 },
    });
    expect(view?.rows.map((r) => r.device)).toEqual(['a', 'z']);
    expect(view?.summary).toEqual({ devices: 2, meanUptimePct: 99.99, outages: 1 });
    const a = view?.rows[0];
    expect(a && fmtIntervals(a, 'zh')).toBe('11/20 22:05–11/20 23:35（计划）');
    expect(fmtPct(a?.uptimePct ?? null)).toBe('—');
    expect(fmtPct(99.99)).toBe('99.99%');
    expect(fmtPct(85.714)).toBe('85.7%');
    expect(fmtDuration(5_400_000, 'en')).toBe('1 h 30 min');
    expect(fmtDuration(2 * 86_400_000, 'zh')).toBe('2天 0小时');
    expect(fmtDuration(20_000, 'en')).toBe('<1 min');
    expect(fmtDuration(0, 'en')).toBe('0');
    expect(uptimeView([{ device: 'x' }])).toBeUndefined();
  });
});
