import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, parser as mqttParser } from 'mqtt-packet';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { startTestHub, until, type TestHub } from '../helpers/hub.js';

// More devices than Node's default listen backlog (511) holds: what a hub restart brings.
const STORM = 1_000;
const ids = Array.from({ length: STORM }, (_, i) => `smoke-storm-${String(i).padStart(4, '0')}`);

let influx: TestInflux;
let t: TestHub;

beforeAll(async () => {
  influx = await startTestInflux();
  t = await startTestHub({ influxUrl: influx.url, devices: ids.map((id) => ({ id, kind: 'smoke' })), overrides: { mqtt: { port: 0, host: '127.0.0.1' } } });
}, 180_000);

afterAll(async () => {
  await t?.close();
  await influx?.cleanup();
}, 60_000);

/** Connections the kernel completed and queued for accept() on 127.0.0.1:`port` (a LISTEN socket's rx_queue in /proc/net/tcp). */
function acceptQueue(port: number): number {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local && f[3] === '0A') return parseInt((f[4] ?? '0:0').split(':')[1] ?? '0', 16);
  }
  throw new Error(`no listener on ${local}`);
}

/** Resolves with the CONNACK return code the socket gets for a CONNECT as `id`. */
function connack(sock: Socket, id: string, secret: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = mqttParser();
    p.on('packet', (packet) => {
      if (packet.cmd === 'connack') resolve(packet.returnCode ?? -1);
    });
    sock.on('data', (b: Buffer) => p.parse(b));
    sock.once('error', reject);
    sock.once('close', () => reject(new Error(`${id}: closed before CONNACK`)));
    const send = (): void => void sock.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60, clientId: id, username: id, password: Buffer.from(secret) }));
    if (sock.connecting) sock.once('connect', send);
    else send();
  });
}

describe('MQTT TCP listener', () => {
  it('queues a storm of simultaneous connections beyond the old 511 backlog while busy, and CONNACKs every one', async () => {
    const port = t.hub.mqttPort;
    const socks = ids.map(() => connect({ port, host: '127.0.0.1' }));
    // net.connect issues connect(2) on the next tick: after it, keep the event loop (the hub's
    // too: same process) from accepting, as a hub busy with a storm would, until the kernel
    // finished the handshakes. Every connection must fit in the accept queue: one that does not
    // has its handshake dropped and waits for a SYN retransmit (1 s, 2 s, ...).
    await new Promise<void>((r) => process.nextTick(r));
    let queued = acceptQueue(port);
    for (const deadline = Date.now() + 10_000; queued < STORM && Date.now() < deadline;) queued = acceptQueue(port);
    expect(queued).toBe(STORM);

    const codes = await Promise.all(socks.map((s, i) => connack(s, ids[i] as string, t.secrets.get(ids[i] as string) as string)));
    expect(codes.filter((c) => c !== 0)).toEqual([]);
    expect(t.hub.broker.connectedDevices()).toBe(STORM);

    // and each device's connect is stored once as its presence
    const rows = await until(async () => {
      const v = (await influx.query("SELECT count(online) FROM presence WHERE cause = 'connect' GROUP BY device", 'gridwatch'));
      return v.length === STORM ? v : undefined;
    }, 60_000, 'a connect point per device');
    expect(rows.map((s) => s.values[0]?.[1])).toEqual(ids.map(() => 1));
    for (const s of socks) s.destroy();
  }, 180_000);
});
