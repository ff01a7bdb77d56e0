// What people read about a kind and its fields: labels, units, the report interval. Pure data
// (no schema library), so the panel (Vite) and notify import it without the validators.
import type { KindName } from '../core/domain.js';

export interface Label { zh: string; en: string }
export interface FieldMeta { unit?: string; label: Label }

export interface KindMeta {
  name: KindName;
  label: Label;
  /** report interval (s) a device of this kind gets when none is given (config, CLI and API alike) */
  defaultIntervalS: number;
  /** the field the panel shows as the device's headline value */
  primaryField: string;
  fields: Record<string, FieldMeta>;
}
