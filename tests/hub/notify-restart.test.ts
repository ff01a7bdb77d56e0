// A notification outlives a restart of a single-mode hub, like a valve command does. A real
// `gridwatch serve` child on a real influxd, a real HTTP receiver (the webhook / robot) and a real
// MQTT siren over TCP:
// - the receiver is down (HTTP 503) when a gas leak opens a case; the hub is killed (SIGKILL) or
//   stopped (SIGTERM) while the delivery waits for its retry; started again on the same data dir
//   with the receiver up, it delivers the notification and records it once as `notified`, and
//   a clean stop records no final give-up;
// - a notification already given up (dead letter) is not sent again after the restart;
// - a siren that has not confirmed: after a kill or a clean stop (the broker closing under the
//   send is no give-up) the restarted hub switches it on.
// The ledger is read from the data dir's SQLite case store while no hub runs.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { openSqliteCaseStore } from '../../src/alerts/store-sqlite.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { testSite, until, type TestDevice } from '../helpers/hub.js';
import { serveChild, stopChild } from '../helpers/serve.js';
import { startRecorder, type Recorder } from '../notify/http-recorder.js';

let influx: TestInflux;
const dirs: string[] = [];
const children: ChildProcess[] = [];
const clients: MqttClient[] = [];
const recorders: Recorder[] = [];

beforeAll(async () => {
  influx = await startTestInflux();
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.end(true);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const r of recorders) await r.close();
  await influx?.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}, 60_000);

const DOWN = { status: 503, body: 'receiver down' };
const UP = { status: 200, body: '{"errcode":0}' };

async function receiver(): Promise<Recorder> {
  const r = await startRecorder(DOWN);
  recorders.push(r);
  return r;
}

/** A single-mode site on a fresh data dir with these channels; the gas device raises the alarm. */
function site(devices: TestDevice[], channels: unknown[]): { file: string; dataDir: string; secrets: Map<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'gw-notify-restart-'));
  dirs.push(dir);
  const dataDir = join(dir, 'data');
  const file = join(dir, 'gridwatch.yaml');
  // commands wait 60 s for an ack: a second siren command within the test is the restart's
  const made = testSite(devices, { dataDir, channels, influx: { database: 'notifyrestart', flushMs: 20, timeoutMs: 1000 }, mqtt: { port: 0, host: '127.0.0.1', commandAckMs: 60_000, commandAttempts: 4 } });
  writeFileSync(file, stringify(made.raw));
  return { file, dataDir, secrets: made.secrets };
}

async function start(file: string): Promise<{ child: ChildProcess; mqttPort: number }> {
  const started = await serveChild(file, { influxUrl: influx.url });
  children.push(started.child);
  return started;
}

async function connect(port: number, device: string, secret: string): Promise<MqttClient> {
  const client = await until(() => mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: device, username: device, password: secret, reconnectPeriod: 0, connectTimeout: 2000 }), 60_000, `the hub to accept ${device}`);
  clients.push(client);
  return client;
}

async function leak(port: number, device: string, secret: string): Promise<MqttClient> {
  const gas = await connect(port, device, secret);
  await gas.publishAsync(`gridwatch/v1/${device}/reading`, JSON.stringify({ lel: 32, ts: Date.now() }), { qos: 1 });
  return gas;
}

/** The delivery records (notified, delivery_failed) of the data dir's case ledger (SQLite WAL: read while a hub runs too). */
async function deliveries(dataDir: string): Promise<Record<string, unknown>[]> {
  const store = openSqliteCaseStore(join(dataDir, 'alerts.db'));
  try {
    const out: Record<string, unknown>[] = [];
    for (const c of await store.listCases({ limit: 100 })) {
      for (const e of await store.ledger(c.id)) if (e.action === 'notified' || e.action === 'delivery_failed') out.push({ action: e.action, ...e.data });
    }
    return out;
  } finally {
    await store.close();
  }
}

describe('single mode: a pending notification outlives a restart of the hub', () => {
  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`${signal} while the webhook delivery waits for its retry: the restarted hub delivers it, recorded once`, async () => {
      const hook = await receiver();
      const device = `gas-n-${signal.toLowerCase()}`;
      const s = site([{ id: device, kind: 'gas' }], [{ id: 'ops-hook', type: 'webhook', url: `${hook.url}/hook`, maxAttempts: 20 }]);
      const first = await start(s.file);
      await leak(first.mqttPort, device, s.secrets.get(device) as string);
      await until(() => hook.requests.length >= 1 || undefined, 30_000, 'the first delivery attempt');

      expect(await stopChild(first.child, signal)).toBe(signal === 'SIGTERM' ? 0 : null);
      const down = await deliveries(s.dataDir);
      // failed attempts that will be retried, never a give-up (a clean stop is not one either)
      expect(down.every((d) => d.action === 'delivery_failed' && d.final === false)).toBe(true);
      const tried = hook.requests.length;

      hook.fallback = UP;
      const second = await start(s.file);
      await until(() => hook.requests.length > tried || undefined, 30_000, 'the notification delivered after the restart');
      const body = JSON.parse(hook.requests[hook.requests.length - 1]?.body ?? '{}') as { case: { device: string; state: string }; step: number; reason: string };
      expect(body).toMatchObject({ case: { device, state: 'open' }, step: 0, reason: 'opened' });
      expect(await stopChild(second.child, 'SIGTERM')).toBe(0);

      const after = await deliveries(s.dataDir);
      const notified = after.filter((d) => d.action === 'notified');
      expect(notified).toHaveLength(1);
      expect(notified[0]).toMatchObject({ channel: 'ops-hook', step: 0, reason: 'opened', resumed: 'restart' });
      expect(after.some((d) => d.final === true)).toBe(false);
    }, 180_000);
  }

  it('a notification given up before the kill (dead letter) is not sent again; one still pending is', async () => {
    const dead = await receiver();
    dead.fallback = { status: 400, body: 'bad request' };
    const hook = await receiver();
    const device = 'gas-n-dead';
    const s = site([{ id: device, kind: 'gas' }], [
      { id: 'dead-hook', type: 'webhook', url: `${dead.url}/hook`, maxAttempts: 1 },
      { id: 'ops-hook', type: 'webhook', url: `${hook.url}/hook`, maxAttempts: 20 },
    ]);
    const first = await start(s.file);
    await leak(first.mqttPort, device, s.secrets.get(device) as string);
    await until(() => (dead.requests.length >= 1 && hook.requests.length >= 1) || undefined, 30_000, 'both first attempts');
    // the dead letter is on the ledger before the kill
    await until(async () => (await deliveries(s.dataDir)).some((d) => d.channel === 'dead-hook' && d.final === true) || undefined, 30_000, 'the dead letter recorded');
    await stopChild(first.child, 'SIGKILL');

    dead.fallback = UP;
    hook.fallback = UP;
    const tried = hook.requests.length;
    const second = await start(s.file);
    await until(() => hook.requests.length > tried || undefined, 30_000, 'the pending one delivered after the restart');
    expect(await stopChild(second.child, 'SIGTERM')).toBe(0);
    expect(dead.requests).toHaveLength(1);
    const after = await deliveries(s.dataDir);
    expect(after.filter((d) => d.channel === 'dead-hook').map((d) => [d.action, d.final])).toEqual([['delivery_failed', true]]);
    expect(after.filter((d) => d.action === 'notified').map((d) => d.channel)).toEqual(['ops-hook']);
  }, 180_000);

  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`${signal} while the siren has not confirmed: the restarted hub switches the siren on, and records it`, async () => {
      const device = `gas-n-siren-${signal.toLowerCase()}`;
      const siren = `siren-n-${signal.toLowerCase()}`;
      // one attempt: the broker closing under it on a clean stop would be a give-up if taken for the siren's silence
      const s = site([{ id: device, kind: 'gas' }, { id: siren, kind: 'smoke', building: 'b2' }], [{ id: 'sirens', type: 'siren', devices: [siren], maxAttempts: 1 }]);
      const got: { on: boolean; id: string }[] = [];
      let acking = false;
      const onSiren = async (port: number): Promise<void> => {
        const client = await connect(port, siren, s.secrets.get(siren) as string);
        client.on('message', (topic, payload) => {
          const cmd = JSON.parse(payload.toString()) as { id: string; cmd: string; on: boolean };
          if (topic !== `gridwatch/v1/${siren}/cmd` || cmd.cmd !== 'siren') return;
          got.push(cmd);
          if (acking) client.publishAsync(`gridwatch/v1/${siren}/cmd/ack`, JSON.stringify({ id: cmd.id, ok: true }), { qos: 1 }).catch(() => undefined);
        });
        await client.subscribeAsync(`gridwatch/v1/${siren}/cmd`, { qos: 1 });
      };
      const first = await start(s.file);
      await onSiren(first.mqttPort);
      await leak(first.mqttPort, device, s.secrets.get(device) as string);
      await until(() => got.length >= 1 || undefined, 30_000, 'the siren command');
      await stopChild(first.child, signal);
      expect(await deliveries(s.dataDir)).toEqual([]);
      expect(existsSync(join(s.dataDir, 'notify', 'dead-letter.jsonl'))).toBe(false);

      const sent = got.length;
      acking = true;
      const second = await start(s.file);
      await onSiren(second.mqttPort);
      await until(() => got.length > sent || undefined, 30_000, 'the siren switched on after the restart');
      await until(async () => (await deliveries(s.dataDir)).some((d) => d.action === 'notified') || undefined, 30_000, 'the siren delivery recorded');
      expect(await stopChild(second.child, 'SIGTERM')).toBe(0);
      expect(got.every((c) => c.on)).toBe(true);
      const after = await deliveries(s.dataDir);
      expect(after.filter((d) => d.action === 'notified')).toEqual([expect.objectContaining({ channel: 'sirens', type: 'siren', step: 0, resumed: 'restart' })]);
    }, 180_000);
  }
});
