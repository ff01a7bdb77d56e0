import { describe, it, expect } from 'vitest';
import { MqttFrameGuard, hardFrameLimit } from '../../src/broker/frame-guard.js';

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
