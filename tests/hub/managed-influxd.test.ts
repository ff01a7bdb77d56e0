import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it, expect } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { stringify } from 'yaml';
import { silentLogger } from '../../src/core/logger.js';
import { parseConfig } from '../../src/config/index.js';
import { startHub } from '../../src/hub/hub.js';
import { freePort, influxdsUsing } from '../../src/store/influxd.js';
import { testSite, until } from '../helpers/hub.js';
import { stopProcess } from '../helpers/process.js';
import { password, peopleConfig } from '../api/people.js';

const ROOT = join(import.meta.dirname, '../..');
const NO_RATE_LIMIT = { port: 0, host: '127.0.0.1', ratePerSecond: 10_000, rateBurst: 10_000 };
const dirs: string[] = [];
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) {
    for (const pid of influxdsUsing(join(d, 'data', 'influxdb', 'influxd.conf'))) process.kill(pid, 'SIGKILL');
    rmSync(d, { recursive: true, force: true });
  }
});

async function countSeq(url: string, db: string, measurement: string): Promise<number> {
  const res = await fetch(`${url}/query?db=${db}&q=${encodeURIComponent(`SELECT count(seq) FROM ${measurement}`)}`);
  const body = (await res.json()) as { results: { series?: { values: [string, number][] }[] }[] };
  return body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
}

describe('startHub without an InfluxDB url', () => {
  it('starts a managed influxd under <dataDir>/influxdb, creates the database, and stops it on close', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gw-managed-'));
    try {
      const site = testSite([{ id: 'gas-m1', kind: 'gas' }], { dataDir, influx: { database: 'managed' } });
      const hub = await startHub(parseConfig(site.raw, '(test)', { env: {} }), { logger: silentLogger() });
      expect(hub.influxd?.dir).toBe(join(dataDir, 'influxdb'));
      expect(hub.influxUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${hub.influxUrl}/query?q=${encodeURIComponent('SHOW DATABASES')}`);
      expect(JSON.stringify(await res.json())).toContain('"managed"');
      const child = hub.influxd?.child;
      await hub.close();
      expect(child?.exitCode !== null || child?.signalCode !== null).toBe(true);
      await expect(fetch(`${hub.influxUrl}/ping`)).rejects.toThrow();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  it('restarts a managed influxd killed with SIGKILL: /healthz turns 200 again, the spool drains by itself, readings answer, every acknowledged reading stored once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gw-managed-'));
    const site = testSite([{ id: 'gas-s1', kind: 'gas' }], { dataDir, influx: { database: 'supervised', timeoutMs: 1000 }, mqtt: NO_RATE_LIMIT, people: peopleConfig() });
    const hub = await startHub(parseConfig(site.raw, '(test)', { env: {} }), { logger: silentLogger() });
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${hub.mqttPort}`, { clientId: 'gas-s1', username: 'gas-s1', password: site.secrets.get('gas-s1'), reconnectPeriod: 0 });
    const http = `http://127.0.0.1:${hub.httpPort}`;
    try {
      const base = Date.now() - 600_000;
      const publish = (seq: number): Promise<unknown> => c.publishAsync('gridwatch/v1/gas-s1/reading', JSON.stringify({ lel: seq % 7, seq, ts: base + seq }), { qos: 1 });
      for (let seq = 1; seq <= 10; seq++) await publish(seq);
      const first = hub.influxd?.child.pid as number;
      process.kill(first, 'SIGKILL');
      await until(() => !hub.ctx.store.writer.stats().influxUp || hub.influxd?.restarts || undefined, 30_000, 'the hub to notice');
      for (let seq = 11; seq <= 40; seq++) await publish(seq); // acknowledged meanwhile: spool or the new influxd

      const healthy = await until(async () => {
        const res = await fetch(`${http}/healthz`);
        return res.status === 200 ? ((await res.json()) as { influx: { spoolDepth: number } }) : undefined;
      }, 60_000, '/healthz 200 again');
      expect(healthy.influx.spoolDepth).toBe(0);
      expect(hub.influxd?.restarts).toBeGreaterThanOrEqual(1);
      expect(hub.influxd?.child.pid).not.toBe(first);

      const login = await fetch(`${http}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'wang', password: password('wang') }) });
      const { token } = (await login.json()) as { token: string };
      const readings = await fetch(`${http}/api/v1/readings?device=gas-s1&from=${base}&to=${base + 3600_000}&every=1h`, { headers: { authorization: `Bearer ${token}` } });
      expect(readings.status, await readings.clone().text()).toBe(200);
      expect(await countSeq(hub.influxUrl, 'supervised', 'gas')).toBe(40);
    } finally {
      c.end(true);
      await hub.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('a stalled influxd (SIGSTOP) delays a PUBACK only until the stall probe answers for it: the reading is spooled, then stored once after SIGCONT', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gw-managed-'));
    // timeoutMs is longer than the test timeout: only the stall probe can release the PUBACK
    const site = testSite([{ id: 'gas-st1', kind: 'gas' }], { dataDir, influx: { database: 'stalled', timeoutMs: 120_000 }, mqtt: NO_RATE_LIMIT });
    const hub = await startHub(parseConfig(site.raw, '(test)', { env: {} }), { logger: silentLogger() });
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${hub.mqttPort}`, { clientId: 'gas-st1', username: 'gas-st1', password: site.secrets.get('gas-st1'), reconnectPeriod: 0 });
    const pid = hub.influxd?.child.pid as number;
    try {
      const base = Date.now() - 600_000;
      const publish = (seq: number): Promise<unknown> => c.publishAsync('gridwatch/v1/gas-st1/reading', JSON.stringify({ lel: 1, seq, ts: base + seq }), { qos: 1 });
      await publish(1);
      await stopProcess(pid);
      await publish(2); // PUBACKed: the stall probe sent it to the spool
      expect(hub.ctx.store.writer.stats()).toMatchObject({ spooling: true, influxUp: false });
      await publish(3);
      process.kill(pid, 'SIGCONT');
      await until(() => !hub.ctx.store.writer.stats().spooling || undefined, 60_000, 'the spool to drain');
      expect(await countSeq(hub.influxUrl, 'stalled', 'gas')).toBe(3);
      expect(hub.influxd?.restarts).toBe(0); // stalled is not dead: the supervisor left it alone
    } finally {
      process.kill(pid, 'SIGCONT');
      c.end(true);
      await hub.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('a hub killed with SIGKILL leaves its influxd running; the restarted hub stops it and runs exactly one influxd on the data dir, and the counts agree', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-orphan-'));
    dirs.push(dir);
    const site = testSite([{ id: 'water-o1', kind: 'water' }], { dataDir: join(dir, 'data'), influx: { database: 'orphan' }, mqtt: NO_RATE_LIMIT });
    const file = join(dir, 'gridwatch.yaml');
    writeFileSync(file, stringify(site.raw));
    const confPath = join(dir, 'data', 'influxdb', 'influxd.conf');
    const mqttPort = await freePort();
    let logs = '';
    const serve = (): ChildProcess => {
      const env: NodeJS.ProcessEnv = { ...process.env, GRIDWATCH_MQTT_PORT: String(mqttPort), GRIDWATCH_HTTP_PORT: '0', GRIDWATCH_LOG_LEVEL: 'info' };
      delete env.GRIDWATCH_INFLUX_URL;
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--config', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
      children.push(child);
      child.stdout?.on('data', (d: Buffer) => (logs += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (logs += d.toString()));
      return child;
    };
    const connect = (): Promise<MqttClient> => until(() => mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: 'water-o1', username: 'water-o1', password: site.secrets.get('water-o1'), reconnectPeriod: 0, connectTimeout: 2000 }), 60_000, 'the hub process to accept MQTT');
    const influxUrls = (): string[] => [...logs.matchAll(/"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*managed influxd started/g)].map((m) => m[1] as string);
    const base = Date.now() - 600_000;
    const publish = (c: MqttClient, seq: number): Promise<unknown> => c.publishAsync('gridwatch/v1/water-o1/reading', JSON.stringify({ leak: false, level_mm: seq, seq, ts: base + seq }), { qos: 1 });

    const first = serve();
    const c1 = await connect();
    for (let seq = 1; seq <= 30; seq++) await publish(c1, seq);
    const exited = new Promise((r) => first.once('exit', r));
    first.kill('SIGKILL');
    await exited;
    c1.end(true);
    const orphans = influxdsUsing(confPath);
    expect(orphans).toHaveLength(1); // the killed hub's influxd lives on, re-parented

    const second = serve();
    const c2 = await connect();
    const now = influxdsUsing(confPath);
    expect(now).toHaveLength(1);
    expect(now).not.toContain(orphans[0]);
    for (let seq = 31; seq <= 50; seq++) await publish(c2, seq);
    c2.end(true);
    const url = await until(() => influxUrls()[1], 10_000, 'the second managed influxd url in the log');
    expect(await until(async () => ((await countSeq(url, 'orphan', 'water')) === 50 ? 50 : undefined), 30_000, 'all 50 readings counted')).toBe(50);
    expect(await countSeq(url, 'orphan', 'water')).toBe(50); // the same answer again: one influxd, one copy of the data

    const stopped = new Promise<number | null>((r) => second.once('exit', (code) => r(code)));
    second.kill('SIGTERM');
    expect(await stopped).toBe(0);
    expect(influxdsUsing(confPath)).toEqual([]);
  }, 180_000);
});
