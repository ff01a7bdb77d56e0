// The live panel's side of the bench: an admin login and a socket.io client for `alert` events.
import { io, type Socket } from 'socket.io-client';

export async function login(httpPort: number, username: string, password: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (!res.ok) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

export async function openLive(httpPort: number, token: string): Promise<Socket> {
  const socket = io(`http://127.0.0.1:${httpPort}`, { path: '/socket.io', auth: { token }, transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (e) => reject(e));
  });
  return socket;
}
