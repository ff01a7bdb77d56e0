import type { KindName } from '../core/domain.js';
import gas from './gas.js';
import noise from './noise.js';
import smoke from './smoke.js';
import type { SensorKind } from './types.js';
import water from './water.js';

export type { SensorKind, FieldSpec } from './types.js';
export { COMMON_RULES } from './common.js';

// The registry: one line per kind.
export const KINDS: Record<KindName, SensorKind> = { smoke, gas, noise, water };

export { KIND_NAMES } from '../core/domain.js';

export function getKind(name: KindName): SensorKind {
  return KINDS[name];
}
