// Realistic sensor signals as PURE functions of (device, t, rng): no clock, no I/O. `t` is the
// simulated instant (ms); `rng` supplies measurement noise. Night knocking and other episodes
// come from the device's own traits and its scenario's episodes, so they are reproducible.
import type { FieldValue } from '../src/core/domain.js';
import { activeEpisode, episodeLevel, type SimDevice } from './device.js';
import { clamp, gauss, hashUnit, round, uniform, type Rng } from './rng.js';
import { localHour } from './time.js';

const DAY_MS = 86_400_000;
const KNOCK_SLOT_MS = 10 * 60_000;
/** Night knocking happens between these local hours (23:00-04:00). */
export const KNOCK_FROM_H = 23;
export const KNOCK_TO_H = 4;

export function inKnockWindow(t: number, timezone: string): boolean {
  const h = localHour(t, timezone);
  return h >= KNOCK_FROM_H || h < KNOCK_TO_H;
}

/** Is someone knocking near this noise sensor at t? Only ever inside 23:00-04:00 local. */
export function isKnocking(device: SimDevice, t: number): boolean {
  if (device.kind !== 'noise' || !inKnockWindow(t, device.timezone)) return false;
  if (activeEpisode(device, 'knocking', t)) return true;
  if (device.knockChance <= 0) return false;
  return hashUnit(device.seed, device.id, 'knock', Math.floor(t / KNOCK_SLOT_MS)) < device.knockChance;
}

/** Battery %: drains linearly from t0, never rises, never below 0. */
export function batteryAt(device: SimDevice, t: number): number {
  const days = Math.max(0, t - device.t0) / DAY_MS;
  return clamp(round(device.batteryStart - device.drainPerDay * days, 1), 0, 100);
}

export function rssiAt(device: SimDevice, rng: Rng): number {
  return Math.round(clamp(device.rssiBase + gauss(rng, 3), -140, 0));
}

/** Day/night LAeq curve: ~52 dB(A) mid-afternoon, ~32 dB(A) at 02:00. */
export function noiseBaseline(t: number, timezone: string): number {
  const h = localHour(t, timezone);
  return 42 + 10 * Math.cos((2 * Math.PI * (h - 14)) / 24);
}

export function noiseFields(device: SimDevice, t: number, rng: Rng): Record<string, FieldValue> {
  let laeq = noiseBaseline(t, device.timezone) + gauss(rng, 1.5);
  let lmax = laeq + uniform(rng, 3, 9);
  if (isKnocking(device, t)) {
    const peak = activeEpisode(device, 'knocking', t)?.peak ?? 82;
    lmax = uniform(rng, peak - 10, peak);
    laeq = Math.max(laeq, uniform(rng, 46, 55));
  }
  laeq = round(clamp(laeq, 20, 140));
  return { laeq, lmax: round(clamp(Math.max(lmax, laeq), laeq, 140)), interval_s: device.intervalS };
}

export function gasFields(device: SimDevice, t: number, rng: Rng): Record<string, FieldValue> {
  const closed = device.valveClosedAt !== undefined && t >= device.valveClosedAt;
  const leak = activeEpisode(device, 'gas-leak', t);
  let level = episodeLevel(leak, t);
  if (closed && device.valveClosedAt !== undefined) {
    // the gas supply is shut: the level airs out with a half-life of two minutes
    level = episodeLevel(leak, device.valveClosedAt) * 0.5 ** ((t - device.valveClosedAt) / 120_000);
  }
  const lel = leak ? (leak.peak * level) + uniform(rng, 0, 1) : uniform(rng, 0, 0.8);
  const co = uniform(rng, 0, 4) + (leak ? 20 * level : 0);
  return { lel: round(clamp(lel, 0, 100)), co_ppm: round(clamp(co, 0, 2000)), valve: closed ? 'closed' : 'open' };
}

export function waterFields(device: SimDevice, t: number, _rng: Rng): Record<string, FieldValue> {
  const flood = activeEpisode(device, 'flood', t);
  if (!flood) return { leak: false, level_mm: 0 };
  return { leak: true, level_mm: round(flood.peak * episodeLevel(flood, t)) };
}

export function smokeFields(device: SimDevice, t: number, rng: Rng): Record<string, FieldValue> {
  const fire = activeEpisode(device, 'smoke', t);
  const level = episodeLevel(fire, t);
  const obscuration = fire ? fire.peak * level : uniform(rng, 0, 0.3);
  return {
    alarm: fire !== undefined && obscuration >= 4.5,
    obscuration: round(clamp(obscuration, 0, 30), 2),
    temp_c: round(uniform(rng, 18, 26) + 30 * level),
  };
}

const FIELDS = { noise: noiseFields, gas: gasFields, water: waterFields, smoke: smokeFields };

/** The device's reading payload at simulated instant t (contract.md "Reading payload"). */
export function reading(device: SimDevice, t: number, rng: Rng, seq: number): Record<string, FieldValue> {
  return {
    ts: Math.round(t + device.skewMs),
    seq,
    battery: batteryAt(device, t),
    rssi: rssiAt(device, rng),
    ...FIELDS[device.kind](device, t, rng),
  };
}

/** Is the device in an alarm-worthy episode at t? It then reports every few seconds. */
export function inEpisode(device: SimDevice, t: number): boolean {
  return device.episodes.some((e) => e.type !== 'dropout' && t >= e.start - 30_000 && t < e.start + e.rampMs + e.holdMs + 60_000) || isKnocking(device, t);
}

/** Simulated ms until the device should report again: its interval, every 10 s in an episode. */
export function nextReportIn(device: SimDevice, t: number): number {
  const interval = device.intervalS * 1000;
  if (inEpisode(device, t)) return Math.min(interval, 10_000);
  const soon = device.episodes
    .filter((e) => e.type !== 'dropout' && e.start - 30_000 > t)
    .map((e) => e.start - 30_000 - t);
  return Math.max(1_000, Math.min(interval, ...soon));
}

/** Is the device on the network at t (outside any dropout episode)? */
export function isOnline(device: SimDevice, t: number): boolean {
  return activeEpisode(device, 'dropout', t) === undefined;
}
