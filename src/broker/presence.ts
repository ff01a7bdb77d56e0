// Presence from the connection's life: CONNECT -> online (connect); its end -> one offline event
// whose cause is `timeout` (keep-alive expired), `disconnect` (clean DISCONNECT) or `lwt`
// (dropped: the Last Will is published). A Last Will and the disconnect of the same connection
// give one offline event, never two. Pure: the time is passed in.
import type { PresenceCause, PresenceEvent } from '../core/domain.js';

interface Session {
  device: string;
  timedOut: boolean;
  ended: boolean;
}

export class PresenceTracker {
  private readonly sessions = new WeakMap<object, Session>();

  /** A device's connection was accepted. */
  connected(conn: object, device: string, now: number): PresenceEvent {
    this.sessions.set(conn, { device, timedOut: false, ended: false });
    return { device, ts: now, online: true, cause: 'connect' };
  }

  /** The connection's keep-alive expired (its close follows). */
  keepaliveTimeout(conn: object): void {
    const s = this.sessions.get(conn);
    if (s) s.timedOut = true;
  }

  /** The connection ended; undefined when it never was online or its end was already counted. */
  disconnected(conn: object, cleanDisconnect: boolean, now: number): PresenceEvent | undefined {
    const s = this.sessions.get(conn);
    if (!s || s.ended) return undefined;
    s.ended = true;
    const cause: PresenceCause = s.timedOut ? 'timeout' : cleanDisconnect ? 'disconnect' : 'lwt';
    return { device: s.device, ts: now, online: false, cause };
  }
}
