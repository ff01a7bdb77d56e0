// Named scenarios: which devices get which episodes, when. Pure: (devices, start, seed) in,
// devices with episodes out. Times are simulated ms; `start` is the run's simulated start.
import type { Episode, SimDevice } from './device.js';
import { hashUnit } from './rng.js';

export const SCENARIO_NAMES = ['steady', 'gas-leak', 'night-knocking', 'flood', 'fire', 'outage'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface ScenarioInfo {
  name: ScenarioName;
  describe: string;
  /** default time warp; the CLI's --warp overrides */
  warp: number;
  /** 'now': start at the current time; 'last-night': at 22:00 local of the last complete night */
  startAt: 'now' | 'last-night';
}

export const SCENARIOS: Record<ScenarioName, ScenarioInfo> = {
  steady: { name: 'steady', describe: 'normal readings, a few low batteries and skewed clocks', warp: 1, startAt: 'now' },
  'gas-leak': { name: 'gas-leak', describe: 'one gas sensor ramps past 25 % LEL about a minute in', warp: 1, startAt: 'now' },
  'night-knocking': { name: 'night-knocking', describe: 'a night 22:00-06:00 in eight minutes with knocking 23:00-04:00', warp: 60, startAt: 'last-night' },
  flood: { name: 'flood', describe: 'a water leak in one flat, the level rising', warp: 1, startAt: 'now' },
  fire: { name: 'fire', describe: 'one smoke alarm goes off', warp: 1, startAt: 'now' },
  outage: { name: 'outage', describe: 'every device of one building drops off the network for ten minutes', warp: 1, startAt: 'now' },
};

export function isScenario(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}

const MIN = 60_000;

function pick(devices: SimDevice[], seed: string, what: string): SimDevice | undefined {
  if (devices.length === 0) return undefined;
  const sorted = [...devices].sort((a, b) => a.id.localeCompare(b.id));
  return sorted[Math.floor(hashUnit(seed, what) * sorted.length)];
}

function withEpisode(devices: SimDevice[], target: SimDevice | undefined, ep: Episode): SimDevice[] {
  return devices.map((d) => (d === target ? { ...d, episodes: [...d.episodes, ep] } : d));
}

/** Random short dropouts on a few devices (any scenario): network reality. */
function flaps(devices: SimDevice[], start: number, seed: string): SimDevice[] {
  return devices.map((d) => {
    if (hashUnit(seed, d.id, 'flap') >= 0.03) return d;
    const at = start + (5 + 20 * hashUnit(seed, d.id, 'flap-at')) * MIN;
    return { ...d, episodes: [...d.episodes, { type: 'dropout', start: at, rampMs: 0, holdMs: (1 + 4 * hashUnit(seed, d.id, 'flap-len')) * MIN, peak: 0 }] };
  });
}

export function applyScenario(name: ScenarioName, input: SimDevice[], start: number, seed: string): SimDevice[] {
  let devices = flaps(input, start, seed);
  switch (name) {
    case 'steady':
      return devices;
    case 'gas-leak': {
      const target = pick(devices.filter((d) => d.kind === 'gas'), seed, 'gas-leak');
      return withEpisode(devices, target, { type: 'gas-leak', start: start + 45_000, rampMs: 2 * MIN, holdMs: 15 * MIN, peak: 40 });
    }
    case 'night-knocking': {
      // Half the noise sensors hear knocking; episodes fall in 10-minute slots inside 23:00-04:00.
      return devices.map((d) => (d.kind === 'noise' && hashUnit(seed, d.id, 'night-knocker') < 0.5 ? { ...d, knockChance: 0.45 } : d));
    }
    case 'flood': {
      const target = pick(devices.filter((d) => d.kind === 'water'), seed, 'flood');
      return withEpisode(devices, target, { type: 'flood', start: start + 30_000, rampMs: 15 * MIN, holdMs: 30 * MIN, peak: 45 });
    }
    case 'fire': {
      const target = pick(devices.filter((d) => d.kind === 'smoke'), seed, 'fire');
      return withEpisode(devices, target, { type: 'smoke', start: start + 40_000, rampMs: MIN, holdMs: 10 * MIN, peak: 12 });
    }
    case 'outage': {
      const building = pick(devices, seed, 'outage')?.building;
      devices = devices.map((d) => (d.building === building ? { ...d, episodes: [...d.episodes, { type: 'dropout', start: start + MIN, rampMs: 0, holdMs: 10 * MIN, peak: 0 }] } : d));
      return devices;
    }
  }
}
