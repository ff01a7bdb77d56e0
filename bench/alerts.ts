// Alert latency: a smoke alarm published over MQTT -> the `alert` event (case opened) on a
// socket.io client logged in as an admin, while background readings flow at a given rate.
import { io, type Socket } from 'socket.io-client';
import { makeDevice, type SimDevice } from '../firmware-sim/device.js';
import { rngFor } from '../firmware-sim/rng.js';
import { reading } from '../firmware-sim/signals.js';
import type { BenchDevice } from './fixture.js';
import { closePublishers, connectPublishers, type Publisher } from './load.js';

export interface Latency { samples: number; p50Ms: number; p99Ms: number; maxMs: number; backgroundPerSecond: number }

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

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

/** Background readings at `rate` per second over the publishers (QoS 1), until stopped. */
export function backgroundLoad(pubs: Publisher[], rate: number): { stop(): Promise<number> } {
  if (rate <= 0 || pubs.length === 0) return { stop: async () => 0 };
  const now = Date.now();
  const sims = pubs.map((p) => makeDevice(p.device, { seed: 'bench-bg', t0: now, timezone: 'Asia/Shanghai' }));
  const begin = performance.now();
  let sent = 0;
  let seq = 500_000_000 + (now % 100_000_000);
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - begin) / 1000) * rate) - sent;
    for (let i = 0; i < due; i++) {
      const k = sent % pubs.length;
      const p = pubs[k] as Publisher;
      const body = reading(sims[k] as SimDevice, Date.now(), rngFor('bg', seq), seq++);
      p.client.publish(`gridwatch/v1/${p.device.id}/reading`, JSON.stringify(body), { qos: 1 });
      sent++;
    }
  }, 10);
  return {
    stop: async () => {
      clearInterval(timer);
      return Math.round((sent / (performance.now() - begin)) * 1000);
    },
  };
}

/** One alarm per device, `gapMs` apart, under `rate`/s background load; latency to the live event. */
export async function measureAlertLatency(opts: { mqttUrl: string; socket: Socket; alarms: BenchDevice[]; load: BenchDevice[]; rate: number; gapMs?: number }): Promise<Latency> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const onAlert = (change: { case?: { device?: string }; entry?: { action?: string } }): void => {
    const device = change.case?.device;
    const t0 = device === undefined ? undefined : sentAt.get(device);
    if (t0 === undefined || change.entry?.action !== 'opened' || device === undefined) return;
    latencies.push(performance.now() - t0);
    sentAt.delete(device);
  };
  opts.socket.on('alert', onAlert);
  const alarmPubs = await connectPublishers(opts.mqttUrl, opts.alarms);
  const loadPubs = await connectPublishers(opts.mqttUrl, opts.load);
  const bg = backgroundLoad(loadPubs, opts.rate);
  let achieved = 0;
  try {
    await new Promise((r) => setTimeout(r, 1_000)); // let the background load settle
    for (const p of alarmPubs) {
      sentAt.set(p.device.id, performance.now());
      p.client.publish(`gridwatch/v1/${p.device.id}/reading`, JSON.stringify({ ts: Date.now(), seq: 1, alarm: true, obscuration: 8 }), { qos: 1 });
      await new Promise((r) => setTimeout(r, opts.gapMs ?? 100));
    }
    const deadline = Date.now() + 30_000;
    while (sentAt.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  } finally {
    achieved = await bg.stop();
    opts.socket.off('alert', onAlert);
    await closePublishers([...alarmPubs, ...loadPubs]);
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  return { samples: sorted.length, p50Ms: +percentile(sorted, 50).toFixed(1), p99Ms: +percentile(sorted, 99).toFixed(1), maxMs: +(sorted.at(-1) ?? NaN).toFixed(1), backgroundPerSecond: achieved };
}
