// The socket.io link to the hub: one connection per session, typed listeners, a connected flag.
import { io, type Socket } from 'socket.io-client';
import { saveSession } from './api.js';
import type { AlertChange, DeviceView, LiveReading } from './types.js';

interface ServerEvents {
  alert: (change: AlertChange) => void;
  device: (device: DeviceView) => void;
  reading: (reading: LiveReading) => void;
}

export type LiveSocket = Socket<ServerEvents>;
let socket: LiveSocket | undefined;

export function connectLive(token: string, onState: (connected: boolean) => void): LiveSocket {
  socket?.disconnect();
  // same origin and path as the page (works behind a proxy sub-path too)
  const path = new URL('socket.io', window.location.href).pathname;
  const s: LiveSocket = io({ path, auth: { token }, transports: ['websocket', 'polling'] });
  s.on('connect', () => onState(true));
  s.on('disconnect', () => onState(false));
  s.on('connect_error', (err: Error & { data?: { code?: string } }) => {
    onState(false);
    // an expired or revoked token: socket.io would retry for ever, so sign in again instead
    if (err.data?.code === 'GW_ERR_API_AUTH') {
      saveSession(undefined);
      window.dispatchEvent(new Event('gw:unauthorized'));
    }
  });
  socket = s;
  return s;
}

export function liveSocket(): LiveSocket | undefined {
  return socket;
}

export function disconnectLive(): void {
  socket?.disconnect();
  socket = undefined;
}
