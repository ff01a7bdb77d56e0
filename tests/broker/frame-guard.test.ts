import { describe, it, expect } from 'vitest';
import { PassThrough } from 'node:stream';
import { FrameLimit, guarded, hardFrameLimit } from '../../src/broker/frame-guard.js';

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

/** Feeds `chunks` to a limit in order: the first problem, and the bytes accepted before it. */
function feed(limit: FrameLimit, chunks: Buffer[]): { out: Buffer; problem?: string } {
  const accepted: Buffer[] = [];
  for (const c of chunks) {
    const problem = limit.check(c);
    if (problem !== undefined) return { out: Buffer.concat(accepted), problem };
    accepted.push(c);
  }
  return { out: Buffer.concat(accepted) };
}

describe('FrameLimit', () => {
  it('accepts packets within the limit, however they are split', () => {
    const bytes = Buffer.concat([frame(0), frame(10), frame(200), frame(1000)]);
    const chunks = [bytes.subarray(0, 1), bytes.subarray(1, 3), bytes.subarray(3, 150), bytes.subarray(150)];
    const r = feed(new FrameLimit(1000), chunks);
    expect(r.problem).toBeUndefined();
    expect(r.out.equals(bytes)).toBe(true);
  });

  it('fails on the first packet declaring more than the limit, before its body arrives', () => {
    const big = frame(5000).subarray(0, 3); // header only
    const r = feed(new FrameLimit(4096), [frame(10), big]);
    expect(r.problem).toContain('5000 bytes exceeds the hard limit of 4096');
    expect(r.out.equals(frame(10))).toBe(true);
  });

  it('holds an unauthenticated connection to its pre-auth budget until authenticated()', () => {
    const limit = new FrameLimit(100_000, 1000);
    expect(limit.check(frame(2000).subarray(0, 3))).toContain('before-authentication limit of 1000');
    const lifted = new FrameLimit(100_000, 1000);
    expect(lifted.check(frame(500))).toBeUndefined();
    lifted.authenticated();
    expect(lifted.check(frame(5000))).toBeUndefined();
  });

  it('derives the hard limit from maxPacketBytes', () => {
    expect(hardFrameLimit(1024)).toBe(2048 + 65_536);
  });
});

describe('guarded', () => {
  it('is the connection itself: bytes within the limit reach its reader unchanged', async () => {
    const conn = new PassThrough();
    const stream = guarded(conn, 1000, { remoteAddress: '127.0.0.1' });
    expect(stream).toBe(conn);
    expect(stream.remoteAddress).toBe('127.0.0.1');
    const bytes = Buffer.concat([frame(10), frame(900)]);
    conn.end(bytes);
    const parts: Buffer[] = [];
    for await (const c of stream) parts.push(c as Buffer);
    expect(Buffer.concat(parts).equals(bytes)).toBe(true);
  });

  it('destroys the connection on a packet over the limit, before buffering it', async () => {
    const conn = new PassThrough();
    const stream = guarded(conn, 1000);
    stream.authenticated();
    const failed = new Promise<Error>((resolve) => stream.once('error', resolve));
    conn.write(frame(10));
    conn.write(frame(5000));
    const err = await failed;
    expect(err.message).toContain('5000 bytes exceeds the hard limit of 1000');
    expect(stream.destroyed).toBe(true);
    expect(stream.readableLength).toBe(frame(10).length); // the big packet never entered the buffer
  });
});
