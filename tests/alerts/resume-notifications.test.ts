// resumeNotifications on the real SQLite case store with the notify stage's real delivery pipelines
// (webhook channels) and a real HTTP receiver: a "restart" is the pipelines closed (a clean stop:
// pending deliveries cancelled, nothing recorded) and the store opened again on the same file.
// The whole path through a real hub process is tests/hub/notify-restart.test.ts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyTransition } from '../../src/alerts/flow.js';
import { resumeNotifications } from '../../src/alerts/resume-notifications.js';
import type { LedgerEntry } from '../../src/core/alert-types.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { webhookChannel } from '../../src/notify/channels/webhook.js';
import { deadLetterPath } from '../../src/notify/dead-letter.js';
import { createDeliveryPipeline, type DeliveryNotifier } from '../../src/notify/pipeline.js';
import { render } from '../../src/notify/render.js';
import { until } from '../helpers/hub.js';
import { useRecorder } from '../notify/http-recorder.js';
import { makeHarness, transition, type Harness } from './harness.js';

const srv = useRecorder({ status: 503, body: 'down' });
const UP = { status: 200, body: '{}' };
let h: Harness;
let pipes: DeliveryNotifier[] = [];
afterEach(async () => {
  for (const p of pipes) p.close();
  await h.cleanup();
});

/** `hook` retries (its next try long after the test: only the restart's counts); `once` gives up at the first failure. */
function start(): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'gw-resume-notify-'));
  const clock = new ManualClock(Date.UTC(2026, 0, 12, 2, 0));
  const pipelines = (): DeliveryNotifier[] => (pipes = [['hook', 20], ['once', 1]].map(([id, maxAttempts]) => createDeliveryPipeline(
    webhookChannel({ base: { id: id as string, type: 'webhook', maxAttempts: maxAttempts as number }, url: `${srv.url}/${id as string}` }, clock),
    { clock, logger: silentLogger(), deadLetterPath: deadLetterPath(dir), render: (n) => render(n, { lang: 'zh', baseUrl: 'http://hub:8080' }), backoff: { baseMs: 60_000, maxMs: 60_000, factor: 1 } },
  )));
  h = makeHarness({ dir, clock, notifiers: pipelines });
  return h;
}

/** a clean stop and a start on the same case store, the receiver up */
async function restart(): Promise<Harness> {
  for (const p of pipes) p.close();
  h = await h.reopen();
  srv.fallback = UP;
  return h;
}

const deliveries = async (caseId: string): Promise<Record<string, unknown>[]> =>
  (await h.store.ledger(caseId)).filter((e: LedgerEntry) => e.action === 'notified' || e.action === 'delivery_failed').map((e) => ({ action: e.action, ...e.data }));
const paths = (): string[] => srv.requests.map((r) => r.url);

/** A gas leak opens a case (step 0 to the grid worker) with the receiver down; both channels have tried once. */
async function leak(): Promise<string> {
  const c = (await h.cases.exclusive(() => applyTransition(h.cases, transition('gas-critical', 'raise'))))!;
  await until(async () => (await deliveries(c.id)).length === 2 || undefined, 10_000, 'both first attempts recorded');
  return c.id;
}

describe('resumeNotifications (real case store, real pipelines, real HTTP receiver)', () => {
  it('after a restart, what the ledger shows neither delivered nor given up goes out again, once, recorded as resumed', async () => {
    start();
    const id = await leak();
    expect(await deliveries(id)).toEqual(expect.arrayContaining([
      expect.objectContaining({ action: 'delivery_failed', channel: 'hook', final: false, step: 0 }),
      expect.objectContaining({ action: 'delivery_failed', channel: 'once', final: true, deadLetter: true, step: 0 }),
    ]));
    srv.requests.length = 0;

    await restart();
    expect(await resumeNotifications(h.cases, 'restart')).toBe(1);
    await until(async () => (await deliveries(id)).some((d) => d.action === 'notified') || undefined, 10_000, 'the resumed delivery recorded');
    expect(paths()).toEqual(['/hook']); // the dead letter is not sent again
    const body = JSON.parse(srv.requests[0]?.body ?? '{}') as Record<string, unknown>;
    expect(body).toMatchObject({ case: { id, state: 'open' }, step: 0, reason: 'opened', recipients: [expect.objectContaining({ id: 'hantao' })] });
    expect((await deliveries(id)).filter((d) => d.action === 'notified')).toEqual([expect.objectContaining({ channel: 'hook', step: 0, reason: 'opened', resumed: 'restart', recipients: ['hantao'] })]);

    // and a second start owes nothing
    await restart();
    expect(await resumeNotifications(h.cases, 'restart')).toBe(0);
  });

  it('an acknowledged case\'s stale notification is not sent; a later step after it re-opens is', async () => {
    start();
    const id = await leak();
    await h.cases.acknowledge(id, 'hantao', '已到场');
    srv.requests.length = 0;
    await restart();
    expect(await resumeNotifications(h.cases, 'restart')).toBe(0);
    expect(paths()).toEqual([]);

    // the leak clears and comes back: the case re-opens, its new step 0 is tried while the receiver is down
    srv.fallback = { status: 503, body: 'down' };
    await h.cases.exclusive(() => applyTransition(h.cases, transition('gas-critical', 'clear')));
    await h.cases.exclusive(() => applyTransition(h.cases, transition('gas-critical', 'raise')));
    await until(async () => (await deliveries(id)).length === 4 || undefined, 10_000, 'the re-opened step tried on both channels');
    srv.requests.length = 0;
    await restart();
    expect(await resumeNotifications(h.cases, 'restart')).toBe(1);
    await until(() => srv.requests.length === 1 || undefined, 10_000, 'the re-opened step delivered');
    expect(JSON.parse(srv.requests[0]?.body ?? '{}')).toMatchObject({ case: { id, state: 'open' }, step: 0, reason: 'reopened' });
  });

  it('a reassignment not delivered before the stop reaches the new person after it', async () => {
    start();
    const id = await leak();
    srv.fallback = { status: 503, body: 'down' };
    await h.cases.reassign(id, 'root', 'lead');
    await until(async () => (await deliveries(id)).length === 4 || undefined, 10_000, 'the reassignment tried on both channels');
    srv.requests.length = 0;
    await restart();
    expect(await resumeNotifications(h.cases, 'restart')).toBe(2); // hook: step 0 and the reassignment
    await until(async () => (await deliveries(id)).filter((d) => d.action === 'notified').length === 2 || undefined, 10_000, 'both delivered');
    const bodies = srv.requests.map((r) => JSON.parse(r.body) as { reason: string; recipients: { id: string }[] });
    expect(bodies.map((b) => [b.reason, b.recipients.map((p) => p.id)]).sort()).toEqual([['opened', ['hantao']], ['reassigned', ['lead']]]);
  });
});
