// The siren channel through the real hub's command sender (real broker, real influxd) with a real
// MQTT client as the siren: a siren counts only once it confirmed on cmd/ack.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { SIREN_ON, sirenChannel } from '../../../src/notify/channels/siren.js';
import { createDeliveryPipeline } from '../../../src/notify/pipeline.js';
import { render } from '../../../src/notify/render.js';
import { startTestInflux, type TestInflux } from '../../helpers/influxd.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { MemoryLedger, makeMessage, makeNotification } from '../fixtures.js';

let influx: TestInflux;
let t: TestHub;
let siren: MqttClient;
const received: { topic: string; payload: Record<string, unknown>; qos: number }[] = [];

beforeAll(async () => {
  influx = await startTestInflux();
  t = await startTestHub({
    influxUrl: influx.url,
    devices: [{ id: 'siren-lty3', kind: 'smoke' }, { id: 'siren-gone', kind: 'smoke' }, { id: 'siren-jammed', kind: 'smoke', building: 'b2' }],
    overrides: { mqtt: { port: 0, host: '127.0.0.1', commandAckMs: 200, commandAttempts: 2 } },
  });
  siren = await t.connect('siren-lty3');
  siren.on('message', (topic, payload, packet) => {
    const body = JSON.parse(payload.toString()) as Record<string, unknown>;
    received.push({ topic, payload: body, qos: packet.qos });
    siren.publishAsync('gridwatch/v1/siren-lty3/cmd/ack', JSON.stringify({ id: body.id, ok: true }), { qos: 1 }).catch(() => undefined);
  });
  await siren.subscribeAsync('gridwatch/v1/siren-lty3/cmd', { qos: 1 });
}, 120_000);

afterAll(async () => {
  await t?.close();
  await influx?.cleanup();
}, 60_000);

describe('siren channel (MQTT downlink, confirmed on cmd/ack)', () => {
  const base = { id: 'sirens', type: 'siren', maxAttempts: 3, minSeverity: 'critical' } as const;

  it('sends {"cmd":"siren","on":true} with a command id to each siren and succeeds on its ack', async () => {
    const ch = sirenChannel({ base, devices: ['siren-lty3'] }, t.hub.ctx.commands);
    expect(await ch.send(makeMessage(), new AbortController().signal)).toEqual({ ok: true });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ topic: 'gridwatch/v1/siren-lty3/cmd', qos: 1, payload: { ...SIREN_ON, id: expect.any(String) } });
  });

  it('a siren that never confirms (offline) is a retryable failure naming it; the others still get the command', async () => {
    received.length = 0;
    const ch = sirenChannel({ base, devices: ['siren-gone', 'siren-lty3'] }, t.hub.ctx.commands);
    const res = await ch.send(makeMessage(), new AbortController().signal);
    expect(res).toMatchObject({ ok: false, retryable: true });
    expect(res.ok === false && res.error).toContain('siren-gone');
    expect(res.ok === false && res.error).toContain('not confirmed');
    expect(received.map((r) => r.topic)).toEqual(['gridwatch/v1/siren-lty3/cmd']);
  });

  it('a siren that answers ok: false is a failure', async () => {
    const jammed = await t.connect('siren-jammed');
    jammed.on('message', (_topic, payload) => {
      const { id } = JSON.parse(payload.toString()) as { id: string };
      jammed.publishAsync('gridwatch/v1/siren-jammed/cmd/ack', JSON.stringify({ id, ok: false }), { qos: 1 }).catch(() => undefined);
    });
    await jammed.subscribeAsync('gridwatch/v1/siren-jammed/cmd', { qos: 1 });
    const ch = sirenChannel({ base, devices: ['siren-jammed'] }, t.hub.ctx.commands);
    const res = await ch.send(makeMessage(), new AbortController().signal);
    expect(res).toMatchObject({ ok: false, retryable: true });
    expect(res.ok === false && res.error).toContain('ok: false');
  });

  // last: it closes the hub's broker
  it('the broker closing under a delivery (a clean stop) is no give-up: cancelled, nothing recorded, for the next start', async () => {
    const ledger = new MemoryLedger();
    const p = createDeliveryPipeline(sirenChannel({ base: { ...base, maxAttempts: 1 }, devices: ['siren-gone'] }, t.hub.ctx.commands), {
      clock: new ManualClock(0), logger: silentLogger(), deadLetterPath: `${t.dataDir}/notify/dead-letter.jsonl`,
      render: (n) => render(n, { lang: 'zh', baseUrl: 'http://hub:8080' }),
    });
    const outcome = p.deliver(makeNotification({ ledger }));
    await t.hub.broker.close();
    expect(await outcome).toBe('cancelled');
    expect(ledger.entries).toEqual([]);
  });
});
