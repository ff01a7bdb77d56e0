// The broker's edge before a device is known, against a real hub over TCP and WebSocket: an
// unknown id gets the same answer and the same scrypt work as a wrong secret; failed attempts are
// throttled per (device, address) without touching another device on the same address; an
// unauthenticated connection cannot make the hub buffer more than a CONNECT's worth of bytes.
import { connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IClientOptions } from 'mqtt';
import WebSocket from 'ws';
import { generate } from 'mqtt-packet';
import { PRE_AUTH_BYTES } from '../../src/broker/frame-guard.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { connectRefusal, startTestHub, type TestHub } from '../helpers/hub.js';

let influx: TestInflux;
let t: TestHub;

beforeAll(async () => {
  influx = await startTestInflux();
  t = await startTestHub({ influxUrl: influx.url, devices: [{ id: 'gas-a', kind: 'gas' }, { id: 'gas-b', kind: 'gas' }, { id: 'gas-c', kind: 'gas' }] });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await influx?.cleanup();
}, 60_000);

const refusedWith = (opts: IClientOptions): Promise<number | undefined> => connectRefusal(t.hub.mqttPort, opts);

describe('unknown device ids', () => {
  it('are refused like a wrong secret (CONNACK 5), after a scrypt verification against a dummy hash', async () => {
    const before = t.hub.broker.auth.scryptRuns;
    expect(await refusedWith({ clientId: 'gas-zz', username: 'gas-zz', password: 'pw-gas-zz' })).toBe(5);
    expect(t.hub.broker.auth.scryptRuns).toBe(before + 1);
    expect(await refusedWith({ clientId: 'gas-c', username: 'gas-c', password: 'wrong' })).toBe(5);
    expect(t.hub.broker.auth.scryptRuns).toBe(before + 2);
  });
});

describe('failed device logins', () => {
  it('after a few failures the (device, address) pair is refused without scrypt; another device on the address is not', async () => {
    for (let i = 0; i < 5; i++) expect(await refusedWith({ clientId: 'gas-a', username: 'gas-a', password: `guess-${i}` })).toBe(5);
    const runs = t.hub.broker.auth.scryptRuns;
    expect(await refusedWith({ clientId: 'gas-a', username: 'gas-a', password: 'guess-5' })).toBe(5);
    expect(await refusedWith({ clientId: 'gas-a', username: 'gas-a', password: t.secrets.get('gas-a') })).toBe(5); // the pair waits
    expect(t.hub.broker.auth.scryptRuns).toBe(runs); // refused without the expensive check
    const b = await t.connect('gas-b');
    expect(b.connected).toBe(true);
    b.end(true);
  });

  it('a known device reconnecting is verified from the cache, not by scrypt again', async () => {
    const first = await t.connect('gas-c');
    first.end(true);
    const runs = t.hub.broker.auth.scryptRuns;
    const again = await t.connect('gas-c');
    expect(t.hub.broker.auth.scryptRuns).toBe(runs);
    again.end(true);
  });
});

/** An MQTT fixed header declaring `len` remaining bytes (a CONNECT's type byte). */
function header(len: number): Buffer {
  const out = [0x10];
  let n = len;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

describe('bytes before authentication', () => {
  it('a TCP connection declaring a CONNECT larger than the pre-auth budget is closed at once', async () => {
    const socket = tcpConnect(t.hub.mqttPort, '127.0.0.1');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(Buffer.concat([header(PRE_AUTH_BYTES * 4), Buffer.alloc(1024, 1)]));
    // closed on the header, well before aedes' own 30 s connect timeout would drop the silent client
    const outcome = await Promise.race([closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still open'), 10_000))]);
    expect(outcome).toBe('closed');
    socket.destroy();
  });

  it('a CONNECT pipelined with more than the budget of packets is closed before it is answered', async () => {
    const socket = tcpConnect(t.hub.mqttPort, '127.0.0.1');
    let answered = false;
    socket.on('data', () => { answered = true; });
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const connectPacket = generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId: 'gas-c', username: 'gas-c', password: Buffer.from(t.secrets.get('gas-c') ?? '') });
    const publish = generate({ cmd: 'publish', topic: 'gridwatch/v1/gas-c/reading', payload: Buffer.alloc(4000, 0x20), qos: 0, dup: false, retain: false });
    // one write: the CONNECT (right secret) and 64 KiB of publishes before any answer
    socket.write(Buffer.concat([connectPacket, ...Array.from({ length: 16 }, () => publish)]));
    await closed;
    expect(answered).toBe(false);
  });

  it('a WebSocket sending an unfinished fragmented message larger than the frame bound is closed (1009)', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${t.hub.httpPort}/mqtt`, 'mqtt');
    await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
    const code = new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
    ws.on('error', () => undefined);
    const chunk = Buffer.alloc(256 * 1024, 7);
    for (let i = 0; i < 8 && ws.readyState === WebSocket.OPEN; i++) ws.send(chunk, { fin: false, binary: true });
    expect(await code).toBe(1009);
  });
});
