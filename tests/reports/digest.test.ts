import { describe, expect, it } from 'vitest';
import { SiteIndex } from '../../src/config/site.js';
import { morningDigest, uptimeDigest } from '../../src/reports/digest.js';
import type { BuildingNight } from '../../src/reports/noise.js';
import type { DeviceUptime, UptimeReport } from '../../src/reports/uptime.js';
import { siteConfig } from './fixtures.js';

const site = new SiteIndex(siteConfig());
const H = 3_600_000;

function dev(device: string, unplannedMs: number, outages: number, over: Partial<DeviceUptime> = {}): DeviceUptime {
  return {
    device, kind: 'smoke', street: 's1', community: 'c1', grid: 'g1', building: 'b1', intervalS: 3600,
    firstSeen: null, auditedMs: 24 * H, silencedMs: 0, unplannedMs, plannedMs: 0,
    uptimePct: 100 * (24 * H - unplannedMs) / (24 * H), intervals: [], outages, longestMs: unplannedMs,
    mttrMs: null, reconnects: 0, lastBattery: 90, batteryTrendPerDay: null, neverReported: false, ...over,
  };
}

function report(devices: DeviceUptime[]): UptimeReport {
  return {
    from: 0, to: 24 * H, scope: {}, offlineFactor: 2.5, source: 'gaps', devices,
    summary: { devices: devices.length, meanUptimePct: 97.5, outages: 11, unplannedMs: 0, neverSeen: 1, offlineAtEnd: 0 },
  };
}

describe('uptimeDigest', () => {
  it('lists the top 5 by offline time with outage counts, counts never-reported devices apart, keeps file names only', () => {
    const devices = [
      dev('a', 1 * H, 1), dev('b', 5 * H, 2), dev('c', 3 * H, 4, { building: 'b2', grid: 'g2' }), dev('d', 0, 0),
      dev('e', 2 * H, 1), dev('f', 4 * H, 3), dev('g', 0.5 * H, 1),
      dev('never', 24 * H, 1, { neverReported: true, uptimePct: 0 }),
    ];
    const d = uptimeDigest(report(devices), 'uptime-daily', '2026-03-05', ['/data/reports/uptime-daily-2026-03-05.json', '/data/reports/uptime-daily-2026-03-05.csv'], site);
    expect(d.kind).toBe('uptime-daily');
    expect(d.period).toBe('2026-03-05');
    expect(d.files).toEqual(['uptime-daily-2026-03-05.json', 'uptime-daily-2026-03-05.csv']);
    if (d.kind === 'noise-morning') throw new Error('wrong kind');
    expect(d.summary).toMatchObject({ from: 0, to: 24 * H, devices: 8, meanUptimePct: 97.5, outages: 11, neverReported: 1 });
    expect(d.summary.worst.map((w) => [w.device, w.offlineMs / H, w.outages])).toEqual([['b', 5, 2], ['f', 4, 3], ['c', 3, 4], ['e', 2, 1], ['a', 1, 1]]);
    expect(d.summary.worst[2]).toMatchObject({ building: '2号楼', grid: 'g2', uptimePct: 87.5 });
  });

  it('an all-online period has no worst devices', () => {
    const d = uptimeDigest(report([dev('a', 0, 0)]), 'uptime-monthly', '2026-03', [], site);
    expect(d.kind === 'uptime-monthly' && d.summary.worst).toEqual([]);
  });
});

function building(id: string, grid: string, laeq: number | null, limit: number): BuildingNight {
  return { night: '2026-03-05', building: id, name: `${id}楼`, grid, noiseZone: '1', limit, laeq, lmax: null, minutesAbove: 10, impulses: 0, breach: true, devices: [] };
}

describe('morningDigest', () => {
  it('per grid: its loudest breaching building against the limit, with grid names', () => {
    const d = morningDigest('2026-03-05', [
      { grid: 'g1', buildings: [building('b1', 'g1', 47, 45), building('b3', 'g1', 52.3, 45)] },
      { grid: 'g2', buildings: [building('b2', 'g2', null, 50)] },
    ], ['/x/noise-night-2026-03-05.json', '/x/noise-morning-2026-03-05.json'], site);
    expect(d).toEqual({
      kind: 'noise-morning', period: '2026-03-05', files: ['noise-night-2026-03-05.json', 'noise-morning-2026-03-05.json'],
      summary: {
        night: '2026-03-05',
        grids: [
          { grid: 'g1', gridName: '第一网格', building: 'b3', buildingName: 'b3楼', laeq: 52.3, limit: 45, buildings: 2 },
          { grid: 'g2', gridName: '第二网格', building: 'b2', buildingName: 'b2楼', laeq: null, limit: 50, buildings: 1 },
        ],
      },
    });
  });
});
