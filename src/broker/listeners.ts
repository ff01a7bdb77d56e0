// The broker's listeners: MQTT over TCP, and MQTT over WebSocket at `/mqtt` on the HTTP server
// (only that path: socket.io and others share the server's upgrades).
import { createServer, type Server, type Socket } from 'node:net';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Aedes } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { guarded, type GuardedStream } from './frame-guard.js';

export const MQTT_WS_PATH = '/mqtt';

/**
 * The accept queue asked of the kernel (it caps it at net.core.somaxconn, 4096 on current Linux).
 * Node's default of 511 overflows when thousands of devices reconnect at once (a hub restart, a
 * network blip): the kernel then drops their handshakes and each device waits a SYN retransmit
 * (1 s, then 2 s, ...) while the hub sits idle.
 */
export const LISTEN_BACKLOG = 4096;

export interface TcpListener {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** Lifts a connection's pre-authentication byte budget once aedes accepted the device (once per broker). */
const tracked = new WeakSet<Aedes>();
function liftBudgetOnAuth(aedes: Aedes): void {
  if (tracked.has(aedes)) return;
  tracked.add(aedes);
  aedes.on('clientReady', (client) => (client.conn as Partial<GuardedStream>).authenticated?.());
}

export async function listenTcp(aedes: Aedes, port: number, host: string, maxFrameBytes: number): Promise<TcpListener> {
  liftBudgetOnAuth(aedes);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    aedes.handle(guarded(socket, maxFrameBytes)); // (its remoteAddress is the socket's own getter: read only when needed)
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  return {
    server,
    port: typeof addr === 'object' && addr ? addr.port : port,
    // stop accepting and end what is left (the broker closes its clients first, see hub.ts)
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    }),
  };
}

/** Takes HTTP upgrades for `/mqtt` and hands each WebSocket to aedes as a stream. */
export function attachWebSocket(aedes: Aedes, http: HttpServer, maxFrameBytes: number): { close(): Promise<void> } {
  liftBudgetOnAuth(aedes);
  // maxPayload bounds a message ws reassembles from fragments (its default is 100 MiB)
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxFrameBytes, handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.values().next().value ?? false) });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname !== MQTT_WS_PATH) return; // someone else's upgrade (socket.io)
    wss.handleUpgrade(req, socket, head, (ws) => {
      const stream = createWebSocketStream(ws);
      stream.on('error', () => stream.destroy());
      aedes.handle(guarded(stream, maxFrameBytes, { remoteAddress: req.socket.remoteAddress }), req);
    });
  };
  http.on('upgrade', onUpgrade);
  return {
    close: () => new Promise<void>((resolve) => {
      http.off('upgrade', onUpgrade);
      for (const c of wss.clients) c.terminate();
      wss.close(() => resolve());
    }),
  };
}
