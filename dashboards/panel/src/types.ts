// The API's shapes as the panel reads them (docs: /api/v1 contract). Alert types come straight
// from the hub's core so the two cannot drift apart.
export type { AlertCase, AlertChange, CaseState, LedgerEntry } from '../../../src/core/alert-types.js';
export type { KindName, NoiseZone, Severity } from '../../../src/core/domain.js';

export interface User {
  id: string;
  name: string;
  role: string;
  grids: string[];
  lang?: 'zh' | 'en';
}

export interface Session {
  token: string;
  expiresAt: number | string;
  user: User;
}

export interface SiteBuilding { id: string; name: string }
export interface SiteGrid { id: string; name: string; noiseZone: string; buildings: SiteBuilding[] }
export interface SiteCommunity { id: string; name: string; grids: SiteGrid[] }
export interface SiteStreet { id: string; name: string; communities: SiteCommunity[] }

export type { DeviceStatus, DeviceView, LiveReading } from '../../../src/core/live-types.js';

export interface ReadingRow { time: number | string; device: string; [field: string]: unknown }
