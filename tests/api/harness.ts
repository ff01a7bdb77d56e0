// A real hub (real influxd, broker, alerting, API) with the test people logged in, and small
// helpers to call the API through fastify's inject as one of them.
import type { InjectOptions } from 'fastify';
import { ManualClock } from '../../src/core/clock.js';
import type { Reading } from '../../src/core/domain.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { startTestHub, type TestDevice, type TestHub } from '../helpers/hub.js';
import { PEOPLE, password, peopleConfig } from './people.js';

export interface ApiHarness {
  t: TestHub;
  clock: ManualClock;
  tokens: Map<string, string>;
  call(opts: InjectOptions & { as?: string }): Promise<{ status: number; body: unknown }>;
  /** a reading on the hub's bus, as ingest would publish it */
  emitReading(device: string, values: Reading['values'], extra?: Partial<Reading>): void;
  close(): Promise<void>;
}

export const json = <T>(b: unknown): T => b as T;

export async function waitFor<T>(fn: () => Promise<T | undefined> | T | undefined, what: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `overrides`: extra config keys (e.g. `rules`) over the test site and people. */
export async function startApiHarness(devices: TestDevice[], overrides: Record<string, unknown> = {}): Promise<ApiHarness> {
  const influx: TestInflux = await startTestInflux();
  const clock = new ManualClock(Date.now());
  const t = await startTestHub({ influxUrl: influx.url, clock, devices, overrides: { people: peopleConfig(), ...overrides } });
  const tokens = new Map<string, string>();
  const call: ApiHarness['call'] = async (opts) => {
    const headers: Record<string, string> = { ...(opts.headers as Record<string, string> | undefined) };
    if (opts.as) headers.authorization = `Bearer ${tokens.get(opts.as) ?? 'none'}`;
    const res = await t.hub.ctx.app.inject({ ...opts, headers });
    return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as unknown) : undefined };
  };
  for (const { id } of PEOPLE) {
    const r = await call({ method: 'POST', url: '/api/v1/auth/login', payload: { username: id, password: password(id) } });
    if (r.status !== 200) throw new Error(`login ${id}: ${r.status}`);
    tokens.set(id, json<{ token: string }>(r.body).token);
  }
  return {
    t, clock, tokens, call,
    emitReading(device, values, extra = {}) {
      const d = t.hub.ctx.site.devices.get(device);
      if (!d) throw new Error(`no device ${device}`);
      t.hub.ctx.bus.emit('reading', { device, kind: d.kind, ts: clock.now(), values, ...extra }, d);
    },
    async close() {
      await t.close();
      await influx.cleanup();
    },
  };
}
