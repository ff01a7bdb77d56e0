// A scheduled report's digest: the few numbers people read in a group chat, handed from the
// reports stage to the notify stage by the hub (neither imports the other). Plain data only.

export interface UptimeWorstDevice {
  device: string;
  /** building display name (id when unnamed) */
  building: string;
  grid: string;
  /** unplanned offline time in the period */
  offlineMs: number;
  outages: number;
  uptimePct: number | null;
}

export interface UptimeDigestSummary {
  from: number;
  to: number;
  /** devices audited */
  devices: number;
  meanUptimePct: number | null;
  outages: number;
  /** devices that never sent a reading */
  neverReported: number;
  /** top 5 by unplanned offline time (never-reported devices are counted above, not listed) */
  worst: UptimeWorstDevice[];
}

export interface NoiseGridBreach {
  grid: string;
  /** grid display name (id when unnamed) */
  gridName: string;
  /** the grid's loudest building that broke the limit */
  building: string;
  buildingName: string;
  /** that building's night LAeq, dB(A) (null without data) */
  laeq: number | null;
  /** its GB 3096 night limit, dB(A) */
  limit: number;
  /** how many of the grid's buildings broke the limit */
  buildings: number;
}

export interface NoiseMorningSummary {
  night: string;
  grids: NoiseGridBreach[];
}

interface DigestBase {
  /** `YYYY-MM-DD` (daily, the night's start date) or `YYYY-MM` (monthly) */
  period: string;
  /** file names written under `<dataDir>/reports/` */
  files: string[];
}

export type ReportDigest =
  | (DigestBase & { kind: 'uptime-daily' | 'uptime-monthly'; summary: UptimeDigestSummary })
  | (DigestBase & { kind: 'noise-morning'; summary: NoiseMorningSummary });

/** Hands a digest to the channels; resolves when every channel delivered or gave up (never rejects). */
export type SendDigest = (digest: ReportDigest) => Promise<void>;
