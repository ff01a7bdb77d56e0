// Pure: the digest of a scheduled report (src/core/report-digest.ts) — the few numbers the
// channels send to people — from the full report. Names come from the site index.
import { basename } from 'node:path';
import type { NoiseGridBreach, ReportDigest } from '../core/report-digest.js';
import type { SiteIndex } from '../config/site.js';
import type { BuildingNight } from './noise.js';
import type { UptimeReport } from './uptime.js';

export const WORST_DEVICES = 5;

export function uptimeDigest(report: UptimeReport, kind: 'uptime-daily' | 'uptime-monthly', period: string, files: string[], site: SiteIndex): ReportDigest {
  const worst = report.devices
    .filter((d) => !d.neverReported && d.unplannedMs > 0)
    .sort((a, b) => b.unplannedMs - a.unplannedMs || b.outages - a.outages || a.device.localeCompare(b.device))
    .slice(0, WORST_DEVICES)
    .map((d) => ({
      device: d.device, building: site.buildings.get(d.building)?.name ?? d.building, grid: d.grid,
      offlineMs: d.unplannedMs, outages: d.outages, uptimePct: d.uptimePct,
    }));
  return {
    kind, period, files: files.map((f) => basename(f)),
    summary: {
      from: report.from, to: report.to, devices: report.summary.devices, meanUptimePct: report.summary.meanUptimePct,
      outages: report.summary.outages, neverReported: report.devices.filter((d) => d.neverReported).length, worst,
    },
  };
}

/** The morning report's digest: per grid that broke the limit, its loudest breaching building. */
export function morningDigest(night: string, grids: ReadonlyArray<{ grid: string; buildings: BuildingNight[] }>, files: string[], site: SiteIndex): ReportDigest {
  const breaches: NoiseGridBreach[] = [];
  for (const g of grids) {
    const loudest = [...g.buildings].sort((a, b) => (b.laeq ?? -Infinity) - (a.laeq ?? -Infinity))[0];
    if (!loudest) continue;
    breaches.push({
      grid: g.grid, gridName: site.grids.get(g.grid)?.name ?? g.grid, building: loudest.building, buildingName: loudest.name,
      laeq: loudest.laeq, limit: loudest.limit, buildings: g.buildings.length,
    });
  }
  return { kind: 'noise-morning', period: night, files: files.map((f) => basename(f)), summary: { night, grids: breaches } };
}
