// The socket.io link to the hub: one connection per session, typed listeners, a connected flag.
// socket.io-client retries a lost transport by itself, but NOT a disconnect the server asked for
// (`io server disconnect`, which is what a hub shutdown or restart sends): then we reconnect
// ourselves, with a backoff, for as long as the session lasts.
import { io, type Socket } from 'socket.io-client';
import { saveSession } from './api.js';
import type { AlertChange, DeviceView, LiveReading } from './types.js';

interface ServerEvents {
  alert: (change: AlertChange) => void;
  /** the devices of one grid whose status changed (gathered for 100 ms by the hub) */
  devices: (devices: DeviceView[]) => void;
  reading: (reading: LiveReading) => void;
}

export type LiveSocket = Socket<ServerEvents>;
let socket: LiveSocket | undefined;
let retry: ReturnType<typeof setTimeout> | undefined;

/** a server-side disconnect: socket.io-client stops there, so we try again (1 s, 2 s, … 10 s) */
function reconnectLater(s: LiveSocket, attempt: number): void {
  if (retry) clearTimeout(retry);
  retry = setTimeout(() => {
    retry = undefined;
    if (socket !== s || s.connected || s.active) return;
    s.connect();
    reconnectLater(s, attempt + 1); // checked again later; a connect clears it
  }, Math.min(10_000, 1000 * 2 ** Math.min(attempt, 4)));
}

export function connectLive(token: string, onState: (connected: boolean) => void): LiveSocket {
  disconnectLive();
  // same origin and path as the page (works behind a proxy sub-path too)
  const path = new URL('socket.io', window.location.href).pathname;
  const s: LiveSocket = io({ path, auth: { token }, transports: ['websocket', 'polling'], reconnectionDelayMax: 5000 });
  s.on('connect', () => {
    if (retry) clearTimeout(retry);
    retry = undefined;
    onState(true);
  });
  s.on('disconnect', () => {
    onState(false);
    // `s.active` is false after `io server disconnect`: nobody would retry but us
    if (!s.active) reconnectLater(s, 0);
  });
  s.on('connect_error', (err: Error & { data?: { code?: string } }) => {
    onState(false);
    // an expired or revoked token: socket.io would retry for ever, so sign in again instead
    if (err.data?.code === 'GW_ERR_API_AUTH') {
      saveSession(undefined);
      window.dispatchEvent(new Event('gw:unauthorized'));
      return;
    }
    if (!s.active) reconnectLater(s, 1);
  });
  socket = s;
  return s;
}

export function liveSocket(): LiveSocket | undefined {
  return socket;
}

export function disconnectLive(): void {
  if (retry) clearTimeout(retry);
  retry = undefined;
  const s = socket;
  socket = undefined;
  s?.disconnect();
}
