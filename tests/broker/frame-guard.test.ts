import { describe, it, expect } from 'vitest';
import { Duplex } from 'node:stream';
import { guarded, MqttFrameGuard, hardFrameLimit } from '../../src/broker/frame-guard.js';

/** An MQTT fixed header (type byte + varint remaining length) followed by `len` body bytes. */
function frame(len: number): Buffer {
  const lengthBytes: number[] = [];
  let n = len;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    lengthBytes.push(b);
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x30, ...lengthBytes]), Buffer.alloc(len, 1)]);
}

function feed(guard: MqttFrameGuard, chunks: Buffer[]): Promise<{ out: Buffer; error?: Error }> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    guard.on('data', (d: Buffer) => parts.push(d));
    guard.on('error', (error) => resolve({ out: Buffer.concat(parts), error }));
    guard.on('end', () => resolve({ out: Buffer.concat(parts) }));
    for (const c of chunks) guard.write(c);
    guard.end();
  });
}

describe('MqttFrameGuard', () => {
  it('passes packets within the limit through unchanged, however they are split', async () => {
    const bytes = Buffer.concat([frame(0), frame(10), frame(200), frame(1000)]);
    const chunks = [bytes.subarray(0, 1), bytes.subarray(1, 3), bytes.subarray(3, 150), bytes.subarray(150)];
    const r = await feed(new MqttFrameGuard(1000), chunks);
    expect(r.error).toBeUndefined();
    expect(r.out.equals(bytes)).toBe(true);
  });

  it('fails on the first packet declaring more than the limit, before its body arrives', async () => {
    const big = frame(5000).subarray(0, 3); // header only
    const r = await feed(new MqttFrameGuard(4096), [frame(10), big]);
    expect(r.error?.message).toContain('5000 bytes exceeds the hard limit of 4096');
    expect(r.out.equals(frame(10))).toBe(true);
  });

  it('derives the hard limit from maxPacketBytes', () => {
    expect(hardFrameLimit(1024)).toBe(2048 + 65_536);
  });
});

describe('guarded', () => {
  it('corks the connection under the wrapper, so the PUBACKs of one tick reach the socket as one write', async () => {
    const written: Buffer[][] = [];
    const conn = new Duplex({
      read() {},
      writev(chunks, cb) {
        written.push(chunks.map((c) => c.chunk as Buffer));
        cb();
      },
    });
    const stream = guarded(conn, 1000);
    stream.cork();
    stream.write(Buffer.from([0x40, 2, 0, 1]));
    stream.cork();
    stream.write(Buffer.from([0x40, 2, 0, 2]));
    stream.uncork();
    expect(conn.writableCorked).toBe(1);
    stream.uncork();
    await new Promise((r) => setImmediate(r));
    expect(conn.writableCorked).toBe(0);
    expect(written).toHaveLength(1);
    expect(Buffer.concat(written[0] ?? []).toString('hex')).toBe('4002000140020002');
    stream.on('error', () => undefined); // the wrapper reports its own teardown as an abort
    stream.destroy();
  });
});
