// The kinds' labels, units and report intervals in one pure index (one line per kind), plus the
// fields every kind may send. Imported by notify (messages), the panel (Vite) and the kind modules
// themselves, so a label or unit is written once.
import type { KindName } from '../core/domain.js';
import { gasMeta } from './gas-meta.js';
import type { FieldMeta, KindMeta } from './meta-types.js';
import { noiseMeta } from './noise-meta.js';
import { smokeMeta } from './smoke-meta.js';
import { waterMeta } from './water-meta.js';

export type { FieldMeta, KindMeta, Label } from './meta-types.js';

export const KIND_META: Record<KindName, KindMeta> = { smoke: smokeMeta, gas: gasMeta, noise: noiseMeta, water: waterMeta };

/** Fields any device may send alongside its kind's own. */
export const COMMON_FIELDS: Record<string, FieldMeta> = {
  battery: { unit: '%', label: { zh: '电量', en: 'battery' } },
  rssi: { unit: 'dBm', label: { zh: '信号', en: 'signal' } },
};

/** A field's label and unit, whichever kind sends it (field names are unique across kinds). */
export function fieldMeta(name: string): FieldMeta | undefined {
  if (Object.hasOwn(COMMON_FIELDS, name)) return COMMON_FIELDS[name];
  for (const k of Object.values(KIND_META)) if (Object.hasOwn(k.fields, name)) return k.fields[name];
  return undefined;
}
