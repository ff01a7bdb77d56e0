// Wires the broker's policy steps into aedes: authenticate, authorizePublish (ACL -> size ->
// ingest -> rate, calling back only once readings are durable and the device is within its
// rate), authorizeSubscribe, presence, and the hub -> device downlink.
import { join } from 'node:path';
import type { EventEmitter } from 'node:events';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Clock } from '../core/clock.js';
import type { DeviceInfo } from '../core/domain.js';
import { GridwatchError, ValidationError } from '../core/errors.js';
import type { CommandAck, CommandSender } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import { parseCommandAck } from '../ingest/messages.js';
import type { DeviceSubtopic, ErrorAnswer, Ingest } from '../ingest/pipeline.js';
import { deviceTopic, forHubOnly, maySubscribe, ownSubtopic, publishSubtopic } from './acl.js';
import { Authenticator } from './auth.js';
import { clusterAedesOptions, parseNewSubscribes, type BrokerCluster } from './cluster.js';
import { CommandDownlink } from './commands.js';
import { ConnectionAcks, type Ack } from './acks.js';
import { endClientAnnouncements, endFanOut } from './fan-out.js';
import { PresenceTracker } from './presence.js';
import { Qos2Tracker } from './qos2.js';
import { RateLimiter } from './rate.js';
import { VerifiedSecrets } from './verified.js';

export interface BrokerOptions {
  maxPacketBytes: number;
  ratePerSecond: number;
  rateBurst: number;
  /** command confirmation: first ack window and sends in all (see commands.ts) */
  commandAckMs?: number;
  commandAttempts?: number;
}

export interface BrokerDeps {
  options: BrokerOptions;
  lookup(id: string): DeviceInfo | undefined;
  ingest: Ingest;
  clock: Clock;
  logger: Logger;
  metrics?: Registry;
  /** the hub's data directory: verified device secrets are remembered in <dataDir>/auth across restarts (verified.ts) */
  dataDir?: string;
  /** cluster mode: aedes on the shared Redis (see cluster.ts); absent: in-memory aedes */
  cluster?: BrokerCluster;
}

export interface GridwatchBroker {
  aedes: Aedes;
  auth: Authenticator;
  /** devices with an open, authenticated connection */
  connectedDevices(): number;
  /** hub -> device on gridwatch/v1/{device}/cmd, QoS 1; resolves on the device's cmd/ack (see commands.ts) */
  send: CommandSender['send'];
  /** a device's cmd/ack (from the bus): settles the command it confirms */
  commandAcked(ack: CommandAck): void;
  /** hub -> device on gridwatch/v1/{device}/error, QoS 0 */
  answer(device: string, answer: ErrorAnswer): void;
  /** closes the device's open connection, if any, and forgets its cached verification (rotated or decommissioned) */
  disconnect(device: string): void;
  /** closes every client; from the call on, disconnects are not recorded as presence (see `closing`) */
  close(): Promise<void>;
}

/** the durability of a message answered on the error topic instead of stored: nothing to wait for */
const ANSWERED: Promise<void> = Promise.resolve();

type WillPacket = PublishPacket & { brokerId?: string; clientId?: string };

/** The packet is a Last Will: the closing connection's own, or one another hub left in the persistence. */
function isWill(client: Client | null, packet: PublishPacket): boolean {
  const will = (client as unknown as { will?: unknown } | null)?.will;
  return will === packet || typeof (packet as WillPacket).brokerId === 'string';
}

/** aedes.subscribe (through the shared emitter in cluster mode), resolved once subscribed. */
function subscribe(aedes: Aedes, topic: string, fn: (payload: Buffer, topic: string) => void): Promise<void> {
  return new Promise((resolve) => {
    aedes.subscribe(topic, (packet: { topic: string; payload: Buffer | string }, done: () => void) => {
      fn(Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload), packet.topic);
      done();
    }, () => resolve());
  });
}

function authError(message: string, returnCode: 2 | 4 | 5): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

export async function createGridwatchBroker(deps: BrokerDeps): Promise<GridwatchBroker> {
  const { ingest, clock, logger } = deps;
  const verified = await VerifiedSecrets.open({ dir: deps.dataDir === undefined ? undefined : join(deps.dataDir, 'auth') });
  const auth = new Authenticator({ lookup: deps.lookup, verified });
  const rate = new RateLimiter({ ratePerSecond: deps.options.ratePerSecond, burst: deps.options.rateBurst });
  const presence = new PresenceTracker();
  const qos2 = new Qos2Tracker();
  const rateHeld = deps.metrics ? new Counter({ name: 'gridwatch_broker_rate_held_total', help: 'Acknowledgements held because the device was over its rate', registers: [deps.metrics] }) : undefined;
  const anonymousRefused = deps.metrics ? new Counter({ name: 'gridwatch_broker_anonymous_refused_total', help: 'CONNECTs without credentials refused (load balancer health checks)', registers: [deps.metrics] }) : undefined;
  const rateDisconnects = deps.metrics ? new Counter({ name: 'gridwatch_broker_rate_disconnects_total', help: 'Devices disconnected for being far over their rate', registers: [deps.metrics] }) : undefined;

  // DURABILITY: aedes writes the QoS 1 PUBACK (QoS 2 PUBREC) right after `ack`, so it runs only
  // once the ingest's readings are durable, and, over the rate, once the device's debt is paid
  // back: holding the acknowledgement (and with it the reading of the device's socket, which aedes
  // resumes only when a chunk's packets are all answered) is what slows it down. A QoS 0 message
  // has no acknowledgement to hold for durability: only the rate holds it (the writer's
  // backpressure bounds memory), and a store failure closes the connection instead.
  // Each connection's acknowledgements go in the order its messages arrived (acks.ts).
  const acks = new WeakMap<Client, ConnectionAcks>();
  const acksOf = (client: Client, device: string): ConnectionAcks => {
    let a = acks.get(client);
    if (!a) {
      a = new ConnectionAcks({
        take: (n, now) => rate.take(device, n, now),
        now: () => clock.now(),
        closed: () => client.closed,
        held: () => rateHeld?.inc(),
        failed: (err, messages) => logger.error({ err, device, messages }, 'ingest failed; the device will retry'),
      });
      acks.set(client, a);
    }
    return a;
  };
  // QoS 0: a store failure closes the connection. The messages of a run share their batch's
  // `durable`, and a socket read brings many messages of one connection in a row: one handler
  // per (batch, connection) run, not a closure, promise and microtask per message.
  let watched: { durable: Promise<void>; client: Client } | undefined;
  const handle = (client: Client, device: DeviceInfo, sub: DeviceSubtopic, payload: Buffer, now: number, qos: number, ack: Ack): void => {
    const { outcome, durable } = ingest.accept(device, sub, payload, now);
    if (qos !== 0) return acksOf(client, device.id).afterDurable(durable, outcome.readings, ack);
    if (watched?.durable !== durable || watched.client !== client) {
      watched = { durable, client };
      durable.catch((e: unknown) => {
        logger.error({ err: e, device: device.id }, 'QoS 0 readings not stored; closing the connection');
        client.close();
      });
    }
    acksOf(client, device.id).withinRate(outcome.readings, now, ack);
  };
  // QoS 2: a PUBLISH re-sent (DUP) before its PUBREL is the same message; aedes answers it with
  // another PUBREC, but it would run authorizePublish (and so the ingest) again first. (Its own
  // function: the closures here would otherwise cost every QoS 0/1 message a context.)
  const exactlyOnce = (client: Client, device: DeviceInfo, sub: DeviceSubtopic, payload: Buffer, now: number, packet: PublishPacket, done: Ack): void => {
    const ack: Ack = (err) => {
      if (err) qos2.failed(device.id, packet);
      else qos2.settled(device.id, packet);
      done(err);
    };
    const original = qos2.original(device.id, packet);
    if (!original) return handle(client, device, sub, payload, now, 2, ack);
    // A DUP: acknowledged in its turn (acks.ts) once its first delivery is, or ingested anew if
    // that failed. Only an ingested re-send reports to the tracker (the id may be new by then).
    let ingested = false;
    const durable = original.then(() => undefined, () => {
      ingested = true;
      const r = ingest.accept(device, sub, payload, now);
      rate.take(device.id, r.outcome.readings, now); // its readings count, as handle's would
      return r.durable;
    });
    acksOf(client, device.id).afterDurable(durable, 0, (err) => (ingested ? ack(err) : done(err)));
  };
  const devices = new WeakMap<Client, DeviceInfo>();
  const takenOver = new Set<string>(); // CLUSTER: device ids another hub took over from this one
  const ending = new Set<string>(); // CLUSTER: device ids whose disconnect waits for its turn

  const cluster = deps.cluster;
  const aedes = await Aedes.createBroker({
    id: 'gridwatch',
    ...(cluster ? clusterAedesOptions(cluster) : {}),
    maxClientsIdLength: 64,
    authenticate(client, username, password, done) {
      // the peer's address (the socket's, or set on the connection by listeners.ts) keys the
      // failed-login throttle; read only when needed (getpeername is a syscall)
      const address = (): string => (client.conn as { remoteAddress?: string }).remoteAddress ?? 'unknown';
      auth.authenticate(client.id, username, password, address).then((r) => {
        if (r.ok) {
          devices.set(client, r.device);
          return done(null, true);
        }
        // An anonymous CONNECT (no username, no password) is what HAProxy's MQTT health check
        // sends every second to every hub (deploy/haproxy.cfg): refused like any other, counted,
        // but not a warning per check.
        if (username === undefined && password === undefined) {
          anonymousRefused?.inc();
          logger.debug({ clientId: client.id, code: r.code }, 'anonymous connect refused (a health check?)');
        } else logger.warn({ clientId: client.id, code: r.code, reason: r.reason }, 'device refused');
        done(authError(`${r.code}: ${r.reason}`, r.returnCode), false);
      }, (e: unknown) => {
        logger.error({ err: e, clientId: client.id }, 'authentication failed');
        done(authError('authentication failed', 5), false);
      });
    },
    authorizePublish(client, packet, done) {
      // CLUSTER: a Last Will is a hint, never retained. A hub publishes the wills a dead hub left
      // seconds after their devices reconnected to it (and a takeover publishes the old
      // connection's will after the new one said `online`): retained, `offline` would stay on an
      // online device. A will left by another hub is delivered to nobody and not ingested.
      if (cluster && isWill(client, packet)) {
        packet.retain = false;
        if (!client || (packet as WillPacket).brokerId !== aedes.id || client.closed) return done(null);
      }
      if (!client) return done(new Error('no client')); // a stale Last Will from another broker
      const device = devices.get(client);
      const sub = device ? publishSubtopic(device.id, packet.topic) : undefined;
      if (!device || !sub) {
        // [MQTT-3.3.5-2]: refuse by closing the connection; the device gets no answer
        logger.warn({ clientId: client.id, topic: packet.topic }, 'publish outside the device prefix refused');
        return done(new GridwatchError('GW_ERR_BROKER_ACL', `${client.id} may not publish on ${packet.topic}`));
      }
      if (client.closed) return done(null); // its Last Will: presence comes from clientDisconnect
      const now = clock.now();
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      if (payload.length > deps.options.maxPacketBytes) {
        ingest.reject(device.id, new ValidationError('GW_ERR_PAYLOAD_TOO_LARGE', 'payload', payload.length, `size must be <= ${deps.options.maxPacketBytes} bytes`), now);
        packet.payload = Buffer.alloc(0);
        // answered (not stored): its PUBACK still waits for every earlier one's
        return packet.qos === 0 ? done(null) : acksOf(client, device.id).afterDurable(ANSWERED, 0, done);
      }
      const farOver = rate.farOver(device.id, now);
      if (farOver) {
        // not acknowledged (nor ingested): the device re-sends it after reconnecting
        logger.warn({ device: device.id, ratePerSecond: deps.options.ratePerSecond, reason: farOver }, 'device far over its rate: disconnected');
        rateDisconnects?.inc();
        return done(new GridwatchError('GW_ERR_BROKER_RATE', `${device.id} ${farOver} (rate ${deps.options.ratePerSecond}/s)`));
      }
      if (packet.qos === 2) return exactlyOnce(client, device, sub, payload, now, packet, done);
      handle(client, device, sub, payload, now, packet.qos, done);
    },
    authorizeSubscribe(client, subscription, done) {
      const device = devices.get(client);
      if (device && maySubscribe(device.id, subscription.topic)) return done(null, subscription);
      logger.warn({ clientId: client.id, topic: subscription.topic }, 'subscribe outside the device prefix refused');
      done(null, null); // SUBACK 0x80
    },
    authorizeForward(client, packet) {
      // a device only ever receives its own cmd and error topics
      const sub = ownSubtopic(client.id, packet.topic);
      return sub === 'cmd' || sub === 'error' ? packet : null;
    },
  });

  // A device's own reading, status and event end once ingested (fan-out.ts). A retained status
  // still goes the whole way, so aedes keeps it as before (the contract's retained `status`, once
  // per connection; in cluster mode in Redis), and so does a Last Will. A retained reading or event
  // is not kept: no one could ever receive it, and a device retaining every reading would cost a
  // store write each (a Redis write in cluster mode).
  endFanOut(aedes, (client, packet) => {
    const device = devices.get(client);
    if (!device || isWill(client, packet)) return false;
    const sub = publishSubtopic(device.id, packet.topic);
    return sub !== undefined && forHubOnly(sub) && !(sub === 'status' && packet.retain);
  });

  if (!cluster) endClientAnnouncements(aedes); // (cluster mode listens to them)

  // Set when the broker starts closing. The hub's shutdown drops every connection without a clean
  // DISCONNECT, which would otherwise count as a Last Will (`lwt`) offline point per connected
  // device: uptime audits would then charge the hub's own downtime to the devices. So from here on
  // presence changes are neither stored nor put on the bus (a device that connects in this window
  // gets no connect point either, so no point is left without its end).
  let closing = false;
  const record = (event: ReturnType<PresenceTracker['connected']> | undefined, device: DeviceInfo | undefined): void => {
    if (!event || !device || closing) return;
    ingest.presence(event, device).catch((e: unknown) => logger.error({ err: e, device: device.id }, 'presence not stored'));
  };
  aedes.on('clientReady', (client) => {
    const device = devices.get(client);
    takenOver.delete(client.id); // (a takeover whose old connection was already gone)
    if (device) record(presence.connected(client, device.id, clock.now()), device);
  });
  const resubscribed = (clientId: string, topics: string[]): void => {
    if (topics.some((t) => ownSubtopic(clientId, t) === 'cmd')) commands.online(clientId);
  };
  aedes.on('keepaliveTimeout', (client) => presence.keepaliveTimeout(client));
  aedes.on('clientDisconnect', (client) => {
    const clean = (client as unknown as { _disconnected?: boolean })._disconnected === true;
    const event = presence.disconnected(client, clean, clock.now());
    if (!cluster) return record(event, devices.get(client));
    ending.add(client.id);
    setImmediate(() => {
      ending.delete(client.id);
      // connected to another hub meanwhile: never offline (no `lwt` point after the new `connect`)
      if (takenOver.delete(client.id)) return;
      record(event, devices.get(client));
    });
  });
  aedes.on('clientError', (client, err) => logger.debug({ clientId: client.id, err: err.message }, 'client error'));
  aedes.on('connectionError', (client, err) => logger.debug({ clientId: client.id, err: err.message }, 'connection error'));

  if (deps.metrics) {
    new Gauge({ name: 'gridwatch_devices_connected', help: 'Devices with an open MQTT connection', registers: [deps.metrics], collect() {
      this.set(aedes.connectedClients);
    } });
  }

  const publish = (topic: string, payload: unknown, qos: 0 | 1): Promise<void> => new Promise((resolve, reject) => {
    const packet: PublishPacket = { cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(payload)), qos, retain: false, dup: false };
    aedes.publish(packet, (err) => (err ? reject(err) : resolve()));
  });

  const commands = new CommandDownlink((device, payload) => publish(deviceTopic(device, 'cmd'), payload, 1), {
    ackTimeoutMs: deps.options.commandAckMs ?? 5_000, attempts: deps.options.commandAttempts ?? 4,
  });

  if (cluster) {
    (aedes as unknown as EventEmitter).on('error', (e: Error) => logger.error({ err: e }, 'broker error'));
    // CLUSTER: the device may be connected to any hub, so what settles this hub's commands comes
    // through the shared emitter: the device subscribing to its cmd topic again (aedes announces
    // every SUBSCRIBE on $SYS) and its cmd/ack (published onwards by the hub that ingested it).
    await subscribe(aedes, '$SYS/+/new/subscribes', (payload) => {
      const s = parseNewSubscribes(payload);
      if (s) resubscribed(s.clientId, s.topics);
    });
    // A device that connects to another hub while its connection here is open (a takeover: aedes
    // announces each new client on $SYS and the old hub closes its connection) was never offline.
    // aedes' own listener may close the old connection (and emit its clientDisconnect) before this
    // one runs, so the disconnect waits a turn (clientDisconnect) and the takeover is remembered by id.
    await subscribe(aedes, '$SYS/+/new/clients', (payload, topic) => {
      const id = payload.toString();
      const here = (aedes as unknown as { clients: Record<string, Client | undefined> }).clients[id] !== undefined || ending.has(id);
      if (here && topic.split('/')[1] !== aedes.id) takenOver.add(id);
    });
    await subscribe(aedes, deviceTopic('+', 'cmd/ack'), (payload, topic) => {
      const device = topic.split('/')[2] ?? '';
      try {
        commands.ack(parseCommandAck(payload, device, clock.now()));
      } catch {
        // refused and answered by the hub the device is connected to
      }
    });
  } else {
    aedes.on('subscribe', (subs, client) => resubscribed(client.id, subs.filter((s) => (s.qos as number) !== 128).map((s) => s.topic)));
  }

  return {
    aedes,
    auth,
    connectedDevices: () => aedes.connectedClients,
    send: (device, payload, opts) => commands.send(device, payload, opts),
    commandAcked: (ack) => commands.ack(ack),
    answer(device, answer) {
      publish(deviceTopic(device, 'error'), answer, 0).catch((e: unknown) => logger.warn({ err: e, device }, 'error answer not published'));
    },
    disconnect(device) {
      auth.forget(device);
      // aedes keeps its clients by id (not in its typings)
      (aedes as unknown as { clients: Record<string, Client | undefined> }).clients[device]?.close();
    },
    close: () => {
      closing = true;
      commands.close();
      return new Promise<void>((resolve) => aedes.close(() => resolve())).then(() => auth.close());
    },
  };
}

