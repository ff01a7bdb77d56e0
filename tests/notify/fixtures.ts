// Test data: an alert case, a notification and an in-memory ledger that records like the real one;
// report digests (uptime, morning noise).
import type { ReportDigest, UptimeDigestSummary } from '../../src/core/report-digest.js';
import type { AlertCase, AlertLedger, LedgerAction, LedgerEntry, Notification, Person } from '../../src/core/alert-types.js';
import type { OutboundMessage } from '../../src/notify/types.js';
import { render } from '../../src/notify/render.js';

export const T0 = Date.UTC(2026, 10, 23, 13, 3, 5); // 21:03:05 in Asia/Shanghai

export function makeCase(over: Partial<AlertCase> = {}): AlertCase {
  return {
    id: 'c-0001', device: 'gas-lty3-0101', rule: 'gas.lel.high', kind: 'gas', severity: 'critical', state: 'open',
    title: { zh: '燃气浓度超标', en: 'Gas concentration high' },
    street: 'liulin', community: 'longtianyuan', grid: 'lty-1', building: 'lty-3', unit: '1单元101',
    openedAt: T0, updatedAt: T0, escalationStep: 0,
    trigger: { device: 'gas-lty3-0101', kind: 'gas', ts: T0, values: { lel: 23.456, co_ppm: 12, valve: 'open' } },
    ...over,
  };
}

export const HANTAO: Person = { id: 'hantao', name: '韩涛', role: 'grid_worker', grids: ['lty-1'], phone: '13800001111' };
export const ALICE: Person = { id: 'alice', name: 'Alice', role: 'grid_leader', grids: ['lty-1'], lang: 'en' };

export class MemoryLedger implements AlertLedger {
  readonly entries: LedgerEntry[] = [];
  async record(caseId: string, action: LedgerAction, data?: Record<string, unknown>, actor = 'system', note?: string): Promise<LedgerEntry> {
    const e: LedgerEntry = { seq: this.entries.length + 1, caseId, ts: T0, actor, action, ...(note ? { note } : {}), ...(data ? { data } : {}) };
    this.entries.push(e);
    return e;
  }
  actions(): LedgerAction[] {
    return this.entries.map((e) => e.action);
  }
}

export function makeNotification(over: Partial<Notification> = {}, caseOver: Partial<AlertCase> = {}): Notification {
  const c = makeCase(caseOver);
  const ledger = over.ledger ?? new MemoryLedger();
  return {
    case: c,
    entry: { seq: 1, caseId: c.id, ts: c.openedAt, actor: 'system', action: 'opened' },
    recipients: [HANTAO],
    step: 0,
    reason: 'opened',
    ledger,
    ...over,
  };
}

export function makeMessage(n: Notification = makeNotification()): OutboundMessage {
  return { notification: n, rendered: render(n, { lang: 'zh', baseUrl: 'https://gw.example.cn' }) };
}

export const UPTIME_SUMMARY: UptimeDigestSummary = {
  from: Date.UTC(2026, 2, 4, 16), to: Date.UTC(2026, 2, 5, 16), devices: 8, meanUptimePct: 96.4567, outages: 4, neverReported: 1,
  worst: [
    { device: 'gas-flap', building: '1号楼', grid: 'g1', offlineMs: 2 * 3_600_000 + 15 * 60_000, outages: 3, uptimePct: 90.63 },
    { device: 'smk-across', building: '1号楼', grid: 'g1', offlineMs: 26 * 3_600_000, outages: 1, uptimePct: null },
  ],
};

export const UPTIME_DIGEST: ReportDigest = {
  kind: 'uptime-daily',
  period: '2026-03-05',
  files: ['uptime-daily-2026-03-05.json', 'uptime-daily-2026-03-05.csv'],
  summary: UPTIME_SUMMARY,
};

export const MORNING_DIGEST: ReportDigest = {
  kind: 'noise-morning',
  period: '2026-03-05',
  files: ['noise-night-2026-03-05.json', 'noise-night-2026-03-05.csv', 'noise-morning-2026-03-05.json'],
  summary: {
    night: '2026-03-05',
    grids: [
      { grid: 'g1', gridName: '第一网格', building: 'b3', buildingName: '3号楼', laeq: 49.04, limit: 45, buildings: 2 },
      { grid: 'g2', gridName: '第二网格', building: 'b2', buildingName: '2号楼', laeq: null, limit: 50, buildings: 1 },
    ],
  },
};
