import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AlertChange } from '../../src/core/alert-types.js';
import { ManualClock } from '../../src/core/clock.js';
import { GridwatchError, ValidationError } from '../../src/core/errors.js';
import { HubBus } from '../../src/core/events.js';
import { silentLogger } from '../../src/core/logger.js';
import { parseConfig, SiteIndex, type Config } from '../../src/config/index.js';
import { createNotifiers, createReportDigestSender, publicBaseUrl, type NotifyContext } from '../../src/notify/attach.js';
import { ALICE, MemoryLedger, T0, UPTIME_DIGEST, makeNotification } from './fixtures.js';
import { useRecorder, waitFor } from './http-recorder.js';

const FAST = { baseMs: 1, maxMs: 4, factor: 2 };
const ENV = { GW_HOOK_SECRET: 'from-env-xyz', GW_DING_SECRET: 'SECding' };
const srv = useRecorder({ status: 200, body: '{"errcode":0,"code":0}' });
let dir: string;
let ledger: MemoryLedger;
let closers: (() => Promise<void> | void)[];

function site(channels: unknown[]): Config {
  return parseConfig({
    http: { port: 8080, publicUrl: 'https://gw.example.cn' },
    streets: [{ id: 'liulin', name: '柳林街道', communities: [{ id: 'longtianyuan', name: '龙天园社区', grids: [{ id: 'lty-1', name: '第一网格', buildings: [{ id: 'lty-3', name: '3号楼' }] }] }] }],
    channels,
  }, 'test.yaml', { env: {} });
}

function context(config: Config, bus = new HubBus()): NotifyContext {
  return {
    config,
    site: new SiteIndex(config),
    bus,
    clock: new ManualClock(T0 + 60_000),
    logger: silentLogger(),
    dataDir: dir,
    metrics: new Registry(),
    commands: { send: async (device) => { throw new Error(`no device ${device} in this test`); } },
    onClose: (fn) => closers.push(fn),
  };
}

const record = (caseId: string, action: Parameters<MemoryLedger['record']>[1], data: Record<string, unknown>): unknown => ledger.record(caseId, action, data);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gw-attach-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  ledger = new MemoryLedger();
  closers = [];
});

describe('createNotifiers', () => {
  it('builds one pipeline per configured channel plus the live panel, secrets from env', async () => {
    const config = site([
      { id: 'hook', type: 'webhook', url: `${srv.url}/hook`, secret: 'env:GW_HOOK_SECRET' },
      { id: 'wx', type: 'wecom', url: `${srv.url}/wx` },
      { id: 'ding', type: 'dingtalk', url: `${srv.url}/ding?access_token=t`, secret: 'env:GW_DING_SECRET' },
      { id: 'fs', type: 'feishu', url: `${srv.url}/fs`, secret: 'plain-feishu' },
    ]);
    const ctx = context(config);
    const seen: AlertChange[] = [];
    ctx.bus.on('alert', (c) => seen.push(c));
    const notifiers = createNotifiers(ctx, record, { env: ENV, backoff: FAST });
    expect(notifiers.map((n) => n.id)).toEqual(['hook', 'wx', 'ding', 'fs', 'live']);
    await Promise.all(notifiers.map((n) => n.notify(makeNotification())));

    expect(srv.requests.map((r) => r.url.split('?')[0]).sort()).toEqual(['/ding', '/fs', '/hook', '/wx']);
    const hook = srv.requests.find((r) => r.url === '/hook')!;
    expect(hook.headers['x-gridwatch-signature']).toBe(`sha256=${createHmac('sha256', ENV.GW_HOOK_SECRET).update(hook.body).digest('hex')}`);
    const wx = JSON.parse(srv.requests.find((r) => r.url === '/wx')!.body) as { markdown: { content: string } };
    expect(wx.markdown.content).toContain('柳林街道 / 龙天园社区 / 第一网格 / 3号楼 / 1单元101');
    expect(wx.markdown.content).toContain('(https://gw.example.cn/#/alerts/c-0001)');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.case.id).toBe('c-0001');
    expect(ledger.actions()).toEqual(['notified', 'notified', 'notified', 'notified', 'notified']);

    const metrics = await ctx.metrics.getSingleMetricAsString('gridwatch_notify_deliveries_total');
    expect(metrics).toContain('gridwatch_notify_deliveries_total{channel="hook",outcome="delivered"} 1');
    for (const fn of closers) await fn();
  });

  it('speaks English to English recipients', async () => {
    const notifiers = createNotifiers(context(site([{ id: 'fs', type: 'feishu', url: srv.url }])), record, { live: false });
    await notifiers[0]!.notify(makeNotification({ recipients: [ALICE] }));
    const body = JSON.parse(srv.requests[0]!.body) as { content: { text: string } };
    expect(body.content.text).toContain('Place: 柳林街道 / 龙天园社区 / 第一网格 / 3号楼');
    expect(body.content.text).toContain('To: Alice');
  });

  it('an acknowledgement on the bus cancels pending retries on every channel', async () => {
    srv.fallback = { status: 500 };
    const ctx = context(site([{ id: 'a', type: 'webhook', url: srv.url }, { id: 'b', type: 'wecom', url: srv.url, maxAttempts: 10 }]));
    const notifiers = createNotifiers(ctx, record, { live: false, backoff: { baseMs: 60_000, maxMs: 60_000, factor: 2 } });
    const pending = notifiers.map((n) => n.deliver(makeNotification()));
    await waitFor(() => ledger.entries.length === 2);
    const c = makeNotification().case;
    ctx.bus.emit('alert', { case: { ...c, state: 'acknowledged' }, entry: { seq: 2, caseId: c.id, ts: T0 + 5000, actor: 'hantao', action: 'acknowledged' } });
    expect(await Promise.all(pending)).toEqual(['cancelled', 'cancelled']);
    expect(srv.requests).toHaveLength(2);
    for (const fn of closers) await fn();
    expect(ctx.bus.listenerCount('alert')).toBe(0);
  });

  it('never logs a secret or a robot token, even when delivery fails', async () => {
    srv.fallback = { status: 500, body: 'nope' };
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (l: string) => void lines.push(l) });
    const ctx = { ...context(site([
      { id: 'hook', type: 'webhook', url: `${srv.url}/h`, secret: 'env:GW_HOOK_SECRET', maxAttempts: 2 },
      { id: 'ding', type: 'dingtalk', url: `${srv.url}/d?access_token=TOKEN123`, secret: 'env:GW_DING_SECRET', maxAttempts: 2 },
    ])), logger };
    const notifiers = createNotifiers(ctx, record, { env: ENV, backoff: FAST, live: false });
    expect(await Promise.all(notifiers.map((n) => n.deliver(makeNotification())))).toEqual(['dead_letter', 'dead_letter']);
    const out = lines.join('');
    expect(out).toContain('dead-lettered');
    for (const secret of [ENV.GW_HOOK_SECRET, ENV.GW_DING_SECRET, 'TOKEN123']) expect(out).not.toContain(secret);
  });

  it('refuses a missing env secret, naming the field but not a value', () => {
    const config = site([{ id: 'hook', type: 'webhook', url: srv.url, secret: 'env:GW_NOT_SET' }]);
    let err: unknown;
    try {
      createNotifiers(context(config), record, { env: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as GridwatchError).code).toBe('GW_ERR_CONFIG_ENV');
    expect((err as Error).message).toBe("field '/channels/0/secret' value \"env:GW_NOT_SET\" breaks rule: environment variable GW_NOT_SET must be set");
  });

  it('refuses an HTTP channel without url and a siren without devices', () => {
    expect(() => createNotifiers(context(site([{ id: 'w', type: 'wecom' }])), record)).toThrow(/\/channels\/0\/url.*needs an http\(s\) url/);
    expect(() => createNotifiers(context(site([{ id: 's', type: 'siren' }])), record)).toThrow(/\/channels\/0\/devices/);
  });

  it('routes sirens to critical cases by default', async () => {
    const sent: string[] = [];
    const ctx = { ...context(site([{ id: 's', type: 'siren', devices: ['siren-1'] }])), commands: { send: async (d: string) => {
      sent.push(d);
      return { id: `c-${sent.length}`, device: d, ok: true, sends: 1 }; // the siren acked (confirmation itself: tests/notify/channels/siren.test.ts)
    } } };
    const [s] = createNotifiers(ctx, record, { live: false });
    expect(await s!.deliver(makeNotification({}, { severity: 'warning' }))).toBe('muted');
    expect(await s!.deliver(makeNotification())).toBe('delivered');
    expect(sent).toEqual(['siren-1']);
  });
});

describe('createReportDigestSender', () => {
  it('sends a digest to the configured HTTP channels in Chinese with the public link; sirens get none', async () => {
    const sent: string[] = [];
    const config = site([
      { id: 'hook', type: 'webhook', url: `${srv.url}/hook`, secret: 'env:GW_HOOK_SECRET' },
      { id: 'fs', type: 'feishu', url: `${srv.url}/fs`, secret: 'plain-feishu' },
      { id: 's', type: 'siren', devices: ['siren-1'] },
    ]);
    const ctx = { ...context(config), commands: { send: async (d: string) => {
      sent.push(d);
      return { id: `c-${sent.length}`, device: d, ok: true, sends: 1 };
    } } };
    const send = createReportDigestSender(ctx, { env: ENV, backoff: FAST });
    await send(UPTIME_DIGEST);
    expect(srv.requests.map((r) => r.url).sort()).toEqual(['/fs', '/hook']);
    expect(sent).toEqual([]);
    const hook = srv.requests.find((r) => r.url === '/hook');
    expect(hook?.headers['x-gridwatch-signature']).toBe(`sha256=${createHmac('sha256', ENV.GW_HOOK_SECRET).update(hook?.body ?? '').digest('hex')}`);
    const fs = JSON.parse(srv.requests.find((r) => r.url === '/fs')?.body ?? '{}') as { msg_type: string; content: { text: string } };
    expect(fs.msg_type).toBe('text');
    expect(fs.content.text).toContain('查看在线率报告：https://gw.example.cn/#/uptime');
    expect(closers).toHaveLength(1);
  });
});

describe('publicBaseUrl', () => {
  it('prefers http.publicUrl, else host:port with a real host name', () => {
    const c = site([]);
    expect(publicBaseUrl(c)).toBe('https://gw.example.cn');
    const local = { ...c, http: { port: 8081, host: '0.0.0.0' } };
    expect(publicBaseUrl(local, 'hub-01')).toBe('http://hub-01:8081');
    expect(publicBaseUrl({ ...c, http: { port: 80, host: '10.0.0.5' } })).toBe('http://10.0.0.5:80');
    expect(publicBaseUrl({ ...c, http: { port: 80, host: '::1' } })).toBe('http://[::1]:80');
  });
});
