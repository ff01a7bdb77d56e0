// One simulated device's MQTT connection (the `mqtt` package): client id = username = device id,
// password = the device's secret; Last Will `offline` retained on its status topic, `online`
// retained on connect; QoS 1 readings kept in the client's offline store across drops and resent
// on reconnect; reconnect with exponential backoff and jitter; commands acknowledged.
import mqtt, { type MqttClient } from 'mqtt';
import type { Rng } from './rng.js';

export const TOPIC_PREFIX = 'gridwatch/v1';

export function topic(device: string, sub: 'reading' | 'status' | 'event' | 'error' | 'cmd' | 'cmd/ack'): string {
  return `${TOPIC_PREFIX}/${device}/${sub}`;
}

/** Exponential backoff with "equal jitter": half fixed, half random; `u` uniform in [0, 1). */
export function backoffDelay(attempt: number, u: number, baseMs = 1000, maxMs = 60_000): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * u);
}

export interface DeviceClientOptions {
  url: string;
  id: string;
  secret: string;
  rng: Rng;
  keepaliveS?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** a message on the device's error topic (the hub rejected something) */
  onRejected?: (body: string) => void;
  /** a command on the device's cmd topic; the client acknowledges it after this returns */
  onCommand?: (cmd: Record<string, unknown>) => void;
  onConnect?: () => void;
}

export class DeviceClient {
  readonly client: MqttClient;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private suspended = false;
  private stopped = false;
  connects = 0;

  constructor(private readonly opts: DeviceClientOptions) {
    this.client = mqtt.connect(opts.url, {
      clientId: opts.id,
      username: opts.id,
      password: opts.secret,
      protocolVersion: 4,
      keepalive: opts.keepaliveS ?? 30,
      clean: false, // the broker keeps our cmd subscription; QoS 1 in flight survives a drop
      reconnectPeriod: 0, // we reconnect ourselves, with backoff and jitter
      connectTimeout: 15_000,
      will: { topic: topic(opts.id, 'status'), payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.client.on('connect', () => this.onConnect());
    this.client.on('close', () => this.scheduleReconnect());
    this.client.on('error', () => undefined); // refused or unreachable: 'close' follows and we back off
    this.client.on('message', (t, payload) => this.onMessage(t, payload));
  }

  get connected(): boolean {
    return this.client.connected;
  }

  private onConnect(): void {
    this.attempt = 0;
    this.connects++;
    this.client.publish(topic(this.opts.id, 'status'), 'online', { qos: 1, retain: true });
    this.client.subscribe([topic(this.opts.id, 'cmd'), topic(this.opts.id, 'error')], { qos: 1 });
    this.opts.onConnect?.();
  }

  private onMessage(t: string, payload: Buffer): void {
    if (t === topic(this.opts.id, 'error')) {
      this.opts.onRejected?.(payload.toString());
      return;
    }
    if (t !== topic(this.opts.id, 'cmd')) return;
    let cmd: unknown;
    try {
      cmd = JSON.parse(payload.toString());
    } catch {
      return;
    }
    if (!cmd || typeof cmd !== 'object' || Array.isArray(cmd)) return;
    const body = cmd as Record<string, unknown>;
    this.opts.onCommand?.(body);
    if (typeof body.id === 'string') this.client.publish(topic(this.opts.id, 'cmd/ack'), JSON.stringify({ id: body.id, ok: true }), { qos: 1 });
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.suspended || this.timer) return;
    const delay = backoffDelay(this.attempt++, this.opts.rng.next(), this.opts.backoffBaseMs, this.opts.backoffMaxMs);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped || this.suspended || this.client.connected) return;
      this.reconnectKeepingQueue();
    }, delay);
  }

  private reconnectKeepingQueue(): void {
    this.client.reconnect({ incomingStore: this.client.incomingStore, outgoingStore: this.client.outgoingStore });
  }

  /** Publish; resolves on PUBACK for QoS 1 (held and resent across drops), on write for QoS 0. */
  publish(sub: 'reading' | 'event', body: unknown, qos: 0 | 1): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.publish(topic(this.opts.id, sub), JSON.stringify(body), { qos }, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Drop off the network abruptly (the broker publishes our Last Will); stay away until resume(). */
  drop(): void {
    this.suspended = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.client.stream?.destroy();
  }

  resume(): void {
    if (!this.suspended) return;
    this.suspended = false;
    this.attempt = 0;
    if (!this.client.connected && !this.stopped) this.reconnectKeepingQueue();
  }

  /** Clean shutdown: `offline` retained, then DISCONNECT (no Last Will). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.client.connected) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2_000); // the broker may be gone already
        this.client.publish(topic(this.opts.id, 'status'), 'offline', { qos: 1, retain: true }, () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    if (!this.client.connected) {
      await this.client.endAsync(true);
      return;
    }
    // clean DISCONNECT (no Last Will) once in-flight messages are acknowledged; force after 3 s
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.client.stream?.destroy();
        resolve();
      }, 3_000);
    });
    await Promise.race([this.client.endAsync(false), timeout]);
    clearTimeout(timer);
  }
}
