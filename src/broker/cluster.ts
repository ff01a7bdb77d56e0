// Cluster mode of the broker: aedes on a shared Redis (mqemitter-redis for the messages between
// hubs, aedes-persistence-redis v12 for sessions, subscriptions, retained messages and wills), so a
// command published on any hub reaches the device wherever it is connected and a persistent
// session moves with the device. The hub hands in a factory of named Redis connections (the
// broker does not import src/cluster); mqemitter needs two of its own (a subscriber connection
// cannot run commands) and the persistence a third.
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type { AedesOptions } from 'aedes';

export interface BrokerCluster {
  /** this hub's id: aedes' broker id (must differ between hubs: it keys wills and takeovers) */
  hubId: string;
  /** a new named Redis connection (closed by the hub after the broker) */
  redis(name: string): Redis;
}

// both packages are CommonJS without ESM entry points
const require = createRequire(import.meta.url);
const mqemitterRedis = require('mqemitter-redis') as (opts: { subConn: Redis; pubConn: Redis }) => NonNullable<AedesOptions['mq']>;
const redisPersistence = require('aedes-persistence-redis') as (opts: { conn: Redis }) => NonNullable<AedesOptions['persistence']>;
const mqemitter = require('mqemitter') as (opts: { concurrency?: number; matchEmptyLevels?: boolean }) => Emitter;

type Emitter = NonNullable<AedesOptions['mq']>;
type Done = (err?: unknown) => void;

/**
 * What a device publishes for the hub itself (readings, status, events) is ingested by the hub it
 * is connected to and never subscribed to elsewhere (a device may subscribe only to its own `cmd`
 * and `error`): it stays in this process. Everything else (commands, their acks, error answers,
 * aedes' own $SYS heartbeats and takeovers) crosses hubs through Redis. Sending every reading
 * through Redis pub/sub cost a round trip before each PUBACK and a decode on every hub.
 */
export function staysOnHub(topic: string): boolean {
  return topic.startsWith('gridwatch/v1/') && (topic.endsWith('/reading') || topic.endsWith('/status') || topic.endsWith('/event'));
}

/** An mqemitter that emits a packet on `local` or `shared` by its topic and listens on both. */
export function splitEmitter(local: Emitter, shared: Emitter, isLocal: (topic: string) => boolean = staysOnHub): Emitter {
  const both = (op: (e: Emitter, done: Done) => void, done?: Done): void => {
    let left = 2;
    let failed: unknown;
    const one: Done = (err) => {
      failed ??= err;
      if (--left === 0) done?.(failed);
    };
    op(local, one);
    op(shared, one);
  };
  const split = {
    on(topic: string, notify: unknown, done?: Done) {
      both((e, d) => (e.on as (t: string, n: unknown, d: Done) => void)(topic, notify, d), done);
      return split;
    },
    removeListener(topic: string, notify: unknown, done?: Done) {
      both((e, d) => (e.removeListener as (t: string, n: unknown, d: Done) => void)(topic, notify, d), done);
      return split;
    },
    emit(packet: { topic: string }, done?: Done) {
      const target = isLocal(packet.topic) ? local : shared;
      (target.emit as (p: unknown, d?: Done) => void)(packet, done);
      return split;
    },
    close(done?: Done) {
      both((e, d) => (e.close as (d: Done) => void)(d), done);
    },
  };
  return split as unknown as Emitter;
}

/** aedes options for a hub of the cluster. */
export function clusterAedesOptions(cluster: BrokerCluster): Pick<AedesOptions, 'id' | 'mq' | 'persistence' | 'heartbeatInterval'> {
  return {
    id: `gridwatch-${cluster.hubId}`,
    // the wills a dead hub left are cleared (published, as hints: see broker.ts) seconds after it died
    heartbeatInterval: 1000,
    mq: splitEmitter(mqemitter({ concurrency: 100, matchEmptyLevels: true }), mqemitterRedis({ subConn: cluster.redis('mq-sub'), pubConn: cluster.redis('mq-pub') })),
    persistence: redisPersistence({ conn: cluster.redis('mqtt-persistence') }),
  };
}

/** The `$SYS/<broker>/new/subscribes` payload aedes publishes (through the shared emitter) on every SUBSCRIBE. */
export function parseNewSubscribes(payload: Buffer | string): { clientId: string; topics: string[] } | undefined {
  try {
    const body = JSON.parse(payload.toString()) as { clientId?: unknown; subs?: { topic?: unknown; qos?: unknown }[] };
    if (typeof body.clientId !== 'string' || !Array.isArray(body.subs)) return undefined;
    return { clientId: body.clientId, topics: body.subs.filter((s) => s.qos !== 128 && typeof s.topic === 'string').map((s) => s.topic as string) };
  } catch {
    return undefined;
  }
}
