// Rules every kind shares: offline (no data) and low battery (shared/domain.md).
import type { RuleSpec } from '../core/rule-spec.js';

export const COMMON_RULES: RuleSpec[] = [
  { id: 'offline', severity: 'warning', condition: { type: 'noData', factor: 3, minSilence: '5m', grace: '2m' }, title: { zh: '设备离线', en: 'Device offline' } },
  { id: 'battery-low', severity: 'warning', condition: { type: 'battery', raise: 20, clear: 25 }, title: { zh: '电量低', en: 'Battery low' } },
  { id: 'battery-critical', severity: 'critical', condition: { type: 'battery', raise: 10, clear: 15 }, title: { zh: '电量严重不足', en: 'Battery critical' } },
  { id: 'tamper', severity: 'warning', condition: { type: 'event', event: 'tamper' }, title: { zh: '设备被拆动', en: 'Device tampered' } },
  { id: 'fault', severity: 'warning', condition: { type: 'event', event: 'fault' }, title: { zh: '设备故障', en: 'Device fault' } },
];
