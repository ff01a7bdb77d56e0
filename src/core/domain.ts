// Domain types every stage speaks. Everything from the outside (MQTT, HTTP, files, InfluxDB)
// enters as `unknown` and becomes one of these only after validation.

// The one list of each: schemas, the API, the rules and the panel derive theirs from these.
export const KIND_NAMES = ['smoke', 'gas', 'noise', 'water'] as const;
export type KindName = (typeof KIND_NAMES)[number];
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const ROLES = ['admin', 'street', 'grid_leader', 'grid_worker'] as const;
export type Role = (typeof ROLES)[number];
export const DEVICE_EVENT_TYPES = ['test', 'tamper', 'fault', 'button'] as const;
export type DeviceEventType = (typeof DEVICE_EVENT_TYPES)[number];
export type FieldValue = number | boolean | string;

/** One accepted reading, tagged from the registry (never from the payload). */
export interface Reading {
  device: string;
  kind: KindName;
  /** ms since epoch */
  ts: number;
  seq?: number;
  battery?: number;
  rssi?: number;
  /** the kind's own fields, e.g. { lel: 12.5, valve: 'open' } */
  values: Record<string, FieldValue>;
}

/** Where a device sits in the site tree; these become InfluxDB tags. */
export interface Placement {
  street: string;
  community: string;
  grid: string;
  building: string;
}

export interface DeviceInfo extends Placement {
  id: string;
  kind: KindName;
  unit?: string;
  intervalS: number;
  secretHash: string;
  /** a gas valve actuator for this unit: critical gas alerts send it `valve closed` */
  valve?: boolean;
  /** the grid's GB 3096 noise zone class */
  noiseZone: NoiseZone;
}

export type NoiseZone = '0' | '1' | '2' | '3' | '4a' | '4b';

export type PresenceCause = 'connect' | 'lwt' | 'disconnect' | 'timeout';

export interface PresenceEvent {
  device: string;
  ts: number;
  online: boolean;
  cause: PresenceCause;
}

export interface DeviceEvent {
  device: string;
  ts: number;
  type: DeviceEventType;
  detail?: Record<string, unknown>;
}

/** A point for the store: measurement + tags + fields + ms timestamp. */
export interface StorePoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
  /** ms since epoch */
  ts: number;
  /**
   * nanoseconds within `ts`'s millisecond (0..999,999), so readings of one device in the same
   * millisecond stay separate points; absent = 0
   */
  ns?: number;
}

export const DEVICE_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$';
export const DEVICE_ID_RE = new RegExp(DEVICE_ID_PATTERN);
