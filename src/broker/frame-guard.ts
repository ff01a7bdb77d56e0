// A hard bound on MQTT packet size at the transport, before aedes/mqtt-packet buffer a packet
// (mqtt-packet accepts up to 256 MB). It reads only the fixed headers' remaining lengths and
// passes the bytes through untouched; a packet declaring more than `maxFrameBytes` ends the
// connection. Payloads between config.mqtt.maxPacketBytes and this bound still get a
// GW_ERR_PAYLOAD_TOO_LARGE answer on the error topic (broker.ts).
import { Duplex, Transform, type TransformCallback } from 'node:stream';
import { GridwatchError } from '../core/errors.js';

/** The connection-closing bound for a given config.mqtt.maxPacketBytes. */
export function hardFrameLimit(maxPacketBytes: number): number {
  return 2 * maxPacketBytes + 65_536;
}

export class MqttFrameGuard extends Transform {
  private state: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;

  constructor(private readonly maxFrameBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'body') {
        const take = Math.min(this.remaining, chunk.length - i);
        this.remaining -= take;
        i += take;
        if (this.remaining === 0) this.state = 'type';
      } else if (this.state === 'type') {
        i++;
        this.state = 'length';
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
      } else {
        const byte = chunk[i++] as number;
        this.length += (byte & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        this.lengthBytes++;
        if ((byte & 0x80) !== 0 && this.lengthBytes < 4) continue;
        if (this.length > this.maxFrameBytes) {
          done(new GridwatchError('GW_ERR_PAYLOAD_TOO_LARGE', `an MQTT packet of ${this.length} bytes exceeds the hard limit of ${this.maxFrameBytes} bytes; connection closed`));
          return;
        }
        this.remaining = this.length;
        this.state = this.remaining === 0 ? 'type' : 'body';
      }
    }
    done(null, chunk);
  }
}

/** The stream aedes reads from: `conn`'s bytes through the guard; writes go straight to `conn`. */
export function guarded(conn: Duplex, maxFrameBytes: number): Duplex {
  const guard = new MqttFrameGuard(maxFrameBytes);
  conn.pipe(guard);
  const stream = Duplex.from({ readable: guard, writable: conn });
  guard.on('error', () => {
    conn.destroy();
    stream.destroy();
  });
  conn.on('close', () => stream.destroy());
  conn.on('error', () => stream.destroy());
  return stream;
}
