import type { TSchema } from '@sinclair/typebox';
import type { FieldValue } from '../core/domain.js';
import type { RuleSpec } from '../core/rule-spec.js';

export interface FieldSpec {
  schema: TSchema;
  unit?: string;
  required?: boolean;
  label: { zh: string; en: string };
}

export interface SensorKind {
  name: string;
  label: { zh: string; en: string };
  /** InfluxDB measurement */
  measurement: string;
  fields: Record<string, FieldSpec>;
  /** report interval (s) a device of this kind gets when none is given (config, CLI and API alike) */
  defaultIntervalS: number;
  /** the field the panel shows as the device's headline value */
  primaryField: string;
  /** cross-field checks after the schema passed; returns [field, value, rule] when broken */
  check?: (values: Record<string, FieldValue>) => [string, unknown, string] | undefined;
  defaultRules: RuleSpec[];
}

export function defineKind(kind: SensorKind): SensorKind {
  return kind;
}
