// A hard bound on MQTT packet size at the transport, before aedes/mqtt-packet buffer a packet
// (mqtt-packet accepts up to 256 MB). It reads only the fixed headers' remaining lengths as the
// bytes arrive, changing nothing; a packet declaring more than `maxFrameBytes` ends the
// connection. Payloads between config.mqtt.maxPacketBytes and this bound still get a
// GW_ERR_PAYLOAD_TOO_LARGE answer on the error topic (broker.ts).
// Before the connection is authenticated it is held to a much smaller budget (`preAuthBytes`: the
// CONNECT packet and little else), so an unauthenticated client cannot make the hub buffer
// large half-sent packets; the broker lifts it once the device is known (`authenticated()`).
import type { Duplex } from 'node:stream';
import { GridwatchError } from '../core/errors.js';

/** The connection-closing bound for a given config.mqtt.maxPacketBytes. */
export function hardFrameLimit(maxPacketBytes: number): number {
  return 2 * maxPacketBytes + 65_536;
}

/**
 * The frame bound as a pure state machine over the bytes of one connection, in order: `check`
 * returns why the connection must close, or undefined while every packet header is within bounds.
 */
export class FrameLimit {
  private state: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;
  private preAuthSeen = 0;
  private authed = false;

  constructor(private readonly maxFrameBytes: number, private readonly preAuthBytes = Infinity) {}

  /** The device authenticated: from now on only the per-packet bound applies. */
  authenticated(): void {
    this.authed = true;
  }

  check(chunk: Uint8Array): string | undefined {
    if (!this.authed) {
      this.preAuthSeen += chunk.length;
      if (this.preAuthSeen > this.preAuthBytes) return `${this.preAuthSeen} bytes before authentication exceed the limit of ${this.preAuthBytes}; connection closed`;
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
        if (this.length > limit) return `an MQTT packet of ${this.length} bytes exceeds the ${limit === this.maxFrameBytes ? 'hard' : 'before-authentication'} limit of ${limit} bytes; connection closed`;
        this.remaining = this.length;
        this.state = this.remaining === 0 ? 'type' : 'body';
      }
    }
    return undefined;
  }
}

/** What aedes sees as a client's `conn`: the connection itself, with the hook that lifts the pre-auth budget. */
export interface GuardedStream extends Duplex {
  remoteAddress?: string;
  authenticated(): void;
}

/** Bytes a connection may send before it is authenticated (a CONNECT with a small will, and margin). */
export const PRE_AUTH_BYTES = 16_384;

/**
 * Guards `conn` in place and returns it: every Readable hands its incoming bytes to push(), so the
 * limit sees each chunk before it is buffered, and a chunk over the limit destroys the connection
 * instead. aedes reads and writes the connection itself: no wrapper stream per connection (a
 * Transform plus Duplex.from cost ~3 stream objects, an AbortController and a pipe per device, and
 * an extra hop for every chunk and every PUBACK).
 */
export function guarded(conn: Duplex, maxFrameBytes: number, opts: { preAuthBytes?: number; remoteAddress?: string } = {}): GuardedStream {
  const limit = new FrameLimit(maxFrameBytes, opts.preAuthBytes ?? PRE_AUTH_BYTES);
  const push = conn.push;
  conn.push = function guardedPush(this: Duplex, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk instanceof Uint8Array) {
      const problem = limit.check(chunk);
      if (problem !== undefined) {
        this.destroy(new GridwatchError('GW_ERR_PAYLOAD_TOO_LARGE', problem));
        return false;
      }
    }
    return push.call(this, chunk, encoding);
  };
  const stream = conn as GuardedStream;
  stream.authenticated = () => limit.authenticated();
  // a net.Socket has its own (getter); a WebSocket stream gets the upgrade request's
  if (!('remoteAddress' in conn)) Object.defineProperty(conn, 'remoteAddress', { value: opts.remoteAddress, enumerable: true });
  return stream;
}
