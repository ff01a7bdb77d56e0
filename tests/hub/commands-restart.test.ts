// A valve command outlives a restart of a single-mode hub (embedded aedes, SQLite case store). A
// real `gridwatch serve` child on a real influxd; a real MQTT valve over TCP that does not ack at
// first:
// - the hub is killed (SIGKILL) or stopped (SIGTERM) after the gas leak's valve command went out
//   and before the valve acked; started again on the same data dir, it sends the command again
//   with the same id when the valve reconnects; the valve's ack closes it in the ledger exactly
//   once (its late ack to the first copy too), and nothing is recorded as "not confirmed" (a clean
//   stop hands it over to the next start);
// - a valve decommissioned while the hub was down gets nothing: its command is given up, once.
// The ledger is read from the data dir's SQLite case store while no hub runs.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { openSqliteCaseStore } from '../../src/alerts/store-sqlite.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { testSite, until, type TestDevice, type TestSite } from '../helpers/hub.js';
import { serveChild, stopChild } from '../helpers/serve.js';

let influx: TestInflux;
const dirs: string[] = [];
const children: ChildProcess[] = [];
const clients: MqttClient[] = [];

beforeAll(async () => {
  influx = await startTestInflux();
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.end(true);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await influx?.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}, 60_000);

/** A single-mode site on a fresh data dir: the gas device is its unit's valve. */
function site(device: TestDevice): { file: string; dataDir: string; site: TestSite; write(devices: TestDevice[]): void } {
  const dir = mkdtempSync(join(tmpdir(), 'gw-cmd-restart-'));
  dirs.push(dir);
  const dataDir = join(dir, 'data');
  const file = join(dir, 'gridwatch.yaml');
  // the hub's own re-send would come only after 60 s: a second copy within the test is the restart's
  const overrides = { dataDir, influx: { database: 'cmdrestart', flushMs: 20, timeoutMs: 1000 }, mqtt: { port: 0, host: '127.0.0.1', commandAckMs: 60_000, commandAttempts: 4 } };
  const made = testSite([device], overrides);
  const write = (devices: TestDevice[]): void => writeFileSync(file, stringify(testSite(devices, overrides).raw));
  write([device]);
  return { file, dataDir, site: made, write };
}

async function start(file: string): Promise<{ child: ChildProcess; mqttPort: number }> {
  const started = await serveChild(file, { influxUrl: influx.url });
  children.push(started.child);
  return started;
}

/** A valve on the hub: collects the command ids it gets; acks them once `acking` is set. */
async function valveOn(port: number, device: string, secret: string, state: { acking: boolean; received: string[] }): Promise<MqttClient> {
  const client = await until(() => mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: device, username: device, password: secret, reconnectPeriod: 0, connectTimeout: 2000 }), 60_000, 'the hub to accept the valve');
  clients.push(client);
  client.on('message', (topic, payload) => {
    if (topic !== `gridwatch/v1/${device}/cmd`) return;
    const id = (JSON.parse(payload.toString()) as { id: string }).id;
    state.received.push(id);
    if (state.acking) client.publishAsync(`gridwatch/v1/${device}/cmd/ack`, JSON.stringify({ id, ok: true }), { qos: 1 }).catch(() => undefined);
  });
  await client.subscribeAsync(`gridwatch/v1/${device}/cmd`, { qos: 1 });
  return client;
}

/** The command entries of the data dir's case ledger (no hub may be running), and what is still unsettled. */
async function ledgerOf(dataDir: string): Promise<{ entries: Record<string, unknown>[]; unsettled: string[] }> {
  const store = openSqliteCaseStore(join(dataDir, 'alerts.db'));
  try {
    const cases = await store.listCases({ limit: 100 });
    const entries: Record<string, unknown>[] = [];
    for (const c of cases) for (const e of await store.ledger(c.id)) if (e.action.startsWith('command_')) entries.push({ action: e.action, ...e.data });
    return { entries, unsettled: (await store.unsettledCommands()).map((u) => u.id) };
  } finally {
    await store.close();
  }
}

/** The hub runs; the valve connects (not acking), a leak opens the case and the command reaches the valve once: its id. */
async function leakSent(file: string, device: string, secret: string, state: { acking: boolean; received: string[] }): Promise<{ child: ChildProcess; valve: MqttClient; id: string }> {
  const { child, mqttPort } = await start(file);
  const valve = await valveOn(mqttPort, device, secret, state);
  await valve.publishAsync(`gridwatch/v1/${device}/reading`, JSON.stringify({ lel: 32, ts: Date.now() }), { qos: 1 });
  await until(() => state.received.length === 1 || undefined, 30_000, 'the valve command');
  return { child, valve, id: state.received[0] as string };
}

describe('single mode: a pending valve command outlives a restart of the hub', () => {
  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`${signal} before the valve acks: the restarted hub sends the same command again when the valve reconnects, and its ack closes it once`, async () => {
      const device = `gas-${signal.toLowerCase()}`;
      const s = site({ id: device, kind: 'gas', valve: true });
      const secret = s.site.secrets.get(device) as string;
      const state = { acking: false, received: [] as string[] };
      const first = await leakSent(s.file, device, secret, state);

      await stopChild(first.child, signal);
      first.valve.end(true);
      const down = await ledgerOf(s.dataDir);
      // a clean stop records no "not confirmed": the command is still open for the next start
      expect(down.entries.map((e) => e.action)).toEqual(['command_sent']);
      expect(down.unsettled).toEqual([first.id]);

      const { child: second, mqttPort } = await start(s.file);
      state.acking = true;
      const valve = await valveOn(mqttPort, device, secret, state);
      await until(() => state.received.length >= 2 || undefined, 30_000, 'the command sent again after the restart');
      expect(new Set(state.received)).toEqual(new Set([first.id]));
      // and, late, its ack to the copy it got before the hub went down (same id)
      await valve.publishAsync(`gridwatch/v1/${device}/cmd/ack`, JSON.stringify({ id: first.id, ok: true }), { qos: 1 });
      expect(await stopChild(second, 'SIGTERM')).toBe(0); // the ack's writes are done once it has exited

      const { entries, unsettled } = await ledgerOf(s.dataDir);
      expect(entries.filter((e) => e.action === 'command_sent')).toHaveLength(1);
      expect(entries.filter((e) => e.action === 'command_ack')).toEqual([{ action: 'command_ack', commandId: first.id, ok: true }]);
      expect(entries.map((e) => e.action)).not.toContain('command_unconfirmed');
      expect(entries.find((e) => e.action === 'command_retried')).toEqual({ action: 'command_retried', device, commandId: first.id, send: 2, reason: 'restart' });
      expect(unsettled).toEqual([]);
    }, 180_000);
  }

  it('a valve decommissioned while the hub was down: its command is not sent again, it is given up once', async () => {
    const device = 'gas-gone';
    const s = site({ id: device, kind: 'gas', valve: true });
    const state = { acking: false, received: [] as string[] };
    const first = await leakSent(s.file, device, s.site.secrets.get(device) as string, state);
    await stopChild(first.child, 'SIGKILL');
    first.valve.end(true);

    s.write([{ id: 'gas-other', kind: 'gas', building: 'b2' }]); // the valve is gone from the site
    const { child: second } = await start(s.file); // the give-up is written before the hub listens
    expect(await stopChild(second, 'SIGTERM')).toBe(0);
    const { entries, unsettled } = await ledgerOf(s.dataDir);
    expect(entries.map((e) => e.action)).toEqual(['command_sent', 'command_unconfirmed']);
    expect(entries[1]).toMatchObject({ device, commandId: first.id, sends: 1, reason: 'decommissioned' });
    expect(unsettled).toEqual([]);
    expect(state.received).toEqual([first.id]);
  }, 180_000);
});
