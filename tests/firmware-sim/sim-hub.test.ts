// The simulator against the REAL hub (in process, port 0) and a real influxd: devices connect with
// the credentials `demo init` wrote, readings land with valid payloads, Last Will and the QoS 1
// offline queue behave.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile, type Config } from '../../src/config/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { verifySecret } from '../../src/core/secret.js';
import { startHub, type Hub } from '../../src/hub/hub.js';
import { DeviceClient } from '../../firmware-sim/client.js';
import { demoInit, readSecrets } from '../../firmware-sim/credentials.js';
import { rngFor } from '../../firmware-sim/rng.js';
import { Simulator } from '../../firmware-sim/runner.js';
import { specsFromConfig } from '../../firmware-sim/index.js';
import { rows, startTestInflux, type TestInflux } from '../helpers/influxd.js';

const CHEAP = { N: 1024, r: 8, p: 1 };

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('simulator against the real hub', () => {
  let influx: TestInflux;
  let hub: Hub;
  let dir: string;
  let config: Config;
  let secrets: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-sim-'));
    influx = await startTestInflux();
    const init = await demoInit({ example: 'examples/gridwatch.yaml', out: dir, hashParams: CHEAP });
    expect(statSync(init.secretsFile).mode & 0o777).toBe(0o600);
    expect(statSync(init.loginsFile).mode & 0o777).toBe(0o600);
    config = loadConfigFile(init.configFile, { env: { GRIDWATCH_MQTT_PORT: '0', GRIDWATCH_HTTP_PORT: '0', GRIDWATCH_INFLUX_URL: influx.url, GRIDWATCH_INFLUX_DB: 'simtest', GRIDWATCH_DATA_DIR: join(dir, 'data') } });
    secrets = readSecrets(init.secretsFile);
    hub = await startHub(config, { logger: silentLogger() });
  });

  afterAll(async () => {
    await hub?.close();
    await influx?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('demo init wrote fresh hashes that verify against the secrets file', async () => {
    const first = config.devices[0];
    expect(first).toBeDefined();
    if (!first) return;
    expect(await verifySecret(secrets[first.id] ?? '', first.secretHash)).toBe(true);
    expect(Object.keys(secrets)).toHaveLength(config.devices.length);
    expect(config.people.every((p) => p.passwordHash !== undefined)).toBe(true);
  });

  it('runs the gas-leak scenario: valid readings from every device, the leak passes 25 % LEL, the hub closes the valve', async () => {
    const specs = specsFromConfig(config);
    // one gas sensor, in a unit with a registered valve: the leak is its, and the hub closes the valve
    const valveId = config.devices.find((d) => d.kind === 'gas' && d.valve === true)?.id;
    const gas = specs.filter((d) => d.id === valveId);
    expect(gas).toHaveLength(1);
    const others = ['noise', 'water', 'smoke'].map((k) => specs.find((d) => d.kind === k)).filter((d) => d !== undefined);
    const devices = [...gas, ...others];
    // ten times real speed from ten minutes ago: the leak starts about 5 s in
    const sim = new Simulator({ url: `mqtt://127.0.0.1:${hub.mqttPort}`, devices, secrets, timezone: config.timezone, scenario: 'gas-leak', seed: 'test', start: Date.now() - 10 * 60_000, warp: 10, qos: 1 });
    try {
      await sim.start(30_000);
      expect(sim.stats().connected).toBe(devices.length);
      const peak = await until('a gas reading >= 25 % LEL', async () => {
        const r = rows(await influx.query('SELECT max(lel) FROM gas', 'simtest'));
        const v = r[0]?.max;
        return typeof v === 'number' && v >= 25 ? v : undefined;
      });
      expect(peak).toBeGreaterThanOrEqual(25);
      await until('one reading from every device', async () => {
        const seen = new Set<string>();
        for (const m of ['gas', 'noise', 'water', 'smoke']) {
          for (const r of rows(await influx.query(`SELECT count(seq) FROM ${m} GROUP BY device`, 'simtest'))) seen.add(String(r.device));
        }
        return seen.size === devices.length ? seen : undefined;
      });
      const noise = rows(await influx.query('SELECT laeq, lmax, battery, rssi, seq FROM noise LIMIT 5', 'simtest'));
      for (const r of noise) {
        expect(r.lmax as number).toBeGreaterThanOrEqual(r.laeq as number);
        expect(r.battery as number).toBeGreaterThan(0);
        expect(r.rssi as number).toBeLessThan(0);
      }
      // critical case -> `valve closed` command -> acknowledged -> the sensor reports it closed
      await until('a reading with the valve closed', async () => {
        const r = rows(await influx.query(`SELECT lel, valve FROM gas WHERE valve = 'closed'`, 'simtest'));
        return r.length > 0 ? r : undefined;
      });
      expect(sim.stats().commands).toBeGreaterThanOrEqual(1);
      expect(sim.stats().rejected).toBe(0);
      expect(sim.stats().acked).toBeGreaterThan(0);
    } finally {
      await sim.stop();
    }
  });

  it('load mode spreads a target rate over the fleet with the kind mix, QoS 0', async () => {
    const count = async (): Promise<number> => {
      let n = 0;
      for (const r of rows(await influx.query('SELECT count(seq) FROM gas, noise, water, smoke', 'simtest'))) n += Number(r.count ?? 0);
      return n;
    };
    const before = await count();
    const devices = specsFromConfig(config).slice(0, 12);
    const sim = new Simulator({ url: `mqtt://127.0.0.1:${hub.mqttPort}`, devices, secrets, timezone: config.timezone, mode: 'load', rate: 300, qos: 0, seed: 'load' });
    try {
      await sim.start(30_000);
      await until('400 published', async () => (sim.stats().published >= 400 ? true : undefined));
    } finally {
      await sim.stop();
    }
    const published = sim.stats().published;
    await until('every load reading stored', async () => ((await count()) - before >= published ? true : undefined));
    expect(sim.stats().rejected).toBe(0);
    const kinds = new Set(devices.map((d) => d.kind));
    expect(kinds.size).toBeGreaterThan(1);
  });

  it('the outage scenario drops a whole building off the network (Last Will per device)', async () => {
    const specs = specsFromConfig(config);
    // 30x from ten minutes ago: the outage (60 s of simulated time in, for 10 minutes) starts ~2 s in
    const sim = new Simulator({ url: `mqtt://127.0.0.1:${hub.mqttPort}`, devices: specs, secrets, timezone: config.timezone, scenario: 'outage', seed: 'outage', start: Date.now() - 10 * 60_000, warp: 30, qos: 1 });
    const down = sim.devices.filter((d) => d.episodes.some((e) => e.type === 'dropout' && e.holdMs === 600_000)).map((d) => d.id);
    expect(down.length).toBeGreaterThan(1);
    try {
      await sim.start(60_000);
      const lwt = await until('a Last Will for every device of the building', async () => {
        const r = rows(await influx.query(`SELECT online, cause, device FROM presence WHERE cause = 'lwt' AND time > now() - 5m`, 'simtest'));
        const seen = new Set(r.map((x) => String(x.device)));
        return down.every((id) => seen.has(id)) ? seen : undefined;
      });
      expect(down.every((id) => lwt.has(id))).toBe(true);
      expect(sim.stats().connected).toBe(specs.length - down.length);
    } finally {
      await sim.stop();
    }
  });

  it('Last Will on a drop, QoS 1 readings queued offline and delivered after reconnecting', async () => {
    const spec = specsFromConfig(config).find((d) => d.kind === 'water');
    expect(spec).toBeDefined();
    if (!spec) return;
    const client = new DeviceClient({ url: `mqtt://127.0.0.1:${hub.mqttPort}`, id: spec.id, secret: secrets[spec.id] ?? '', rng: rngFor('t'), backoffBaseMs: 100 });
    try {
      await until('connect', async () => (client.connected ? true : undefined), 20_000);
      client.drop();
      await until('an lwt presence point', async () => {
        const r = rows(await influx.query(`SELECT online, cause FROM presence WHERE device = '${spec.id}' AND cause = 'lwt'`, 'simtest'));
        return r.length > 0 ? r : undefined;
      });
      const seq = 424242;
      const delivered = client.publish('reading', { ts: Date.now(), seq, leak: true, level_mm: 3 }, 1);
      client.resume();
      await delivered;
      const r = rows(await influx.query(`SELECT leak, level_mm FROM water WHERE device = '${spec.id}' AND seq = ${seq}`, 'simtest'));
      expect(r).toHaveLength(1);
      expect(r[0]?.leak).toBe(true);
      expect(client.connects).toBe(2);
    } finally {
      await client.stop();
    }
  });
});
