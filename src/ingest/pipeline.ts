// The ingest handler: (device, subtopic, payload, qos, now) -> validate -> dedup -> store (await
// durability) -> emit on the bus. Rejections are answered on gridwatch/v1/{device}/error, emitted
// as `rejected` and counted. A rejection never blocks the device's next message.
import type { DeviceInfo, PresenceEvent, Reading, StorePoint } from '../core/domain.js';
import { GridwatchError, ValidationError, type ErrorCode } from '../core/errors.js';
import type { HubBus, HubEventMap, Rejection } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { PointSink } from '../store/types.js';
import { SeqDedup } from './dedup.js';
import { parseCommandAck, parseDeviceEvent, parseStatus } from './messages.js';
import type { IngestMetrics } from './metrics.js';
import { validateReadings } from './validate.js';

/** What the device receives on its error topic. */
export interface ErrorAnswer {
  code: ErrorCode;
  field?: string;
  value?: unknown;
  rule: string;
  message: string;
}

export interface PointBuilders {
  reading(reading: Reading, device: DeviceInfo): StorePoint;
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
  dedup?: SeqDedup;
  maxBytes?: number;
}

export interface IngestOutcome {
  accepted: number;
  rejected: number;
}

export type DeviceSubtopic = 'reading' | 'status' | 'event' | 'cmd/ack';

export class Ingest {
  private readonly dedup: SeqDedup;

  constructor(private readonly deps: IngestDeps) {
    this.dedup = deps.dedup ?? new SeqDedup();
  }

  /** Resolves once accepted readings are durable; rejects only when the store failed. */
  async handle(device: DeviceInfo, subtopic: DeviceSubtopic, payload: Buffer, now: number): Promise<IngestOutcome> {
    this.deps.metrics.messagesIn.inc({ topic: subtopic });
    try {
      switch (subtopic) {
        case 'reading':
          return await this.readings(device, payload, now);
        case 'status':
          parseStatus(payload);
          return { accepted: 1, rejected: 0 };
        case 'event':
          this.emit('deviceEvent', parseDeviceEvent(payload, device.id, now), device);
          return { accepted: 1, rejected: 0 };
        case 'cmd/ack':
          this.emit('cmdAck', parseCommandAck(payload, device.id, now), device);
          return { accepted: 1, rejected: 0 };
      }
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      this.reject(device.id, e, now);
      return { accepted: 0, rejected: 1 };
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

  /** Stores a presence change and announces it. */
  async presence(event: PresenceEvent, device: DeviceInfo): Promise<void> {
    await this.store([this.deps.points.presence(event, device)]);
    this.emit('presence', event, device);
  }

  private async readings(device: DeviceInfo, payload: Buffer, now: number): Promise<IngestOutcome> {
    const result = validateReadings(payload, device, now, { maxBytes: this.deps.maxBytes });
    if (result.unknownFields > 0) this.deps.metrics.unknownFields.inc(result.unknownFields);
    for (const err of result.rejected) this.reject(device.id, err, now);
    const fresh: Reading[] = [];
    for (const r of result.accepted) {
      if (r.seq === undefined || this.dedup.claim(device.id, r.seq)) fresh.push(r);
      else this.reject(device.id, new ValidationError('GW_ERR_PAYLOAD_DUPLICATE', 'seq', r.seq, 'must not repeat a seq already accepted from this device'), now);
    }
    if (fresh.length > 0) {
      try {
        await this.store(fresh.map((r) => this.deps.points.reading(r, device)));
      } catch (e) {
        for (const r of fresh) if (r.seq !== undefined) this.dedup.release(device.id, r.seq);
        throw e instanceof GridwatchError ? e : new GridwatchError('GW_ERR_STORE_WRITE', `readings from ${device.id} could not be stored: ${(e as Error).message}`, { cause: e, retryable: true });
      }
      this.deps.metrics.accepted.inc({ kind: device.kind }, fresh.length);
      for (const r of fresh) this.emit('reading', r, device);
    }
    return { accepted: fresh.length, rejected: result.accepted.length + result.rejected.length - fresh.length };
  }

  /** A listener's failure is logged; it must not fail the device's message. */
  private emit<K extends keyof HubEventMap>(event: K, ...args: HubEventMap[K]): void {
    try {
      (this.deps.bus.emit as (e: K, ...a: HubEventMap[K]) => boolean)(event, ...args);
    } catch (e) {
      this.deps.logger.error({ err: e, event }, 'a bus listener failed');
    }
  }

  private async store(points: StorePoint[]): Promise<void> {
    const end = this.deps.metrics.writeSeconds.startTimer();
    try {
      await this.deps.sink.write(points);
    } finally {
      end();
    }
  }
}
