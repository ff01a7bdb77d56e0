// Alarm latency: a gas reading (30 % LEL) published by a valve device → (a) the valve command on
// that device's cmd topic and (b) the `alert` (opened) event on a socket.io client logged in as an
// admin. Each sample is its own device (one open case per device and rule), a full MQTT client
// that acknowledges its commands like a real valve. Background load comes from the generators.
import mqtt, { type MqttClient } from 'mqtt';
import type { Socket } from 'socket.io-client';
import type { BenchDevice } from './fixture.js';

export interface Percentiles { samples: number; p50Ms: number; p99Ms: number; maxMs: number }
export interface AlarmLatency { valve: Percentiles; alert: Percentiles; backgroundPerSecond: number; missing: number }

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const r = (x: number): number => +x.toFixed(1);
  return { samples: sorted.length, p50Ms: r(percentile(sorted, 50)), p99Ms: r(percentile(sorted, 99)), maxMs: r(sorted.at(-1) ?? NaN) };
}

interface Valve { device: BenchDevice; client: MqttClient; sentAt?: number; valveMs?: number; alertMs?: number }

export async function connectValves(mqttUrl: string, devices: BenchDevice[]): Promise<Valve[]> {
  return Promise.all(devices.map(async (device) => {
    const client = await mqtt.connectAsync(mqttUrl, { clientId: device.id, username: device.id, password: device.secret, reconnectPeriod: 0, keepalive: 600 });
    const v: Valve = { device, client };
    client.on('message', (_topic, payload) => {
      if (v.sentAt !== undefined && v.valveMs === undefined) v.valveMs = performance.now() - v.sentAt;
      try {
        const { id } = JSON.parse(payload.toString()) as { id?: string };
        if (id) client.publish(`gridwatch/v1/${device.id}/cmd/ack`, JSON.stringify({ id, ok: true }), { qos: 1 });
      } catch {
        /* not a command */
      }
    });
    await client.subscribeAsync(`gridwatch/v1/${device.id}/cmd`, { qos: 1 });
    return v;
  }));
}

export async function closeValves(valves: Valve[]): Promise<void> {
  await Promise.all(valves.map((v) => v.client.endAsync(true)));
}

/** One gas alarm per valve, `gapMs` apart; waits (≤ 30 s) for every command and alert event. */
export async function measureAlarms(valves: Valve[], socket: Socket, gapMs = 100): Promise<{ valve: Percentiles; alert: Percentiles; missing: number }> {
  const byDevice = new Map(valves.map((v) => [v.device.id, v]));
  const onAlert = (change: { case?: { device?: string }; entry?: { action?: string } }): void => {
    const v = change.case?.device === undefined ? undefined : byDevice.get(change.case.device);
    if (!v || v.sentAt === undefined || v.alertMs !== undefined || change.entry?.action !== 'opened') return;
    v.alertMs = performance.now() - v.sentAt;
  };
  socket.on('alert', onAlert);
  try {
    for (const v of valves) {
      v.sentAt = performance.now();
      v.client.publish(`gridwatch/v1/${v.device.id}/reading`, JSON.stringify({ ts: Date.now(), seq: 1, lel: 30 }), { qos: 1 });
      await new Promise((r) => setTimeout(r, gapMs));
    }
    const deadline = Date.now() + 30_000;
    while (valves.some((v) => v.valveMs === undefined || v.alertMs === undefined) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  } finally {
    socket.off('alert', onAlert);
  }
  const got = <K extends 'valveMs' | 'alertMs'>(k: K): number[] => valves.flatMap((v) => (v[k] === undefined ? [] : [v[k] as number]));
  const valve = got('valveMs');
  const alert = got('alertMs');
  return { valve: percentiles(valve), alert: percentiles(alert), missing: valves.length * 2 - valve.length - alert.length };
}
