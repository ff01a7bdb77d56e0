// MQTT 3.1.1 bytes for the load generator: CONNECT, PUBLISH and DISCONNECT encoded once up front,
// and a reader that splits the broker's byte stream into packets (TCP may split or merge them).
// A full client library per message costs more CPU than a fast broker spends on it.

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

/** CONNECT [MQTT-3.1]: clean session, optional username + password, keep-alive in seconds. */
export function connectPacket(clientId: string, username?: string, password?: string, keepaliveS = 600): Buffer {
  let flags = 0x02;
  if (username !== undefined) flags |= 0x80;
  if (password !== undefined) flags |= 0x40;
  const keep = Buffer.alloc(2);
  keep.writeUInt16BE(keepaliveS);
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, flags]), keep, str(clientId), ...(username !== undefined ? [str(username)] : []), ...(password !== undefined ? [str(password)] : [])]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/** PUBLISH [MQTT-3.3]; QoS 1 carries `packetId` (1..65535). */
export function publishPacket(topic: string, payload: string | Buffer, qos: 0 | 1, packetId = 1): Buffer {
  const t = str(topic);
  const p = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const id = qos === 1 ? Buffer.from([packetId >> 8, packetId & 0xff]) : Buffer.alloc(0);
  return Buffer.concat([Buffer.from([0x30 | (qos << 1)]), remainingLength(t.length + id.length + p.length), t, id, p]);
}

/** SUBSCRIBE [MQTT-3.8] to one topic. */
export function subscribePacket(topic: string, qos: 0 | 1, packetId = 1): Buffer {
  const body = Buffer.concat([Buffer.from([packetId >> 8, packetId & 0xff]), str(topic), Buffer.from([qos])]);
  return Buffer.concat([Buffer.from([0x82]), remainingLength(body.length), body]);
}

export const DISCONNECT = Buffer.from([0xe0, 0x00]);

/** Many packets in one buffer, each reachable by index (`slice(i, j)` = packets i..j-1). */
export interface PacketRun {
  buf: Buffer;
  offsets: number[];
  count: number;
  slice(from: number, to: number): Buffer;
}

export function packetRun(packets: Buffer[]): PacketRun {
  const offsets = [0];
  for (const p of packets) offsets.push((offsets.at(-1) as number) + p.length);
  const buf = Buffer.concat(packets);
  return { buf, offsets, count: packets.length, slice: (from, to) => buf.subarray(offsets[from], offsets[to]) };
}

/** Splits a stream into packets; calls `on(type, body)` with the high nibble of the first byte. */
export class PacketReader {
  private pending: Buffer | undefined;

  constructor(private readonly on: (type: number, first: number, body: Buffer) => void) {}

  push(chunk: Buffer): void {
    const b = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let i = 0;
    for (;;) {
      if (b.length - i < 2) break;
      let len = 0;
      let mul = 1;
      let j = i + 1;
      let complete = false;
      while (j < b.length && j < i + 5) {
        const byte = b[j++] as number;
        len += (byte & 0x7f) * mul;
        mul *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || b.length - j < len) break;
      const first = b[i] as number;
      this.on(first >> 4, first, b.subarray(j, j + len));
      i = j + len;
    }
    if (i < b.length) this.pending = Buffer.from(b.subarray(i));
  }
}
