// The live layer: a socket.io 4 server on the hub's HTTP server (path /socket.io). The handshake
// checks the same bearer token as the API (the sessions are handed in by the hub); each socket joins
// `grid:<id>` for every grid its person may see, and follows the registry: a changed role or grid
// list moves the person's open sockets between rooms at once, a revoked token ends them. Forwards `alert` changes, device status changes and thinned readings (latest per device,
// at most once per `thinMs`) to the grid's room. Connection state recovery replays what a client
// missed during a short drop. Device status changes gather for `devicesMs` (100 ms), then leave
// as one `devices` event per room.
import { Server, type ServerOptions, type Socket } from 'socket.io';
import type { AlertChange } from '../core/alert-types.js';
import type { Reading } from '../core/domain.js';
import { isGridwatchError } from '../core/errors.js';
import { toPrincipal, type PersonChange, type Principal } from '../registry/index.js';
import type { LiveReading } from '../core/live-types.js';
import { Coalescer } from './coalescer.js';
import type { LiveDeps } from './deps.js';
import type { DeviceView, StatusBoard } from './status-board.js';

export { attachStatusBoard } from './board.js';
export type { LiveDeps } from './deps.js';

export type { LiveReading } from '../core/live-types.js';

export interface ServerToClient {
  alert: (change: AlertChange) => void;
  /** the devices of one grid whose status, online or battery changed (gathered for `devicesMs`) */
  devices: (devices: DeviceView[]) => void;
  reading: (reading: LiveReading) => void;
  /** sent once per new session: who the server thinks you are and the grid rooms joined */
  hello: (info: { user: string; grids: string[] }) => void;
}

export interface SocketData { principal: Principal; tokenHash: string }

/** The API's login sessions as the live layer uses them (src/api/sessions.ts). */
export interface LiveAuth {
  authenticate(token: string | undefined): Promise<Principal>;
  hashToken(token: string): string;
  on(event: 'revoked', fn: (tokenHash: string) => void): unknown;
  off(event: 'revoked', fn: (tokenHash: string) => void): unknown;
}

export type LiveServer = Server<Record<string, never>, ServerToClient, Record<string, never>, SocketData>;

export interface LiveOptions {
  /** minimum gap between two `reading` events for one device (default 1000 ms) */
  thinMs?: number;
  /** how long the device status changes of a grid gather before they leave as one `devices` event (default 100 ms) */
  devicesMs?: number;
  /** how long a dropped client's missed events are kept for it (default 2 min) */
  recoveryMs?: number;
  /** the device status board (attachStatusBoard) */
  board: StatusBoard;
  auth: LiveAuth;
  /** cluster mode: the socket.io adapter factory that carries room broadcasts between hubs
   * (@socket.io/redis-adapter, made by the hub); absent: the in-memory adapter of one process */
  adapter?: ServerOptions['adapter'];
}

export const gridRoom = (grid: string): string => `grid:${grid}`;

export function attachLive(ctx: LiveDeps, opts: LiveOptions): LiveServer {
  const { board, auth: sessions } = opts;
  const io: LiveServer = new Server(ctx.app.server, {
    path: '/socket.io',
    serveClient: false,
    // The broker serves WebSocket upgrades at /mqtt on the same server: never destroy them.
    destroyUpgrade: false,
    connectionStateRecovery: { maxDisconnectionDuration: opts.recoveryMs ?? 120_000, skipMiddlewares: false },
    ...(opts.adapter ? { adapter: opts.adapter } : {}),
  });

  io.use(async (socket, next) => {
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    try {
      const token = typeof auth?.token === 'string' ? auth.token : undefined;
      socket.data.principal = await sessions.authenticate(token);
      socket.data.tokenHash = sessions.hashToken(token ?? '');
      next();
    } catch (e) {
      const err = new Error(isGridwatchError(e) ? e.message : 'authentication failed') as Error & { data?: unknown };
      err.data = isGridwatchError(e) ? e.toJSON() : { code: 'GW_ERR_API_AUTH' };
      next(err);
    }
  });

  io.on('connection', (socket: Socket<Record<string, never>, ServerToClient, Record<string, never>, SocketData>) => {
    const p = socket.data.principal;
    if (socket.recovered) {
      // the rooms come back from before the drop: keep only those the person may see now
      moveRooms(socket, p.grids);
      return;
    }
    void socket.join(p.grids.map(gridRoom));
    // Sent through the socket's own room so it carries a recovery offset: a client that drops
    // before any other event still gets its missed events replayed.
    io.to(socket.id).emit('hello', { user: p.id, grids: p.grids });
  });

  const onAlert = (change: AlertChange): void => { io.to(gridRoom(change.case.grid)).emit('alert', change); };
  // Device status changes leave together: the first change arms a `devicesMs` window, and then one
  // `devices` event per grid room carries the latest view of every device of that grid that
  // changed. A reconnect storm's 20,000 changes (each device's drop and its return, a few per
  // event-loop turn) cost a few dozen broadcasts, not one per device or per turn.
  const outbox = new Map<string, Map<string, DeviceView>>();
  let sending: NodeJS.Timeout | undefined;
  const sendDevices = (): void => {
    sending = undefined;
    for (const [grid, views] of outbox) io.to(gridRoom(grid)).emit('devices', [...views.values()]);
    outbox.clear();
  };
  const onDevice = (view: DeviceView): void => {
    let views = outbox.get(view.grid);
    if (!views) outbox.set(view.grid, (views = new Map()));
    views.set(view.id, view);
    if (!sending) {
      sending = setTimeout(sendDevices, opts.devicesMs ?? 100);
      sending.unref();
    }
  };
  // The reading itself waits in the thinner (no object per reading); what the panel gets is built
  // when it goes out, to the device's grid as the registry has it then.
  const thinner = new Coalescer<Reading>(opts.thinMs ?? 1000, (_key, r) => {
    const d = ctx.registry.device(r.device);
    if (!d) return; // decommissioned meanwhile
    const reading: LiveReading = { device: r.device, ts: r.ts, values: r.values };
    if (r.battery !== undefined) reading.battery = r.battery;
    if (r.rssi !== undefined) reading.rssi = r.rssi;
    io.to(gridRoom(d.grid)).emit('reading', reading);
  });
  const onReading = (r: Reading): void => thinner.push(r.device, r);
  // logging out ends the live connections opened with that token
  const onRevoked = (tokenHash: string): void => {
    for (const socket of io.of('/').sockets.values()) if (socket.data.tokenHash === tokenHash) socket.disconnect(true);
  };
  // a changed person: their open sockets leave the rooms they may no longer see and join the new
  // ones before the change returns (access follows the registry at once); disabled: disconnected
  const onPerson = (change: PersonChange): void => {
    for (const socket of io.of('/').sockets.values()) {
      if (socket.data.principal.id !== change.id) continue;
      if (!change.after || change.revoke) { socket.disconnect(true); continue; }
      const p = toPrincipal(change.after, ctx.site);
      moveRooms(socket, p.grids);
      socket.data.principal = p;
      socket.emit('hello', { user: p.id, grids: p.grids });
    }
  };
  sessions.on('revoked', onRevoked);
  ctx.registry.on('person', onPerson);
  ctx.bus.on('alert', onAlert);
  ctx.bus.on('reading', onReading);
  board.on('change', onDevice);

  ctx.onClose(() => {
    ctx.bus.off('alert', onAlert);
    ctx.bus.off('reading', onReading);
    board.off('change', onDevice);
    sessions.off('revoked', onRevoked);
    ctx.registry.off('person', onPerson);
    thinner.close();
    if (sending) clearTimeout(sending);
  });
  // Before the HTTP server closes: end the live connections (upgraded sockets would otherwise keep
  // server.close() waiting), but leave the HTTP server itself to the hub.
  ctx.app.addHook('preClose', async () => {
    io.disconnectSockets(true);
    io.engine.close();
  });
  return io;
}

/** Leaves every grid room not in `grids` and joins those in it. */
function moveRooms(socket: Socket<Record<string, never>, ServerToClient, Record<string, never>, SocketData>, grids: readonly string[]): void {
  const keep = new Set(grids.map(gridRoom));
  for (const room of [...socket.rooms]) if (room.startsWith('grid:') && !keep.has(room)) void socket.leave(room);
  void socket.join([...keep]);
}
