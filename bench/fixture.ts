// The bench's site: a config with load devices (all four kinds) and idle devices, cheap scrypt
// hashes (N=1024: the hub's per-device verification is measured, not the hash strength).
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { KindName } from '../src/core/domain.js';
import { hashSecretSync, newSecret } from '../src/core/secret.js';

export const CHEAP_SCRYPT = { N: 1024, r: 8, p: 1 };
const KINDS: KindName[] = ['noise', 'gas', 'water', 'smoke'];

export interface BenchDevice {
  id: string;
  kind: KindName;
  building: string;
  secret: string;
}

export interface Fixture {
  load: BenchDevice[];
  idle: BenchDevice[];
  /** gas sensors with a valve, each in a unit of its own: one gas alarm each in the latency figures */
  alarm: BenchDevice[];
  admin: { id: string; password: string };
  /** the config object (write with writeConfig) */
  config: Record<string, unknown>;
}

export function makeFixture(opts: { loadDevices: number; idleDevices: number; alarmDevices: number; database: string; mqttPort: number; httpPort: number; dataDir: string }): Fixture {
  const buildings = Array.from({ length: 8 }, (_, i) => ({ id: `bb-${i}`, name: `${i + 1}号楼` }));
  const load: BenchDevice[] = Array.from({ length: opts.loadDevices }, (_, i) => {
    const kind = KINDS[i % KINDS.length] as KindName;
    return { id: `load-${kind}-${i}`, kind, building: buildings[i % buildings.length]?.id ?? 'bb-0', secret: newSecret() };
  });
  // idle devices share one secret: the hub still verifies each device once
  const idleSecret = newSecret();
  const idleHash = hashSecretSync(idleSecret, CHEAP_SCRYPT);
  const idle: BenchDevice[] = Array.from({ length: opts.idleDevices }, (_, i) => ({ id: `idle-${i}`, kind: 'smoke', building: buildings[i % buildings.length]?.id ?? 'bb-0', secret: idleSecret }));
  const alarm: BenchDevice[] = Array.from({ length: opts.alarmDevices }, (_, i) => ({ id: `valve-${i}`, kind: 'gas', building: buildings[i % buildings.length]?.id ?? 'bb-0', secret: idleSecret }));
  const admin = { id: 'bench-admin', password: newSecret() };
  const devices = [
    ...alarm.map((d) => ({ id: d.id, kind: d.kind, building: d.building, unit: d.id, intervalS: 3600, secretHash: idleHash, valve: true })),
    ...load.map((d) => ({ id: d.id, kind: d.kind, building: d.building, intervalS: 60, secretHash: hashSecretSync(d.secret, CHEAP_SCRYPT) })),
    ...idle.map((d) => ({ id: d.id, kind: d.kind, building: d.building, intervalS: 3600, secretHash: idleHash })),
  ];
  const config = {
    timezone: 'Asia/Shanghai',
    mqtt: { port: opts.mqttPort, host: '127.0.0.1', ratePerSecond: 1_000_000, rateBurst: 1_000_000 },
    http: { port: opts.httpPort, host: '127.0.0.1' },
    influx: { database: opts.database },
    dataDir: opts.dataDir,
    streets: [{ id: 'bench', name: '基准街道', communities: [{ id: 'bc', name: '基准社区', grids: [{ id: 'bg', name: '基准网格', noiseZone: '1', buildings }] }] }],
    devices,
    people: [{ id: admin.id, name: '基准管理员', role: 'admin', passwordHash: hashSecretSync(admin.password, CHEAP_SCRYPT) }],
  };
  return { load, idle, alarm, admin, config };
}

export function writeConfig(file: string, config: Record<string, unknown>): void {
  writeFileSync(file, stringify(config));
}

/** The same site for a second hub with the rules engine and alert cases off (`alerting.enabled: false`). */
export function rulesOffConfig(config: Record<string, unknown>, opts: { mqttPort: number; httpPort: number; dataDir: string }): Record<string, unknown> {
  const mqtt = config.mqtt as Record<string, unknown>;
  const http = config.http as Record<string, unknown>;
  return { ...config, mqtt: { ...mqtt, port: opts.mqttPort }, http: { ...http, port: opts.httpPort }, dataDir: opts.dataDir, alerting: { enabled: false } };
}
