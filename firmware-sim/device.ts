// A simulated device: its registry entry plus stable traits drawn from the seed (battery, drain,
// radio, clock skew, whether someone upstairs knocks at night) and the scenario's episodes.
import type { KindName } from '../src/core/domain.js';
import { hashUnit, round } from './rng.js';

export type EpisodeType = 'gas-leak' | 'knocking' | 'flood' | 'smoke' | 'dropout';

export interface Episode {
  type: EpisodeType;
  /** simulated ms since epoch */
  start: number;
  /** how long the quantity ramps up */
  rampMs: number;
  /** how long it stays at its peak after the ramp */
  holdMs: number;
  /** peak value: % LEL for gas, mm for flood, dB(A) lmax for knocking */
  peak: number;
}

export interface SimDevice {
  id: string;
  kind: KindName;
  building: string;
  /** the registered report interval, seconds */
  intervalS: number;
  /** IANA zone of the site (night windows are local) */
  timezone: string;
  seed: string;
  /** battery % at `t0` and its drain in % per day */
  batteryStart: number;
  drainPerDay: number;
  /** simulated ms the battery curve starts from */
  t0: number;
  rssiBase: number;
  /** this device's clock is off by this much (ms) */
  skewMs: number;
  /** noise: someone near it knocks at night; probability of an episode per 10-minute slot */
  knockChance: number;
  episodes: Episode[];
  /** gas: the hub closed this unit's valve at this simulated instant (the leak stops) */
  valveClosedAt?: number;
}

export interface DeviceSpec {
  id: string;
  kind: KindName;
  building: string;
  intervalS?: number;
}

/** Stable traits for a device from the run's seed. */
export function makeDevice(spec: DeviceSpec, opts: { seed: string; t0: number; timezone: string }): SimDevice {
  const u = (trait: string): number => hashUnit(opts.seed, spec.id, trait);
  const lowBattery = u('low-battery') < 0.05;
  const skewed = u('skewed') < 0.08;
  const knocker = spec.kind === 'noise' && u('knocker') < 0.3;
  return {
    id: spec.id,
    kind: spec.kind,
    building: spec.building,
    intervalS: spec.intervalS ?? 3600,
    timezone: opts.timezone,
    seed: opts.seed,
    batteryStart: lowBattery ? round(18 + 8 * u('battery')) : round(45 + 55 * u('battery')),
    drainPerDay: round(0.02 + 0.3 * u('drain'), 3),
    t0: opts.t0,
    rssiBase: Math.round(-60 - 45 * u('rssi')),
    skewMs: skewed ? Math.round((u('skew') < 0.5 ? -1 : 1) * (20_000 + 100_000 * u('skew-size'))) : 0,
    knockChance: knocker ? 0.25 : 0,
    episodes: [],
  };
}

export function episodeEnd(e: Episode): number {
  return e.start + e.rampMs + e.holdMs;
}

/** The episode of a type running at t, if any. */
export function activeEpisode(device: SimDevice, type: EpisodeType, t: number): Episode | undefined {
  return device.episodes.find((e) => e.type === type && t >= e.start && t < episodeEnd(e));
}

/** 0..1: how far an episode has ramped up at t (0 outside it). */
export function episodeLevel(e: Episode | undefined, t: number): number {
  if (!e || t < e.start || t >= episodeEnd(e)) return 0;
  return e.rampMs <= 0 ? 1 : Math.min(1, (t - e.start) / e.rampMs);
}
