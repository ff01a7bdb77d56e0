// The simulator's public entry (used by src/cli/sim.ts and bench/).
import type { Config } from '../src/config/schema.js';
import type { DeviceSpec } from './device.js';

export { Simulator, type SimOptions, type SimStats, type SimLogger } from './runner.js';
export { DeviceClient, backoffDelay, topic } from './client.js';
export { makeDevice, type SimDevice, type DeviceSpec, type Episode } from './device.js';
export { reading, batteryAt, isKnocking, inKnockWindow, noiseFields, gasFields, waterFields, smokeFields, isOnline } from './signals.js';
export { applyScenario, isScenario, SCENARIOS, SCENARIO_NAMES, type ScenarioName } from './scenarios.js';
export { rngFor, type Rng } from './rng.js';
export { simTime, realDelay, localHour, lastCompleteWindowStart, type WarpClock } from './time.js';
export { demoInit, readSecrets, formatLogins, SECRETS_FILE, LOGINS_FILE, CONFIG_FILE, type DemoLogin, type DemoInitResult } from './credentials.js';

/** The registered devices of a loaded config, as the simulator needs them. */
export function specsFromConfig(config: Config): DeviceSpec[] {
  return config.devices.map((d) => ({ id: d.id, kind: d.kind, building: d.building, intervalS: d.intervalS }));
}
