// Child process: the load generator. Raw TCP sockets write pre-encoded MQTT packets (CONNECT,
// PUBLISH) and count PUBACK / CONNACK bytes, so the broker under test, not a client library, is
// the bottleneck. Driven over IPC by generator.ts; one request at a time, one reply each.
import { connect, type Socket } from 'node:net';
import { makeDevice, type SimDevice } from '../firmware-sim/device.js';
import { rngFor } from '../firmware-sim/rng.js';
import { reading } from '../firmware-sim/signals.js';
import type { BenchDevice } from './fixture.js';
import { connectPacket, DISCONNECT, PacketReader, packetRun, publishPacket, type PacketRun } from './wire.js';

interface Conn {
  device: BenchDevice;
  sock: Socket;
  /** PUBACKs seen */
  acks: number;
  onAck?: (n: number) => void;
}

export type Request =
  | { op: 'connect'; port: number; devices: BenchDevice[]; concurrency: number }
  | { op: 'prepare'; qos: 0 | 1; perDevice: number; seqBase: number }
  | { op: 'go'; window: number }
  | { op: 'rate'; rate: number; seqBase: number }
  | { op: 'stop' }
  | { op: 'idle'; port: number; devices: BenchDevice[]; concurrency: number; spread?: boolean }
  | { op: 'dropIdle' }
  | { op: 'reconnectIdle'; port: number; concurrency: number }
  | { op: 'closeIdle' }
  | { op: 'closeLoad' };

let load: Conn[] = [];
let idle: { device: BenchDevice; sock: Socket }[] = [];
let prepared: { qos: 0 | 1; runs: PacketRun[] } | undefined;
let background: { timer: NodeJS.Timeout; sent: number; begin: number } | undefined;

/** Opens a socket, sends CONNECT, resolves on CONNACK 0 (the socket then feeds `reader`). */
function open(port: number, d: BenchDevice, localAddress: string | undefined, onPacket?: (type: number) => void): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
    sock.setNoDelay(true);
    let connected = false;
    const fail = (e: Error): void => {
      sock.destroy();
      if (!connected) reject(e);
    };
    sock.setTimeout(120_000, () => fail(new Error(`${d.id}: no CONNACK in 120 s`)));
    sock.once('error', fail);
    sock.once('connect', () => sock.write(connectPacket(d.id, d.id, d.secret)));
    const reader = new PacketReader((type, _first, body) => {
      if (type === 2 && !connected) {
        sock.setTimeout(0);
        if (body[1] !== 0) return fail(new Error(`${d.id}: CONNACK refused with ${body[1]}`));
        connected = true;
        sock.on('error', () => undefined); // from now on a broken socket shows as missing PUBACKs
        resolve(sock);
      } else onPacket?.(type);
    });
    sock.on('data', (b: Buffer) => reader.push(b));
    sock.once('close', () => fail(new Error(`${d.id}: closed before CONNACK`)));
  });
}

let retries = 0;

/** Like a device: a connection refused or reset before CONNACK is tried again (at most 10 times). */
async function openRetrying(port: number, d: BenchDevice, localAddress: string | undefined, onPacket?: (type: number) => void): Promise<Socket> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await open(port, d, localAddress, onPacket);
    } catch (e) {
      if (attempt >= 10) throw e;
      retries++;
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  }
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane));
}

// With `spread`, loopback source addresses rotate so 20,000 sockets and the TIME_WAIT twins of
// earlier ones never run out of ephemeral ports; without, the kernel picks ports at connect(),
// which is cheaper than bind() on a busy address (used for the timed storms).
const source = (i: number, spread: boolean): string | undefined => (spread ? `127.0.0.${2 + (i % 16)}` : undefined);

// per device: the timestamp after its last prepared reading. A phase's readings are 1 ms apart and
// end at "now"; two phases prepared less than `count` ms apart would share timestamps, and InfluxDB
// keeps one point per series and time, so a system's count would come up short through no fault.
const nextTs = new Map<string, number>();

function readingsFor(device: BenchDevice, count: number, seqBase: number, qos: 0 | 1): PacketRun {
  const now = Date.now();
  const start = Math.max(now - count, nextTs.get(device.id) ?? 0);
  nextTs.set(device.id, start + count);
  const sim = makeDevice(device, { seed: 'bench', t0: now, timezone: 'Asia/Shanghai' });
  const topic = `gridwatch/v1/${device.id}/reading`;
  const packets = Array.from({ length: count }, (_, i) => {
    const seq = seqBase + i;
    const body = JSON.stringify(reading(sim, start + i, rngFor('bench', device.id, seq), seq));
    return publishPacket(topic, body, qos, (i % 65_535) + 1);
  });
  return packetRun(packets);
}

/** QoS 1: `window` in flight per socket, the next ones written as PUBACKs come back. QoS 0: written as fast as the socket drains. */
function publishAll(window: number): Promise<void> {
  const job = prepared;
  if (!job) throw new Error('prepare first');
  prepared = undefined;
  return Promise.all(load.map((c, k) => new Promise<void>((resolve) => {
    const run = job.runs[k] as PacketRun;
    if (job.qos === 0) {
      let i = 0;
      const pump = (): void => {
        while (i < run.count) {
          const j = Math.min(run.count, i + 64);
          const more = c.sock.write(run.slice(i, j));
          i = j;
          if (!more) return void c.sock.once('drain', pump);
        }
        resolve();
      };
      pump();
      return;
    }
    let sent = Math.min(window, run.count);
    const base = c.acks;
    c.sock.write(run.slice(0, sent));
    c.onAck = () => {
      const acked = c.acks - base;
      if (acked >= run.count) {
        c.onAck = undefined;
        return resolve();
      }
      const to = Math.min(run.count, acked + window);
      if (to > sent) {
        c.sock.write(run.slice(sent, to));
        sent = to;
      }
    };
  }))).then(() => undefined);
}

/** Background QoS 1 readings at `rate`/s spread over the load sockets, stamped when sent. */
function startRate(rate: number, seqBase: number): void {
  const now = Date.now();
  const sims: SimDevice[] = load.map((c) => makeDevice(c.device, { seed: 'bench-bg', t0: now, timezone: 'Asia/Shanghai' }));
  const inflight = load.map(() => 0);
  load.forEach((c, k) => {
    const base = c.acks;
    let seen = base;
    c.onAck = () => {
      inflight[k] = Math.max(0, (inflight[k] as number) - (c.acks - seen));
      seen = c.acks;
    };
  });
  let seq = seqBase;
  let lastTs = 0;
  const begin = performance.now();
  const bg = { sent: 0, begin, timer: setInterval(() => {
    const due = Math.floor(((performance.now() - begin) / 1000) * rate) - bg.sent;
    for (let n = 0; n < due; n++) {
      const k = bg.sent % load.length;
      const c = load[k] as Conn;
      if ((inflight[k] as number) >= 1000) continue; // the broker holds PUBACKs: do not queue without bound
      lastTs = Math.max(lastTs + 1, Date.now()); // one device's readings never share a millisecond
      const body = JSON.stringify(reading(sims[k] as SimDevice, lastTs, rngFor('bg', seq), seq));
      c.sock.write(publishPacket(`gridwatch/v1/${c.device.id}/reading`, body, 1, (seq % 65_535) + 1));
      seq++;
      inflight[k] = (inflight[k] as number) + 1;
      bg.sent++;
    }
  }, 5) };
  background = bg;
}

async function handle(req: Request): Promise<unknown> {
  switch (req.op) {
    case 'connect': {
      const t0 = performance.now();
      const conns: Conn[] = new Array(req.devices.length);
      await pool(req.devices, req.concurrency, async (device, i) => {
        const conn: Conn = { device, sock: undefined as unknown as Socket, acks: 0 };
        conn.sock = await openRetrying(req.port, device, '127.0.0.1', (type) => {
          if (type === 4) {
            conn.acks++;
            conn.onAck?.(conn.acks);
          }
        });
        conns[i] = conn;
      });
      load = conns;
      return { ms: performance.now() - t0 };
    }
    case 'prepare':
      prepared = { qos: req.qos, runs: load.map((c) => readingsFor(c.device, req.perDevice, req.seqBase, req.qos)) };
      return { packets: prepared.runs.reduce((n, r) => n + r.count, 0) };
    case 'go': {
      const t0 = performance.now();
      await publishAll(req.window);
      return { ms: performance.now() - t0 };
    }
    case 'rate':
      startRate(req.rate, req.seqBase);
      return {};
    case 'stop': {
      const bg = background;
      background = undefined;
      if (!bg) return { sent: 0, perSecond: 0 };
      clearInterval(bg.timer);
      for (const c of load) c.onAck = undefined;
      return { sent: bg.sent, perSecond: Math.round((bg.sent / (performance.now() - bg.begin)) * 1000) };
    }
    case 'idle': {
      const t0 = performance.now();
      retries = 0;
      const start = idle.length;
      const socks: Socket[] = new Array(req.devices.length);
      await pool(req.devices, req.concurrency, async (device, i) => {
        socks[i] = await openRetrying(req.port, device, source(start + i, req.spread ?? false));
      });
      idle.push(...req.devices.map((device, i) => ({ device, sock: socks[i] as Socket })));
      return { ms: performance.now() - t0, count: idle.length, retries };
    }
    case 'dropIdle':
      // like a hub restart or a network cut seen from the devices: no DISCONNECT
      for (const c of idle) c.sock.destroy();
      return { count: idle.length };
    case 'reconnectIdle': {
      const t0 = performance.now();
      retries = 0;
      await pool(idle, req.concurrency, async (c, i) => {
        c.sock = await openRetrying(req.port, c.device, source(i, false));
      });
      return { ms: performance.now() - t0, count: idle.length, retries };
    }
    case 'closeIdle':
      await endAll(idle.map((c) => c.sock));
      idle = [];
      return {};
    case 'closeLoad':
      await endAll(load.map((c) => c.sock));
      load = [];
      return {};
  }
}

function endAll(socks: Socket[]): Promise<void> {
  return Promise.all(socks.map((s) => new Promise<void>((r) => {
    if (s.destroyed) return r();
    s.once('close', () => r());
    s.end(DISCONNECT);
    setTimeout(() => {
      s.destroy();
      r();
    }, 5_000).unref();
  }))).then(() => undefined);
}

process.on('message', (m: { id: number; req: Request }) => {
  handle(m.req).then(
    (result) => process.send?.({ id: m.id, result }),
    (e: unknown) => process.send?.({ id: m.id, error: e instanceof Error ? e.message : String(e) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
