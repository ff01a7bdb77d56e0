import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { stringify } from 'yaml';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { startTestHub, testSite, until, type TestDevice } from '../helpers/hub.js';
import { serveChild as serve } from '../helpers/serve.js';

// the flows here are faster than a device's allowed rate; an over-rate reading is answered on the
// error topic and acknowledged without being stored, which is not what these tests are about
const NO_RATE_LIMIT = { port: 0, host: '127.0.0.1', ratePerSecond: 10_000, rateBurst: 10_000 };
let influx: TestInflux;
const dirs: string[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  influx = await startTestInflux();
}, 60_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await influx?.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}, 60_000);

async function seqsIn(db: string, measurement: string): Promise<number[]> {
  const s = await influx.query(`SELECT seq FROM ${measurement}`, db);
  return (s[0]?.values ?? []).map((v) => v[1] as number);
}

async function serveChild(file: string, onLog?: (text: string) => void): Promise<{ child: ChildProcess; mqttPort: number }> {
  const started = await serve(file, { influxUrl: influx.url, ...(onLog ? { onLog } : {}) });
  children.push(started.child);
  return started;
}

/** Publishes QoS 1 readings one after another until stopped; returns the seqs that were PUBACKed. */
function steadyFlow(c: MqttClient, device: string, startTs: number): { stop(): Promise<number[]> } {
  const acked: number[] = [];
  let running = true;
  const loop = (async () => {
    for (let seq = 0; running; seq++) {
      await c.publishAsync(`gridwatch/v1/${device}/reading`, JSON.stringify({ lel: seq % 50, seq, ts: startTs + seq }), { qos: 1 });
      acked.push(seq);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return acked;
    },
  };
}

describe('durability: a PUBACKed reading is never lost', () => {
  it('influxd stopped under a steady QoS 1 flow, then restarted: every acknowledged reading lands once', async () => {
    const devices: TestDevice[] = [{ id: 'gas-d1', kind: 'gas' }, { id: 'gas-d2', kind: 'gas', building: 'b2' }, { id: 'gas-d3', kind: 'gas' }];
    const t = await startTestHub({ influxUrl: influx.url, devices, database: 'durable', overrides: { influx: { url: influx.url, database: 'durable', flushMs: 20, timeoutMs: 1000 }, mqtt: NO_RATE_LIMIT } });
    try {
      const start = Date.now() - 600_000;
      const flows = await Promise.all(devices.map(async (d, i) => steadyFlow(await t.connect(d.id), d.id, start + i * 100_000)));
      const flowing = async (n: number): Promise<void> => {
        const before = t.hub.ctx.store.writer.stats().pointsWritten + t.hub.ctx.store.writer.stats().pointsSpooled;
        await until(() => t.hub.ctx.store.writer.stats().pointsWritten + t.hub.ctx.store.writer.stats().pointsSpooled >= before + n || undefined, 30_000, `${n} more points`);
      };
      await flowing(30);
      await influx.stop();
      await until(() => t.hub.ctx.store.writer.stats().spooling || undefined, 30_000, 'spooling');
      await flowing(60); // readings keep being acknowledged while InfluxDB is down
      const health = await fetch(`http://127.0.0.1:${t.hub.httpPort}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ ok: false, influx: { spooling: true } });
      await influx.restart();
      await until(() => !t.hub.ctx.store.writer.stats().spooling || undefined, 60_000, 'spool drained');
      await flowing(30);
      const acked = await Promise.all(flows.map((f) => f.stop()));
      const total = acked.reduce((n, a) => n + a.length, 0);
      // the 120 points counted above include up to three connect presence points
      expect(total).toBeGreaterThanOrEqual(115);
      const stored = await until(async () => {
        const seqs = await seqsIn('durable', 'gas');
        return seqs.length >= total ? seqs : undefined;
      }, 60_000, 'all acknowledged readings in InfluxDB');
      expect(stored).toHaveLength(total); // none twice
      for (const [i, d] of devices.entries()) {
        const rows = await influx.query(`SELECT seq FROM gas WHERE device = '${d.id}'`, 'durable');
        const seqs = (rows[0]?.values ?? []).map((v) => v[1] as number);
        expect(seqs).toEqual(acked[i]);
      }
    } finally {
      await t.close();
    }
  }, 180_000);

  it('no PUBACK until the reading is durable: with InfluxDB down and the spool unwritable the device gets none, and gets it once the spool has the reading', async () => {
    const device: TestDevice = { id: 'gas-held', kind: 'gas' };
    const t = await startTestHub({ influxUrl: influx.url, devices: [device], database: 'held', overrides: { influx: { url: influx.url, database: 'held', flushMs: 20, timeoutMs: 1000 }, mqtt: NO_RATE_LIMIT } });
    const spool = join(t.dataDir, 'spool');
    const spooled = (): string => readdirSync(spool).map((f) => readFileSync(join(spool, f), 'utf8')).join('');
    try {
      await influx.createDb('held');
      await influx.stop();
      // the store cannot make anything durable: InfluxDB refuses connections, the spool is a file
      rmSync(spool, { recursive: true, force: true });
      writeFileSync(spool, 'not a directory');
      const topic = `gridwatch/v1/${device.id}/reading`;
      const reading = JSON.stringify({ lel: 3, seq: 1, ts: Date.now() - 1000 });
      const c = await t.connect(device.id);
      let acked = false;
      c.publish(topic, reading, { qos: 1 }, (err) => {
        if (!err) acked = true;
      });
      // the store fails: the hub closes the connection without a PUBACK, so the device will re-send
      await until(() => !c.connected || acked || undefined, 30_000, 'the connection closed by the hub (or a PUBACK)');
      expect(acked).toBe(false);
      expect(t.hub.ctx.store.writer.stats().pointsWritten + t.hub.ctx.store.writer.stats().pointsSpooled).toBe(0);

      // the spool is writable again: the re-send is acknowledged, and by then it is on disk
      rmSync(spool, { force: true });
      mkdirSync(spool);
      const again = await t.connect(device.id);
      await again.publishAsync(topic, reading, { qos: 1 });
      expect(spooled()).toContain('"seq":1');
      await influx.restart();
      const rows = await until(async () => {
        const r = await influx.query(`SELECT seq, lel FROM gas WHERE device = '${device.id}'`, 'held');
        return r[0]?.values;
      }, 60_000, 'the reading in InfluxDB');
      expect(rows.map((r) => r.slice(1))).toEqual([[1, 3]]);
    } finally {
      if (!(await fetch(`${influx.url}/ping`).then(() => true, () => false))) await influx.restart();
      await t.close();
    }
  }, 120_000);

  it('the hub process killed with SIGKILL while InfluxDB is down: the spooled readings land after restart, once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-kill-'));
    dirs.push(dir);
    const device: TestDevice = { id: 'water-k1', kind: 'water' };
    const site = testSite([device], { dataDir: join(dir, 'data'), influx: { database: 'killed', flushMs: 20, timeoutMs: 1000 }, mqtt: NO_RATE_LIMIT });
    const file = join(dir, 'gridwatch.yaml');
    writeFileSync(file, stringify(site.raw));
    await influx.createDb('killed');
    await influx.stop();
    let logs = '';
    const log = (text: string): void => {
      logs += text;
    };
    const connect = (mqttPort: number): Promise<MqttClient> => until(() => mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: device.id, username: device.id, password: site.secrets.get(device.id), reconnectPeriod: 0, connectTimeout: 2000 }), 60_000, 'the hub process to accept MQTT');

    const { child: first, mqttPort } = await serveChild(file, log);
    const c = await connect(mqttPort);
    const base = Date.now() - 60_000;
    const N = 120;
    for (let seq = 0; seq < N; seq++) {
      await c.publishAsync(`gridwatch/v1/${device.id}/reading`, JSON.stringify({ leak: seq % 3 === 0, level_mm: seq, seq, ts: base + seq * 10 }), { qos: 1 });
    }
    // every one of the N readings was PUBACKed: durable in the spool although InfluxDB is down
    const exited = new Promise((r) => first.once('exit', r));
    first.kill('SIGKILL');
    await exited;
    c.end(true);

    await influx.restart();
    const { child: second } = await serveChild(file, log);
    const seqs = await until(async () => {
      const s = await seqsIn('killed', 'water');
      return s.length >= N ? s : undefined;
    }, 60_000, 'the spool replayed after the restart').catch(async (e: unknown) => {
      const have = new Set(await seqsIn('killed', 'water'));
      const dbs = `missing ${JSON.stringify(Array.from({ length: N }, (_, i) => i).filter((i) => !have.has(i)))}` + JSON.stringify(await influx.query('SHOW DATABASES')) + JSON.stringify(await influx.query('SHOW MEASUREMENTS', 'killed')) + JSON.stringify(await influx.query('SELECT count(*) FROM /.*/', 'killed'));
      throw new Error(`${String(e)}\n${dbs}\nspool: ${JSON.stringify(readdirSync(join(dir, 'data', 'spool')))}\nhub logs:\n${logs.slice(-5000)}`);
    });
    expect(seqs).toHaveLength(N);
    expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
    const stopped = new Promise<number | null>((r) => second.once('exit', (code) => r(code)));
    second.kill('SIGTERM');
    expect(await stopped).toBe(0); // graceful shutdown
  }, 180_000);

  // Acknowledgements are held by a low rate limit, so when the hub is killed many readings are
  // stored but not acknowledged; the device re-sends exactly those after the restart. Receive-
  // stamped re-sends must find the point of the original (the ingest journal), device-stamped ones
  // land on it by their own ts and seq.
  for (const stamped of [false, true]) {
    it(`the hub killed with SIGKILL while readings ${stamped ? 'with' : 'without'} ts are stored but not yet acknowledged: after the restart and the re-sends each is stored once`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gw-resend-'));
      dirs.push(dir);
      const db = stamped ? 'resend_ts' : 'resend_nots';
      const device: TestDevice = { id: stamped ? 'gas-rs-ts' : 'gas-rs-nots', kind: 'gas' };
      const site = testSite([device], { dataDir: join(dir, 'data'), influx: { database: db, flushMs: 20, timeoutMs: 1000 }, mqtt: { port: 0, host: '127.0.0.1', ratePerSecond: 5, rateBurst: 20 } });
      const file = join(dir, 'gridwatch.yaml');
      writeFileSync(file, stringify(site.raw));
      await influx.createDb(db);
      const connect = (mqttPort: number): Promise<MqttClient> => until(() => mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: device.id, username: device.id, password: site.secrets.get(device.id), reconnectPeriod: 0, connectTimeout: 2000 }), 60_000, 'the hub process to accept MQTT');
      const N = 60;
      const base = Date.now() - 60_000;
      const payload = (seq: number): string => JSON.stringify(stamped ? { lel: seq % 9, seq, ts: base + seq } : { lel: seq % 9, seq });
      const acked = new Set<number>();
      const send = (c: MqttClient, seq: number): void => {
        c.publish(`gridwatch/v1/${device.id}/reading`, payload(seq), { qos: 1 }, (err) => {
          if (!err) acked.add(seq);
        });
      };
      const countStored = async (): Promise<number> => Number((await influx.query('SELECT count(seq) FROM gas', db))[0]?.values[0]?.[1] ?? 0);

      const { child: first, mqttPort } = await serveChild(file);
      const c1 = await connect(mqttPort);
      for (let seq = 0; seq < N; seq++) send(c1, seq);
      await until(async () => (await countStored()) >= N || undefined, 60_000, 'all readings stored');
      const exited = new Promise((r) => first.once('exit', r));
      first.kill('SIGKILL');
      await exited;
      c1.end(true);
      const resend = Array.from({ length: N }, (_, i) => i).filter((i) => !acked.has(i));
      expect(resend.length).toBeGreaterThan(20); // the precondition: many stored, not acknowledged

      const { child: second, mqttPort: again } = await serveChild(file);
      const c2 = await connect(again);
      for (const seq of resend) send(c2, seq);
      await until(() => acked.size === N || undefined, 60_000, 'every re-send acknowledged');
      c2.end(true);
      const rows = (await influx.query('SELECT seq FROM gas', db))[0]?.values ?? [];
      const seqs = rows.map((r) => r[1] as number).sort((a, b) => a - b);
      expect({ stored: seqs.length, missing: N - new Set(seqs).size }).toEqual({ stored: N, missing: 0 });
      expect(seqs).toEqual(Array.from({ length: N }, (_, i) => i));
      const stopped = new Promise((r) => second.once('exit', r));
      second.kill('SIGTERM');
      await stopped;
    }, 180_000);
  }
});
