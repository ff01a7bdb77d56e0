// A hard bound on MQTT packet size at the transport, before aedes/mqtt-packet buffer a packet
// (mqtt-packet accepts up to 256 MB). It reads only the fixed headers' remaining lengths and
// passes the bytes through untouched; a packet declaring more than `maxFrameBytes` ends the
// connection. Payloads between config.mqtt.maxPacketBytes and this bound still get a
// GW_ERR_PAYLOAD_TOO_LARGE answer on the error topic (broker.ts).
// Before the connection is authenticated it is held to a much smaller budget (`preAuthBytes`: the
// CONNECT packet and little else), so an unauthenticated client cannot make the hub buffer
// large half-sent packets; the broker lifts it once the device is known (`authenticated()`).
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
  private preAuthSeen = 0;
  private authed = false;

  constructor(private readonly maxFrameBytes: number, private readonly preAuthBytes = Infinity) {
    super();
  }

  /** The device authenticated: from now on only the per-packet bound applies. */
  authenticated(): void {
    this.authed = true;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (!this.authed) {
      this.preAuthSeen += chunk.length;
      if (this.preAuthSeen > this.preAuthBytes) {
        done(new GridwatchError('GW_ERR_PAYLOAD_TOO_LARGE', `${this.preAuthSeen} bytes before authentication exceed the limit of ${this.preAuthBytes}; connection closed`));
        return;
      }
    }
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
        const limit = this.authed ? this.maxFrameBytes : Math.min(this.maxFrameBytes, this.preAuthBytes);
        if (this.length > limit) {
          done(new GridwatchError('GW_ERR_PAYLOAD_TOO_LARGE', `an MQTT packet of ${this.length} bytes exceeds the ${limit === this.maxFrameBytes ? 'hard' : 'before-authentication'} limit of ${limit} bytes; connection closed`));
          return;
        }
        this.remaining = this.length;
        this.state = this.remaining === 0 ? 'type' : 'body';
      }
    }
    done(null, chunk);
  }
}

/** What aedes sees as a client's `conn`: the peer's address and the hook that lifts the pre-auth budget. */
export interface GuardedStream extends Duplex {
  remoteAddress?: string;
  authenticated(): void;
}

/** Bytes a connection may send before it is authenticated (a CONNECT with a small will, and margin). */
export const PRE_AUTH_BYTES = 16_384;

/** The stream aedes reads from: `conn`'s bytes through the guard; writes go straight to `conn`. */
export function guarded(conn: Duplex, maxFrameBytes: number, opts: { preAuthBytes?: number; remoteAddress?: string } = {}): GuardedStream {
  const guard = new MqttFrameGuard(maxFrameBytes, opts.preAuthBytes ?? PRE_AUTH_BYTES);
  conn.pipe(guard);
  const stream = Object.assign(Duplex.from({ readable: guard, writable: conn }), {
    remoteAddress: opts.remoteAddress,
    authenticated: () => guard.authenticated(),
  });
  // mqtt-packet corks the stream for each packet it writes and uncorks on the next tick, and aedes
  // answers a whole chunk's PUBACKs in one run of promise callbacks. Corking the socket under the
  // wrapper too turns those answers into one writev instead of a syscall per PUBACK.
  const cork = stream.cork.bind(stream);
  const uncork = stream.uncork.bind(stream);
  stream.cork = () => {
    conn.cork();
    cork();
  };
  stream.uncork = () => {
    uncork(); // flushes into the still-corked socket when this was the last cork
    conn.uncork();
  };
  guard.on('error', () => {
    conn.destroy();
    stream.destroy();
  });
  conn.on('close', () => stream.destroy());
  conn.on('error', () => stream.destroy());
  return stream;
}
