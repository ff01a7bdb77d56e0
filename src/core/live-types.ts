// What the live layer sends the panel (socket.io `device` and `reading`, and GET /devices): types
// only, shared with the panel (dashboards/panel/src/types.ts) so the two cannot drift apart.
import type { FieldValue, KindName } from './domain.js';

export type DeviceStatus = 'ok' | 'alarm' | 'offline' | 'low_battery' | 'unknown';

export interface DeviceView {
  id: string; kind: KindName; street: string; community: string; grid: string; building: string;
  unit: string | null; intervalS: number; status: DeviceStatus; online: boolean | null;
  lastSeen: number | null; battery: number | null; last: { ts: number; values: Record<string, FieldValue> } | null;
}

export interface LiveReading { device: string; ts: number; values: Record<string, FieldValue>; battery?: number; rssi?: number }
