// The load: a few publishing devices with a window of messages in flight each, payloads from the
// simulator's generators (the kind mix of the fleet), QoS 0 or 1.
import mqtt, { type MqttClient } from 'mqtt';
import { makeDevice } from '../firmware-sim/device.js';
import { rngFor } from '../firmware-sim/rng.js';
import { reading } from '../firmware-sim/signals.js';
import type { BenchDevice } from './fixture.js';

export interface Publisher {
  device: BenchDevice;
  client: MqttClient;
}

export async function connectPublishers(url: string, devices: BenchDevice[]): Promise<Publisher[]> {
  return Promise.all(devices.map(async (device) => {
    const client = await mqtt.connectAsync(url, { clientId: device.id, username: device.id, password: device.secret, protocolVersion: 4, keepalive: 60, reconnectPeriod: 0, clean: true });
    return { device, client };
  }));
}

/** Readings to send, made before the clock starts: `perDevice` for each publisher. */
export function makePayloads(pubs: Pick<Publisher, 'device'>[], perDevice: number, seqBase: number): string[][] {
  const now = Date.now();
  return pubs.map(({ device }) => {
    const sim = makeDevice(device, { seed: 'bench', t0: now, timezone: 'Asia/Shanghai' });
    return Array.from({ length: perDevice }, (_, i) => {
      const seq = seqBase + i;
      return JSON.stringify(reading(sim, now - (perDevice - i), rngFor('bench', device.id, seq), seq));
    });
  });
}

export interface LoadResult {
  sent: number;
  /** ms from the first publish until every publish call completed (PUBACK for QoS 1) */
  publishMs: number;
  started: number;
}

/** Sends every payload with `window` messages in flight per publisher. */
export async function publishAll(pubs: Publisher[], payloads: string[][], qos: 0 | 1, window: number, onStart?: (t: number) => void): Promise<LoadResult> {
  const started = performance.now();
  onStart?.(started);
  let sent = 0;
  await Promise.all(pubs.map(async (p, i) => {
    const mine = payloads[i] ?? [];
    let next = 0;
    const topic = `gridwatch/v1/${p.device.id}/reading`;
    const lane = async (): Promise<void> => {
      while (next < mine.length) {
        const body = mine[next++] as string;
        await p.client.publishAsync(topic, body, { qos });
        sent++;
      }
    };
    await Promise.all(Array.from({ length: window }, lane));
  }));
  return { sent, publishMs: performance.now() - started, started };
}

export async function closePublishers(pubs: Publisher[]): Promise<void> {
  await Promise.all(pubs.map((p) => p.client.endAsync(true)));
}

/** Polls `count()` until it reaches `target`; returns the performance.now() when it did. */
export async function waitForCount(count: () => Promise<number>, target: number, timeoutMs = 180_000, pollMs = 100): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await count();
    if (n >= target) return performance.now();
    if (Date.now() > deadline) throw new Error(`only ${n} of ${target} arrived within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Readings stored in InfluxDB across the four kind measurements. */
export function influxCounter(url: string, db: string): () => Promise<number> {
  return async () => {
    const params = new URLSearchParams({ db, q: 'SELECT count(seq) FROM gas, noise, water, smoke' });
    const res = await fetch(`${url}/query`, { method: 'POST', body: params });
    const body = (await res.json()) as { results?: { series?: { values: unknown[][] }[] }[] };
    let n = 0;
    for (const s of body.results?.[0]?.series ?? []) n += Number(s.values[0]?.[1] ?? 0);
    return n;
  };
}
