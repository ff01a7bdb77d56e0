// The ingest handler: (device, subtopic, payload, now) -> validate -> dedup -> emit on the bus
// (act at once) -> store (`durable`, which the PUBACK awaits). Rejections are answered on gridwatch/v1/{device}/error, emitted
// as `rejected` and counted. A rejection never blocks the device's next message.
import type { DeviceInfo, PresenceEvent, Reading, StorePoint } from '../core/domain.js';
import { GridwatchError, ValidationError, type ErrorCode } from '../core/errors.js';
import type { HubBus, HubEventMap, Rejection, RelayInput } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { PointSink } from '../store/types.js';
import { deviceNs, ReadingDedup, RECEIVE_NS_BASE, type DeviceReadings } from './dedup.js';
import type { ReadingJournal } from './journal.js';
import type { KnownReading, ReadingKey, SharedIngestMemory } from './shared.js';

type SharedEntry = ReadingKey & { ts: number; ns: number };
import { PendingWrite, type GatherDeps } from './gather.js';
import { PresenceBatch } from './presence-batch.js';
import { parseCommandAck, parseDeviceEvent, parseStatus } from './messages.js';
import type { IngestMetrics } from './metrics.js';
import { validateReadings, type ValidateOptions } from './validate.js';

/** What the device receives on its error topic. */
export interface ErrorAnswer {
  code: ErrorCode;
  field?: string;
  value?: unknown;
  rule: string;
  message: string;
}

export interface PointBuilders {
  /** `ns`: the sub-millisecond part of the point's time (see dedup.ts) */
  reading(reading: Reading, device: DeviceInfo, ns: number): StorePoint;
  presence(event: PresenceEvent, device: DeviceInfo): StorePoint;
}

export interface IngestDeps {
  sink: PointSink;
  bus: HubBus;
  logger: Logger;
  metrics: IngestMetrics;
  points: PointBuilders;
  /** publishes `answer` on gridwatch/v1/{device}/error */
  answer(device: string, answer: ErrorAnswer): void;
  dedup?: ReadingDedup;
  /** where receive-stamped readings' points are remembered across a crash (journal.ts) */
  journal?: ReadingJournal;
  /** cluster mode: the reading memory and command acks shared by every hub (shared.ts) */
  shared?: SharedIngestMemory;
  /**
   * cluster mode: hands an accepted input to the rules leader (the Redis stream). Part of
   * accepting it: the PUBACK waits for it as for the store, and a reading is remembered as stored
   * only once both are done, so its re-send is relayed again rather than refused.
   */
  relay?: (input: RelayInput) => Promise<void>;
  maxBytes?: number;
  /**
   * the writer's batch size: a run's batch (gather.ts) closes once it holds this many points, so
   * the writer's batches and backpressure see what they would see message by message (default 5000)
   */
  batchPoints?: number;
  /** the longest a presence point waits to be written with the others (config.influx.flushMs; default 100) */
  presenceLingerMs?: number;
}

export interface IngestOutcome {
  accepted: number;
  rejected: number;
  /** readings the message held (a batch counts each; any other message counts 1): what rate limits count */
  readings: number;
}

export type DeviceSubtopic = 'reading' | 'status' | 'event' | 'cmd/ack';

/** A message acted on: what it held, and when its readings are durable. */
export interface Accepted {
  outcome: IngestOutcome;
  /** resolves once the accepted readings are durable; rejects only when the store failed */
  durable: Promise<void>;
}

const DONE: Promise<void> = Promise.resolve();

function storeFailure(e: unknown, what: string): GridwatchError {
  return e instanceof GridwatchError ? e : new GridwatchError('GW_ERR_STORE_WRITE', `${what} could not be stored: ${(e as Error).message}`, { cause: e, retryable: true });
}
// single mode: nothing is shared or relayed, so no array per message for it
const NO_ENTRIES = Object.freeze([]) as unknown as SharedEntry[];
const NO_RELAYS = Object.freeze([]) as unknown as Promise<void>[];
const NO_SLOTS = Object.freeze([]) as unknown as number[];

export class Ingest {
  private readonly dedup: ReadingDedup;
  /** single mode: the batch gathering this run's points (gather.ts) */
  private batch: PendingWrite | undefined;
  private readonly gather: GatherDeps;
  private readonly presenceBatch: PresenceBatch;
  /** per device: its last presence change's millisecond and how many fell in it (presenceNs) */
  private readonly presenceMs = new Map<string, { ms: number; n: number }>();
  private readonly validateOptions: ValidateOptions;
  /** CLUSTER: devices whose shared reading memory this hub has recalled since they connected here */
  private readonly recalled = new Map<string, Promise<void> | true>();

  constructor(private readonly deps: IngestDeps) {
    this.dedup = deps.dedup ?? new ReadingDedup();
    this.validateOptions = deps.maxBytes === undefined ? {} : { maxBytes: deps.maxBytes }; // once, not per message
    this.gather = {
      write: (points) => deps.sink.write(points),
      ...(deps.journal ? { journal: deps.journal } : {}),
      stored: (kind, n) => deps.metrics.accepted.add(kind, n),
      settled: (seconds) => deps.metrics.writeSeconds.observe(seconds),
      failure: (e) => storeFailure(e, 'readings'),
    };
    this.presenceBatch = new PresenceBatch({
      write: (points) => deps.sink.write(points),
      lingerMs: deps.presenceLingerMs ?? 100,
      maxPoints: deps.batchPoints ?? 5000,
      settled: (seconds) => deps.metrics.writeSeconds.observe(seconds),
    });
  }

  /** Resolves once accepted readings are durable; rejects only when the store failed. */
  async handle(device: DeviceInfo, subtopic: DeviceSubtopic, payload: Buffer, now: number): Promise<IngestOutcome> {
    const { outcome, durable } = this.accept(device, subtopic, payload, now);
    await durable;
    return outcome;
  }

  /**
   * Validates the message and acts on it at once (bus); the store runs behind `durable`. The
   * broker holds a PUBACK on `durable`; a QoS 0 message has none to hold, so its device's next
   * packets are read meanwhile (the writer's backpressure bounds memory, backpressure.ts).
   */
  accept(device: DeviceInfo, subtopic: DeviceSubtopic, payload: Buffer, now: number): Accepted {
    this.deps.metrics.messagesIn.add(subtopic);
    try {
      switch (subtopic) {
        case 'reading':
          return this.readings(device, payload, now);
        case 'status':
          parseStatus(payload);
          return { outcome: { accepted: 1, rejected: 0, readings: 1 }, durable: DONE };
        case 'event': {
          const event = parseDeviceEvent(payload, device.id, now);
          this.emit('deviceEvent', event, device);
          return { outcome: { accepted: 1, rejected: 0, readings: 1 }, durable: this.deps.relay ? this.deps.relay({ type: 'deviceEvent', event }) : DONE };
        }
        case 'cmd/ack': {
          const ack = parseCommandAck(payload, device.id, now);
          const outcome = { accepted: 1, rejected: 0, readings: 1 };
          if (!this.deps.shared) {
            this.emit('cmdAck', ack, device);
            return { outcome, durable: DONE };
          }
          // CLUSTER: a command redelivered after a hub death (DUP=0) is acknowledged again
          // relayed first: the leader records an ack once per command, and a failed relay is re-sent
          const relayed = this.deps.relay ? this.deps.relay({ type: 'cmdAck', ack }) : DONE;
          const shared = this.deps.shared;
          return { outcome, durable: relayed.then(() => shared.firstAck(device.id, ack.id)).then((first) => void (first && this.emit('cmdAck', ack, device))) };
        }
      }
    } catch (e) {
      if (!(e instanceof ValidationError)) return { outcome: { accepted: 0, rejected: 0, readings: 1 }, durable: Promise.reject(e) };
      this.reject(device.id, e, now);
      return { outcome: { accepted: 0, rejected: 1, readings: 1 }, durable: DONE };
    }
  }

  /** Answers, emits and counts one rejection (also used by the broker for rate and size limits). */
  reject(device: string, err: ValidationError, now: number): void {
    this.deps.metrics.rejected.inc({ device, reason: err.code });
    const rejection: Rejection = { device, ts: now, code: err.code, field: err.field, value: err.value, rule: err.rule };
    this.emit('rejected', rejection);
    this.deps.answer(device, { code: err.code, field: err.field, value: err.value, rule: err.rule, message: err.message });
    this.deps.logger.debug({ device, code: err.code, field: err.field, rule: err.rule }, 'message rejected');
  }

  /**
   * Announces a presence change at once (rules, outages, the board act on it as on a reading) and
   * stores it with the others of its `presenceLingerMs` window (presence-batch.ts); resolves once stored.
   */
  presence(event: PresenceEvent, device: DeviceInfo): Promise<void> {
    this.forgetRecall(device.id);
    const point = this.deps.points.presence(event, device);
    point.ns = this.presenceNs(device.id, event.ts);
    // a hint to the rules leader (offline comes from data): its relay does not hold the local announcement
    const relayed = this.deps.relay?.({ type: 'presence', event });
    relayed?.catch(() => undefined);
    const stored = this.presenceBatch.add(point); // the window's promise, shared: nothing allocated per change
    this.emit('presence', event, device);
    return relayed ? Promise.all([stored, relayed]).then(() => undefined) : stored;
  }

  /**
   * A connect and a clean disconnect in the same millisecond must stay two points: the sub-ms part
   * counts a device's presence changes within their millisecond (as receiveNs does for readings,
   * dedup.ts, without a reading ring for a device that only ever connects).
   */
  private presenceNs(device: string, ts: number): number {
    const last = this.presenceMs.get(device);
    if (!last) {
      this.presenceMs.set(device, { ms: ts, n: 0 });
      return RECEIVE_NS_BASE;
    }
    if (last.ms === ts) last.n = Math.min(last.n + 1, RECEIVE_NS_BASE - 1);
    else {
      last.ms = ts;
      last.n = 0;
    }
    return RECEIVE_NS_BASE + last.n;
  }

  /** Hands the presence points still gathering to the writer (hub shutdown, before the writer's close makes them durable). */
  close(): void {
    this.presenceBatch.close();
  }

  // ACT BEFORE STORING, ACKNOWLEDGE AFTER: new readings go on the bus (rules, alerts, live) as
  // soon as they are validated; the returned promise (and so the PUBACK) waits for the store. A
  // reading whose store fails stays remembered as not stored: its re-send is written to the same
  // point again but not announced a second time.
  private readings(device: DeviceInfo, payload: Buffer, now: number): Accepted {
    const result = validateReadings(payload, device, now, this.validateOptions);
    if (result.unknownFields > 0) this.deps.metrics.unknownFields.inc(result.unknownFields);
    for (const err of result.rejected) this.reject(device.id, err, now);
    const { accepted } = result;
    const readings = accepted.length + result.rejected.length || 1;
    if (accepted.length === 0) return { outcome: { accepted: 0, rejected: result.rejected.length, readings }, durable: DONE };
    const shared = this.deps.shared;
    const recalled = this.recalled.get(device.id);
    if (shared && recalled !== true) {
      // CLUSTER: the first readings since the device connected here: learn what every hub knows
      // of it (one Redis round trip per connection, not per reading), then decide, in order
      const pending = recalled ?? shared.recall(device.id).then((all) => {
        this.remember(device.id, all, all);
        if (this.recalled.get(device.id) === pending) this.recalled.set(device.id, true);
      });
      if (pending !== recalled) {
        this.recalled.set(device.id, pending);
        // Redis unreachable: these readings are not acknowledged; the next ones ask again
        pending.catch(() => {
          if (this.recalled.get(device.id) === pending) this.recalled.delete(device.id);
        });
      }
      const durable = pending.then(() => this.readingsKnown(device, result, readings, now).durable);
      return { outcome: { accepted: accepted.length, rejected: result.rejected.length, readings }, durable };
    }
    return this.readingsKnown(device, result, readings, now);
  }

  /** CLUSTER: forget what was recalled of a device when it connects or leaves (it may go to another hub meanwhile). */
  private forgetRecall(device: string): void {
    if (this.deps.shared) this.recalled.delete(device); // (single mode recalls nothing)
  }

  private readingsKnown(device: DeviceInfo, result: ReturnType<typeof validateReadings>, readings: number, now: number): Accepted {
    const { accepted, hashes, received } = result;
    const shared = this.deps.shared;
    // a receive-stamped reading whose re-send another hub may be storing right now (a takeover)
    // is still asked for one by one: its point is the first hub's receive time
    const unknown = shared ? this.unknown(device.id, accepted, hashes, received) : undefined;
    if (shared && unknown && unknown.length > 0) {
      // CLUSTER: what this hub does not know may have reached another hub first (a re-send after
      // a crash): ask the shared memory, then act (one Redis round trip later)
      const durable = shared.lookup(device.id, unknown).then((known) => {
        this.remember(device.id, unknown, known);
        return this.decide(device, result.accepted, hashes, received, readings, now).durable;
      });
      return { outcome: { accepted: accepted.length, rejected: result.rejected.length, readings }, durable };
    }
    return this.decide(device, accepted, hashes, received, readings, now);
  }

  /** The readings' points, announcements and store, given what the ring knows. */
  private decide(device: DeviceInfo, accepted: readonly Reading[], hashes: readonly number[], received: readonly boolean[], readings: number, now: number): Accepted {
    const shared = this.deps.shared;
    const seen = this.dedup.device(device.id);
    this.dedup.reserve(seen, accepted.length);
    // single mode: the points join the batch of this run (gather.ts); cluster mode: each message
    // is stored beside its shared memory and relay
    const batch = shared || this.deps.relay ? undefined : this.gathering();
    const sharedNew: SharedEntry[] = shared ? [] : NO_ENTRIES; // CLUSTER: written to the shared memory before the store
    const relayed: Promise<void>[] = this.deps.relay ? [] : NO_RELAYS; // CLUSTER: the announced readings on their way to the rules leader
    const points: StorePoint[] = batch ? batch.points : [];
    const first = points.length;
    const slots: number[] = batch ? NO_SLOTS : []; // CLUSTER: slot, seq, h1 of each remembered reading (a batch keeps its own)
    let fresh = 0;
    let journaled = false;
    for (let i = 0; i < accepted.length; i++) {
      const r = accepted[i] as Reading;
      const h1 = hashes[2 * i] as number;
      const h2 = hashes[2 * i + 1] as number;
      const seq = r.seq;
      if (seq !== undefined) {
        const slot = seen.find(seq, h1, h2);
        if (slot >= 0) {
          if (seen.stored[slot] === 1) {
            this.reject(device.id, new ValidationError('GW_ERR_PAYLOAD_DUPLICATE', 'seq', seq, 'must not repeat a reading already stored (same seq and content) from this device'), now);
            continue;
          }
          r.ts = seen.ts[slot] as number;
          points.push(this.deps.points.reading(r, device, seen.ns[slot] as number));
          if (batch) batch.remember(seen, slot, seq, h1);
          else slots.push(slot, seq, h1);
          if (shared) {
            // CLUSTER: the hub that first took it may have died before its announcement left it;
            // announced again (the rules leader's transitions are idempotent per reading time)
            sharedNew.push({ seq, h1, h2, ts: r.ts, ns: seen.ns[slot] as number });
            this.announce(r, device, relayed);
          }
          continue;
        }
      }
      const stamped = received[i] === true;
      const ns = stamped ? seen.receiveNs(now) : deviceNs(seq, h1);
      if (seq !== undefined) {
        const slot = seen.add(seq, h1, h2, r.ts, ns);
        if (batch) batch.remember(seen, slot, seq, h1);
        else slots.push(slot, seq, h1);
        if (shared) sharedNew.push({ seq, h1, h2, ts: r.ts, ns });
        if (stamped && this.deps.journal) {
          this.deps.journal.record(device.id, seq, h1, h2, r.ts, ns);
          journaled = true;
        }
      }
      points.push(this.deps.points.reading(r, device, ns));
      fresh++;
      this.announce(r, device, relayed);
    }
    const stored = points.length - first;
    const outcome = { accepted: stored, rejected: readings - stored, readings };
    if (stored === 0) return { outcome, durable: DONE };
    if (batch) {
      batch.count(device.kind, fresh);
      if (journaled) batch.journal();
      return { outcome, durable: batch.durable };
    }
    return { outcome, durable: this.durable(device, points, slots, seen, fresh, journaled, sharedNew, relayed) };
  }

  /** The batch the points accepted in this synchronous run join; written when the run ends. */
  private gathering(): PendingWrite {
    if (this.batch && this.batch.points.length < (this.deps.batchPoints ?? 5000)) return this.batch;
    const batch = new PendingWrite(this.gather);
    this.batch = batch;
    queueMicrotask(() => {
      if (this.batch === batch) this.batch = undefined;
      batch.flush();
    });
    return batch;
  }

  /** On the bus at once (rules in single mode, live, board); in cluster mode also relayed to the rules leader. */
  private announce(r: Reading, device: DeviceInfo, relayed: Promise<void>[]): void {
    try {
      this.deps.bus.emit('reading', r, device); // (not through emit(): no rest array per reading)
    } catch (e) {
      this.deps.logger.error({ err: e, event: 'reading' }, 'a bus listener failed');
    }
    if (!this.deps.relay) return;
    const relay = this.deps.relay({ type: 'reading', reading: r });
    relay.catch(() => undefined); // handled where durable() awaits it; not an unhandled rejection meanwhile
    relayed.push(relay);
  }

  /** CLUSTER: a message's store, with its journal, shared memory and relay. */
  private durable(device: DeviceInfo, points: StorePoint[], slots: number[], seen: DeviceReadings, fresh: number, journaled: boolean, sharedNew: SharedEntry[], relayed: Promise<void>[]): Promise<void> {
    const started = performance.now();
    return this.storeWith(device, points, fresh, journaled, sharedNew, relayed).then(() => {
      this.deps.metrics.writeSeconds.observe((performance.now() - started) / 1000);
      for (let k = 0; k < slots.length; k += 3) seen.markStored(slots[k] as number, slots[k + 1] as number, slots[k + 2] as number);
      // not awaited: a re-send not known to be stored is only written to its point again
      if (this.deps.shared && sharedNew.length > 0) this.deps.shared.stored(device.id, sharedNew).catch((e: unknown) => this.deps.logger.warn({ err: e, device: device.id }, 'shared reading memory not updated'));
      this.deps.metrics.accepted.add(device.kind, fresh);
    }, (e: unknown) => {
      this.deps.metrics.writeSeconds.observe((performance.now() - started) / 1000);
      throw storeFailure(e, `readings from ${device.id}`);
    });
  }

  /** The store with what must come before or beside it: the journal, the shared memory, the relay. */
  private async storeWith(device: DeviceInfo, points: StorePoint[], fresh: number, journaled: boolean, sharedNew: SharedEntry[], relayed: Promise<void>[]): Promise<void> {
    const shared = this.deps.shared;
    if (journaled) await this.deps.journal?.flush(); // before the point can exist
    if (shared && sharedNew.length > 0) {
      // A receive-stamped point must be known before it can exist (another hub would stamp a
      // re-send anew); a device-stamped one is the same point on any hub (ts + deviceNs), so its
      // memory is written beside the store: one Redis round trip less before the PUBACK.
      const record = shared.record(device.id, sharedNew);
      if (journaled || points.length !== fresh || sharedNew.some((e) => e.ns !== deviceNs(e.seq, e.h1))) await record;
      await Promise.all([record, this.deps.sink.write(points), ...relayed]);
    } else {
      await Promise.all([this.deps.sink.write(points), ...relayed]);
    }
  }

  /** CLUSTER: the receive-stamped readings (with a seq) this hub's ring does not know. */
  private unknown(device: string, accepted: readonly Reading[], hashes: readonly number[], received: readonly boolean[]): ReadingKey[] {
    const seen = this.dedup.device(device);
    const keys: ReadingKey[] = [];
    for (let i = 0; i < accepted.length; i++) {
      const seq = (accepted[i] as Reading).seq;
      const h1 = hashes[2 * i] as number;
      const h2 = hashes[2 * i + 1] as number;
      if (seq !== undefined && received[i] === true && seen.find(seq, h1, h2) < 0) keys.push({ seq, h1, h2 });
    }
    return keys;
  }

  /** CLUSTER: what the shared memory knew goes into the ring, with its point and whether it is stored. */
  private remember(device: string, keys: readonly ReadingKey[], known: readonly (KnownReading | undefined)[]): void {
    const ring = this.dedup.device(device);
    this.dedup.reserve(ring, keys.length);
    keys.forEach((k, i) => {
      const e = known[i];
      if (!e || ring.find(k.seq, k.h1, k.h2) >= 0) return;
      const slot = ring.add(k.seq, k.h1, k.h2, e.ts, e.ns);
      if (e.stored) ring.markStored(slot, k.seq, k.h1);
    });
  }

  /** A listener's failure is logged; it must not fail the device's message. */
  private emit<K extends keyof HubEventMap>(event: K, ...args: HubEventMap[K]): void {
    try {
      (this.deps.bus.emit as (e: K, ...a: HubEventMap[K]) => boolean)(event, ...args);
    } catch (e) {
      this.deps.logger.error({ err: e, event }, 'a bus listener failed');
    }
  }

}
