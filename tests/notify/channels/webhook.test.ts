import { createHmac, timingSafeEqual } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { signBody, webhookChannel } from '../../../src/notify/channels/webhook.js';
import { startRecorder, useRecorder } from '../http-recorder.js';
import { T0, makeMessage, makeNotification } from '../fixtures.js';

const SECRET = 'hook-secret-123';
const base = { id: 'hook', type: 'webhook', maxAttempts: 3 } as const;
const srv = useRecorder({ status: 204 });
const clock = new ManualClock(T0);

/** What a receiver does: recompute the HMAC over the raw body and compare in constant time. */
function verifies(body: string, header: string | undefined, secret: string): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  const got = Buffer.from(header.slice(7), 'hex');
  return got.length === expected.length && timingSafeEqual(got, expected);
}

describe('webhook channel', () => {
  it('POSTs the case, the entry and the recipients as JSON with a verifiable signature', async () => {
    const ch = webhookChannel({ base, url: `${srv.url}/hook?x=1`, secret: SECRET }, clock);
    const res = await ch.send(makeMessage(), new AbortController().signal);
    expect(res).toEqual({ ok: true, status: 204 });
    expect(srv.requests).toHaveLength(1);
    const req = srv.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/hook?x=1');
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    expect(req.headers['x-gridwatch-timestamp']).toBe(String(T0));
    expect(verifies(req.body, req.headers['x-gridwatch-signature'] as string, SECRET)).toBe(true);
    expect(verifies(req.body, req.headers['x-gridwatch-signature'] as string, 'wrong')).toBe(false);
    const body = JSON.parse(req.body) as Record<string, unknown>;
    expect(body.version).toBe(1);
    expect(body.type).toBe('alert');
    expect(body.case).toMatchObject({ id: 'c-0001', severity: 'critical', grid: 'lty-1' });
    expect(body.entry).toMatchObject({ seq: 1, action: 'opened' });
    expect(body.recipients).toEqual([{ id: 'hantao', name: '韩涛', role: 'grid_worker', grids: ['lty-1'], phone: '13800001111' }]);
    expect(body.message).toMatchObject({ lang: 'zh', ackUrl: 'https://gw.example.cn/#/alerts/c-0001' });
    expect(body).not.toHaveProperty('ledger');
  });

  it('never sends fields beyond the person fields (no password hashes)', async () => {
    const leaky = { id: 'p', name: 'P', role: 'admin' as const, grids: [], passwordHash: 'scrypt$secret' };
    const ch = webhookChannel({ base, url: srv.url, secret: SECRET }, clock);
    await ch.send(makeMessage(makeNotification({ recipients: [leaky] })), new AbortController().signal);
    expect(srv.requests[0]!.body).not.toContain('scrypt$secret');
  });

  it('signs nothing without a secret', async () => {
    const ch = webhookChannel({ base, url: srv.url }, clock);
    await ch.send(makeMessage(), new AbortController().signal);
    expect(srv.requests[0]!.headers['x-gridwatch-signature']).toBeUndefined();
  });

  it('5xx and 429 are retryable, 4xx are not', async () => {
    const ch = webhookChannel({ base, url: srv.url, secret: SECRET }, clock);
    srv.script.push({ status: 503, body: 'busy' }, { status: 429, headers: { 'retry-after': '7' } }, { status: 400, body: 'bad' }, { status: 404 });
    const sig = new AbortController().signal;
    expect(await ch.send(makeMessage(), sig)).toEqual({ ok: false, retryable: true, status: 503, error: 'HTTP 503: busy' });
    expect(await ch.send(makeMessage(), sig)).toMatchObject({ ok: false, retryable: true, status: 429, retryAfterMs: 7000 });
    expect(await ch.send(makeMessage(), sig)).toMatchObject({ ok: false, retryable: false, status: 400 });
    expect(await ch.send(makeMessage(), sig)).toMatchObject({ ok: false, retryable: false, status: 404 });
  });

  it('a refused connection is retryable', async () => {
    const gone = await startRecorder();
    const url = gone.url;
    await gone.close();
    const ch = webhookChannel({ base, url, secret: SECRET }, clock);
    const res = await ch.send(makeMessage(), new AbortController().signal);
    expect(res.ok).toBe(false);
    expect(res.ok === false && res.retryable).toBe(true);
  });

  it('signBody is sha256= + hex HMAC of the body', () => {
    expect(signBody('{}', 'k')).toBe(`sha256=${createHmac('sha256', 'k').update('{}').digest('hex')}`);
  });
});
