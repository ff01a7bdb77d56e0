// Idle device connections without a full MQTT client each: a raw TCP socket sends an MQTT 3.1.1
// CONNECT and waits for CONNACK. 10,000 of them fit in a bench process.
import { connect, type Socket } from 'node:net';

function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

/** MQTT 3.1.1 CONNECT [MQTT-3.1]: clean session, username + password, keep-alive. */
export function connectPacket(clientId: string, username?: string, password?: string, keepaliveS = 600): Buffer {
  let flags = 0x02;
  if (username !== undefined) flags |= 0x80;
  if (password !== undefined) flags |= 0x40;
  const keep = Buffer.alloc(2);
  keep.writeUInt16BE(keepaliveS);
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, flags]), keep, str(clientId), ...(username !== undefined ? [str(username)] : []), ...(password !== undefined ? [str(password)] : [])]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/** Opens a connection and resolves on CONNACK return code 0. */
export function rawConnect(port: number, clientId: string, username?: string, password?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const fail = (e: Error): void => {
      sock.destroy();
      reject(e);
    };
    sock.setTimeout(60_000, () => fail(new Error(`${clientId}: no CONNACK in 60 s`)));
    sock.once('error', fail);
    sock.once('connect', () => sock.write(connectPacket(clientId, username, password)));
    let got = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      got = Buffer.concat([got, d]);
      if (got.length < 4) return; // CONNACK is 4 bytes [MQTT-3.2]; TCP may split it
      sock.off('data', onData);
      sock.off('close', onClose);
      sock.setTimeout(0);
      if (got[0] === 0x20 && got[3] === 0) resolve(sock);
      else fail(new Error(`${clientId}: CONNACK refused (bytes ${got.subarray(0, 4).toString('hex')})`));
    };
    const onClose = (): void => fail(new Error(`${clientId}: connection closed before CONNACK`));
    sock.on('data', onData);
    sock.once('close', onClose);
  });
}

/** Connects every device with at most `concurrency` handshakes at once; returns sockets and ms. */
export async function connectIdle(port: number, devices: { id: string; secret?: string }[], concurrency = 200): Promise<{ sockets: Socket[]; ms: number }> {
  const sockets: Socket[] = [];
  const started = performance.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < devices.length) {
      const d = devices[next++];
      if (!d) break;
      sockets.push(await rawConnect(port, d.id, d.secret === undefined ? undefined : d.id, d.secret));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { sockets, ms: performance.now() - started };
}

export async function closeIdle(sockets: Socket[]): Promise<void> {
  const disconnect = Buffer.from([0xe0, 0x00]);
  await Promise.all(sockets.map((s) => new Promise<void>((r) => {
    s.once('close', () => r());
    s.end(disconnect);
    setTimeout(() => {
      s.destroy();
      r();
    }, 5_000).unref();
  })));
}
