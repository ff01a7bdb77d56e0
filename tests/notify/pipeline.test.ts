import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { webhookChannel } from '../../src/notify/channels/webhook.js';
import { deadLetterPath } from '../../src/notify/dead-letter.js';
import { createDeliveryPipeline, type PipelineDeps } from '../../src/notify/pipeline.js';
import { render } from '../../src/notify/render.js';
import type { Channel } from '../../src/notify/types.js';
import { MemoryLedger, T0, makeNotification } from './fixtures.js';
import { useRecorder, waitFor } from './http-recorder.js';

const FAST = { baseMs: 1, maxMs: 4, factor: 2 };
const srv = useRecorder({ status: 204 });
let dir: string;
let ledger: MemoryLedger;
const clock = new ManualClock(T0 + 60_000);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gw-notify-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  ledger = new MemoryLedger();
  await rm(join(dir, 'notify'), { recursive: true, force: true });
});

function hook(over: Partial<Channel> = {}): Channel {
  return { ...webhookChannel({ base: { id: 'hook', type: 'webhook', maxAttempts: 3 }, url: srv.url, secret: 's' }, clock), ...over };
}

function deps(over: Partial<PipelineDeps> = {}): PipelineDeps {
  return {
    clock,
    logger: silentLogger(),
    record: (caseId, action, data) => ledger.record(caseId, action, data),
    render: (n) => render(n, { lang: 'zh', baseUrl: 'http://hub:8080' }),
    deadLetterPath: deadLetterPath(dir),
    backoff: FAST,
    random: () => 0.5,
    ...over,
  };
}

const dataOf = (i: number): Record<string, unknown> => ledger.entries[i]?.data ?? {};

describe('delivery pipeline: retry and record', () => {
  it('retries a 500 and records every attempt, then the delivery', async () => {
    srv.script.push({ status: 500 }, { status: 502 });
    const p = createDeliveryPipeline(hook(), deps());
    expect(await p.deliver(makeNotification())).toBe('delivered');
    expect(srv.requests).toHaveLength(3);
    expect(new Set(srv.requests.map((r) => r.body)).size).toBe(1);
    expect(ledger.actions()).toEqual(['delivery_failed', 'delivery_failed', 'notified']);
    expect(dataOf(0)).toMatchObject({ channel: 'hook', type: 'webhook', attempt: 1, maxAttempts: 3, status: 500, retryable: true, final: false });
    expect(dataOf(1)).toMatchObject({ attempt: 2, status: 502, final: false });
    expect(dataOf(2)).toMatchObject({ channel: 'hook', attempt: 3, step: 0, reason: 'opened', recipients: ['hantao'] });
    expect(ledger.entries.every((e) => e.caseId === 'c-0001')).toBe(true);
  });

  it('dead-letters after maxAttempts: a JSON line and a final delivery_failed', async () => {
    srv.fallback = { status: 500, body: 'down' };
    const p = createDeliveryPipeline(hook(), deps());
    expect(await p.deliver(makeNotification())).toBe('dead_letter');
    expect(srv.requests).toHaveLength(3);
    expect(ledger.actions()).toEqual(['delivery_failed', 'delivery_failed', 'delivery_failed']);
    expect(dataOf(2)).toMatchObject({ code: 'GW_ERR_NOTIFY_DELIVERY', attempt: 3, final: true, deadLetter: true, status: 500, error: 'HTTP 500: down' });
    const lines = (await readFile(deadLetterPath(dir), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1);
    const letter = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(letter).toMatchObject({ channel: 'hook', type: 'webhook', caseId: 'c-0001', attempts: 3, status: 500, step: 0, reason: 'opened', ts: clock.now() });
    expect(letter.notification).toMatchObject({ case: { id: 'c-0001' }, entry: { action: 'opened' }, recipients: ['hantao'] });
    expect(lines[0]).not.toContain('13800001111');
  });

  it('does not retry a 4xx', async () => {
    srv.script.push({ status: 400, body: 'bad request' });
    const p = createDeliveryPipeline(hook(), deps());
    expect(await p.deliver(makeNotification())).toBe('dead_letter');
    expect(srv.requests).toHaveLength(1);
    expect(ledger.actions()).toEqual(['delivery_failed']);
    expect(dataOf(0)).toMatchObject({ retryable: false, final: true, status: 400 });
  });

  it("without a record callback, uses the notification's own ledger", async () => {
    const own = new MemoryLedger();
    const p = createDeliveryPipeline(hook(), deps({ record: undefined }));
    expect(await p.deliver(makeNotification({ ledger: own }))).toBe('delivered');
    expect(own.actions()).toEqual(['notified']);
    expect(ledger.entries).toHaveLength(0);
  });

  it('survives a ledger that throws', async () => {
    const p = createDeliveryPipeline(hook(), deps({ record: () => { throw new Error('db gone'); } }));
    expect(await p.deliver(makeNotification())).toBe('delivered');
    await expect(p.notify(makeNotification({ step: 1 }))).resolves.toBeUndefined();
  });
});

describe('delivery pipeline: acknowledgement cancels', () => {
  it('an ack stops pending retries at once; stale notifications are muted; a re-open goes through', async () => {
    srv.fallback = { status: 500 };
    const p = createDeliveryPipeline(hook({ maxAttempts: 10 }), deps({ backoff: { baseMs: 60_000, maxMs: 60_000, factor: 2 } }));
    const pending = p.deliver(makeNotification());
    await waitFor(() => ledger.entries.length === 1);
    p.cancel('c-0001');
    expect(await pending).toBe('cancelled');
    expect(srv.requests).toHaveLength(1);
    expect(ledger.actions()).toEqual(['delivery_failed']);
    await expect(readFile(deadLetterPath(dir), 'utf8')).rejects.toThrow();

    // a notification built before the ack (it raced it) goes nowhere
    expect(await p.deliver(makeNotification({ step: 1, reason: 'escalated' }))).toBe('muted');
    expect(srv.requests).toHaveLength(1);

    // the case re-opens later: notified again
    srv.fallback = { status: 204 };
    clock.advance(1000);
    const reopened = makeNotification({ reason: 'reopened', entry: { seq: 5, caseId: 'c-0001', ts: clock.now(), actor: 'system', action: 'reopened' } });
    expect(await p.deliver(reopened)).toBe('delivered');
  });

  it('an ack aborts a request in flight', async () => {
    srv.script.push({ status: 200, hang: true });
    const p = createDeliveryPipeline(hook(), deps());
    const pending = p.deliver(makeNotification());
    await waitFor(() => srv.requests.length === 1);
    p.cancel('c-0001');
    expect(await pending).toBe('cancelled');
    expect(srv.requests).toHaveLength(1);
    expect(ledger.entries).toHaveLength(0);
  });

  it('cancel of another case leaves this one alone; close aborts everything', async () => {
    srv.fallback = { status: 500 };
    const p = createDeliveryPipeline(hook({ maxAttempts: 10 }), deps({ backoff: { baseMs: 60_000, maxMs: 60_000, factor: 2 } }));
    const pending = p.deliver(makeNotification({}, { id: 'c-0002' }));
    await waitFor(() => ledger.entries.length === 1);
    p.cancel('c-0001');
    p.close();
    expect(await pending).toBe('cancelled');
    expect(await p.deliver(makeNotification({}, { id: 'c-0003' }))).toBe('cancelled');
  });
});

describe('delivery pipeline: hand-over (this hub stops leading the rules)', () => {
  it('a retry waiting on a 503 is aborted recording nothing more; the same notification is taken again', async () => {
    srv.fallback = { status: 503 };
    const p = createDeliveryPipeline(hook({ maxAttempts: 10 }), deps({ backoff: { baseMs: 60_000, maxMs: 60_000, factor: 2 } }));
    const n = makeNotification();
    const pending = p.deliver(n);
    await waitFor(() => ledger.entries.length === 1);
    p.handOver();
    expect(await pending).toBe('cancelled');
    expect(srv.requests).toHaveLength(1);
    // only the failed attempt's non-final record: no final delivery_failed, no dead letter, so the
    // new leader's resume sees the notification as still owed
    expect(ledger.actions()).toEqual(['delivery_failed']);
    expect(dataOf(0)).toMatchObject({ status: 503, final: false });
    await expect(readFile(deadLetterPath(dir), 'utf8')).rejects.toThrow();

    // not closed: this hub may lead again and resume it (dedup forgot the cancelled one)
    srv.fallback = { status: 204 };
    expect(await p.resume(n, 'takeover')).toBe('delivered');
    expect(srv.requests).toHaveLength(2);
    expect(ledger.actions()).toEqual(['delivery_failed', 'notified']);
  });

  it('a request in flight is aborted recording nothing; new work goes through', async () => {
    srv.script.push({ status: 200, hang: true });
    const p = createDeliveryPipeline(hook(), deps());
    const pending = p.deliver(makeNotification());
    await waitFor(() => srv.requests.length === 1);
    p.handOver();
    expect(await pending).toBe('cancelled');
    expect(ledger.entries).toHaveLength(0);
    expect(await p.deliver(makeNotification({}, { id: 'c-0002' }))).toBe('delivered');
    expect(ledger.actions()).toEqual(['notified']);
  });
});

describe('delivery pipeline: mute and dedup', () => {
  it('mutes by route before anything is sent or recorded', async () => {
    const p = createDeliveryPipeline(hook({ minSeverity: 'critical', grids: ['lty-1'] }), deps());
    expect(await p.deliver(makeNotification({}, { severity: 'warning' }))).toBe('muted');
    expect(await p.deliver(makeNotification({}, { grid: 'other' }))).toBe('muted');
    expect(srv.requests).toHaveLength(0);
    expect(ledger.entries).toHaveLength(0);
  });

  it('sends the same notification once; a failed one may be tried again', async () => {
    const outcomes: string[] = [];
    const p = createDeliveryPipeline(hook({ maxAttempts: 1 }), deps({ onOutcome: (_c, o) => outcomes.push(o) }));
    expect(await p.deliver(makeNotification())).toBe('delivered');
    expect(await p.deliver(makeNotification())).toBe('duplicate');
    expect(await p.deliver(makeNotification({ step: 1, reason: 'escalated' }))).toBe('delivered');
    srv.script.push({ status: 503 });
    expect(await p.deliver(makeNotification({}, { id: 'c-9' }))).toBe('dead_letter');
    expect(await p.deliver(makeNotification({}, { id: 'c-9' }))).toBe('delivered');
    expect(srv.requests).toHaveLength(4);
    expect(outcomes).toEqual(['delivered', 'duplicate', 'delivered', 'dead_letter', 'delivered']);
  });
});

describe('delivery pipeline: a raised severity is a new alarm', () => {
  it('the same case raised from warning to critical within the dedup window is sent again (step 0 both times)', async () => {
    const p = createDeliveryPipeline(hook(), deps());
    expect(await p.deliver(makeNotification({}, { severity: 'warning' }))).toBe('delivered');
    const raised = makeNotification({ entry: { seq: 5, caseId: 'c-0001', ts: T0, actor: 'system', action: 'escalated' } }, { severity: 'critical' });
    expect(await p.deliver(raised)).toBe('delivered');
    expect(await p.deliver(raised)).toBe('duplicate');
    expect(srv.requests.map((r) => (JSON.parse(r.body) as { case: { severity: string } }).case.severity)).toEqual(['warning', 'critical']);
  });
});

describe('delivery pipeline: a case reopened again is a new alarm', () => {
  it('a second reopen within the dedup window is sent: each reopen is its own ledger entry', async () => {
    const p = createDeliveryPipeline(hook(), deps());
    const reopen = (seq: number): ReturnType<typeof makeNotification> =>
      makeNotification({ reason: 'reopened', entry: { seq, caseId: 'c-0001', ts: T0 + seq, actor: 'system', action: 'escalated' } });
    expect(await p.deliver(reopen(4))).toBe('delivered');
    expect(await p.deliver(reopen(9))).toBe('delivered');
    // the same entry handed over twice (a resume while this process still delivers it) is one call
    expect(await p.deliver(reopen(9))).toBe('duplicate');
    expect(srv.requests).toHaveLength(2);
  });
});

describe('delivery pipeline: what a restart needs on the ledger', () => {
  it('every record names the ledger entry, step and reason it is about; a resumed delivery says so', async () => {
    srv.script.push({ status: 503 });
    const p = createDeliveryPipeline(hook({ maxAttempts: 2 }), deps());
    const n = makeNotification({ entry: { seq: 7, caseId: 'c-0001', ts: T0, actor: 'system', action: 'escalated' }, step: 1, reason: 'escalated' });
    expect(await p.resume(n, 'restart')).toBe('delivered');
    expect(ledger.actions()).toEqual(['delivery_failed', 'notified']);
    for (const i of [0, 1]) expect(dataOf(i)).toMatchObject({ channel: 'hook', entry: 7, step: 1, reason: 'escalated', resumed: 'restart' });
    srv.fallback = { status: 400 };
    expect(await p.deliver(makeNotification({}, { id: 'c-2' }))).toBe('dead_letter');
    expect(dataOf(2)).toMatchObject({ channel: 'hook', entry: 1, step: 0, reason: 'opened', final: true });
    expect(dataOf(2)).not.toHaveProperty('resumed');
  });

});
