// Test harness: a hub started in process (ports 0, temp dataDir) over a real influxd, with a small
// site and devices whose secrets the test knows; plus real MQTT clients for those devices.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type ErrorWithReasonCode, type IClientOptions, type MqttClient } from 'mqtt';
import type { Clock } from '../../src/core/clock.js';
import type { KindName } from '../../src/core/domain.js';
import { silentLogger, type Logger } from '../../src/core/logger.js';
import { hashSecretSync } from '../../src/core/secret.js';
import { parseConfig, type Config } from '../../src/config/index.js';
import { startHub, type Hub } from '../../src/hub/hub.js';

/** cheap scrypt parameters: tests are about behaviour, not hashing cost (verify reads them from the hash) */
export const FAST_SCRYPT = { N: 1024, r: 8, p: 1 };

export interface TestDevice {
  id: string;
  kind: KindName;
  /** b1 (grid g1) or b2 (grid g2); default b1 */
  building?: 'b1' | 'b2';
  /** default 1单元101 */
  unit?: string;
  /** the unit's gas valve (config `valve: true`) */
  valve?: boolean;
}

export interface TestSite {
  raw: Record<string, unknown>;
  secrets: Map<string, string>;
}

/** A raw config object (for parseConfig or a YAML file): one street, community, two grids, two buildings. */
export function testSite(devices: TestDevice[], overrides: Record<string, unknown> = {}): TestSite {
  const secrets = new Map<string, string>();
  const list = devices.map((d) => {
    const secret = `pw-${d.id}`;
    secrets.set(d.id, secret);
    return { id: d.id, kind: d.kind, building: d.building ?? 'b1', unit: d.unit ?? '1单元101', intervalS: 60, secretHash: hashSecretSync(secret, FAST_SCRYPT), ...(d.valve ? { valve: true } : {}) };
  });
  const raw: Record<string, unknown> = {
    mqtt: { port: 0, host: '127.0.0.1' },
    http: { port: 0, host: '127.0.0.1' },
    streets: [{ id: 'liulin', name: '柳林街道', communities: [{ id: 'lty', name: '龙天园社区', grids: [
      { id: 'g1', name: '第一网格', noiseZone: '1', buildings: [{ id: 'b1', name: '1号楼' }] },
      { id: 'g2', name: '第二网格', noiseZone: '2', buildings: [{ id: 'b2', name: '2号楼' }] },
    ] }] }],
    devices: list,
    ...overrides,
  };
  return { raw, secrets };
}

export interface TestHub {
  hub: Hub;
  config: Config;
  secrets: Map<string, string>;
  dataDir: string;
  /** an MQTT client for a device, connected (rejects when the broker refuses it) */
  connect(device: string, opts?: IClientOptions): Promise<MqttClient>;
  close(): Promise<void>;
}

export async function startTestHub(opts: { influxUrl: string; devices: TestDevice[]; overrides?: Record<string, unknown>; clock?: Clock; logger?: Logger; database?: string }): Promise<TestHub> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-hub-'));
  const site = testSite(opts.devices, { dataDir, influx: { url: opts.influxUrl, database: opts.database ?? 'gridwatch', flushMs: 20 }, ...opts.overrides });
  const config = parseConfig(site.raw, '(test)', { env: {} });
  const hub = await startHub(config, { logger: opts.logger ?? silentLogger(), clock: opts.clock });
  const clients = new Set<MqttClient>();
  return {
    hub, config, secrets: site.secrets, dataDir,
    async connect(device, extra = {}) {
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${hub.mqttPort}`, {
        clientId: device, username: device, password: site.secrets.get(device) ?? 'none', reconnectPeriod: 0, connectTimeout: 10_000, ...extra,
      });
      clients.add(client);
      return client;
    },
    async close() {
      for (const c of clients) c.end(true);
      await hub.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns a value that is not undefined/false, or fails after `timeoutMs`. */
export async function until<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The CONNACK return code a broker on 127.0.0.1:`port` refuses `opts` with (undefined when it accepts). */
export async function connectRefusal(port: number, opts: IClientOptions): Promise<number | undefined> {
  try {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 10_000, ...opts });
    c.end(true);
    return undefined;
  } catch (e) {
    return (e as ErrorWithReasonCode).code;
  }
}
