import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { ChannelOptions } from '../../src/notify/channels/options.js';
import { dingtalkChannel, dingtalkSign } from '../../src/notify/channels/dingtalk.js';
import { sirenChannel } from '../../src/notify/channels/siren.js';
import { webhookChannel } from '../../src/notify/channels/webhook.js';
import { wecomChannel } from '../../src/notify/channels/wecom.js';
import { deadLetterPath } from '../../src/notify/dead-letter.js';
import { createDigestSender, digestFor, type DigestDeps } from '../../src/notify/digest.js';
import { renderReport } from '../../src/notify/render-report.js';
import type { Channel } from '../../src/notify/types.js';
import { MORNING_DIGEST, T0, UPTIME_DIGEST } from './fixtures.js';
import { useRecorder } from './http-recorder.js';

const SECRET = 'hook-secret-123';
const DING = 'ding-secret';
const srv = useRecorder({ status: 204 });
const clock = new ManualClock(T0);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gw-digest-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await rm(join(dir, 'notify'), { recursive: true, force: true });
});

function deps(): DigestDeps {
  return {
    clock, logger: silentLogger(), deadLetterPath: deadLetterPath(dir),
    render: (d) => renderReport(d, { lang: 'zh', baseUrl: 'https://gw.example.cn' }),
    backoff: { baseMs: 1, maxMs: 4, factor: 2 }, random: () => 0.5,
  };
}

const base = (id: string, type: string, grids?: string[]): ChannelOptions['base'] => ({ id, type, maxAttempts: 2, grids });

function verifies(body: string, header: unknown, secret: string): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const want = createHmac('sha256', secret).update(body).digest();
  const got = Buffer.from(header.slice(7), 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

const pathOf = (url: string): string => url.split('?')[0] ?? '';

describe('report digests to the channels', () => {
  it('the webhook gets a signed {type: report} body; DingTalk and WeCom a markdown message; sirens nothing', async () => {
    let sirenCalls = 0;
    const channels: Channel[] = [
      webhookChannel({ base: base('hook', 'webhook'), url: `${srv.url}/hook`, secret: SECRET }, clock),
      dingtalkChannel({ base: base('ding', 'dingtalk'), url: `${srv.url}/ding?access_token=t`, secret: DING }, clock),
      wecomChannel({ base: base('wecom', 'wecom'), url: `${srv.url}/wecom?key=k` }),
      sirenChannel({ base: base('siren', 'siren'), devices: ['siren-1'] }, { send: async (device) => {
        sirenCalls += 1;
        return { id: 'c', device, ok: true, sends: 1 };
      } }),
    ];
    srv.fallback = { status: 200, body: '{"errcode":0,"errmsg":"ok"}' };
    const sender = createDigestSender(channels, deps());
    const out = await sender.send(UPTIME_DIGEST);
    expect(out.sort((a, b) => a.channel.localeCompare(b.channel))).toEqual([
      { channel: 'ding', outcome: 'delivered' }, { channel: 'hook', outcome: 'delivered' }, { channel: 'wecom', outcome: 'delivered' },
    ]);
    expect(sirenCalls).toBe(0);
    expect(srv.requests).toHaveLength(3);

    const hook = srv.requests.find((r) => pathOf(r.url) === '/hook');
    expect(hook?.headers['x-gridwatch-timestamp']).toBe(String(T0));
    expect(verifies(hook?.body ?? '', hook?.headers['x-gridwatch-signature'], SECRET)).toBe(true);
    expect(verifies(hook?.body ?? '', hook?.headers['x-gridwatch-signature'], 'wrong')).toBe(false);
    const body = JSON.parse(hook?.body ?? '{}') as Record<string, unknown>;
    expect(body).toMatchObject({
      version: 1, type: 'report',
      report: { kind: 'uptime-daily', period: '2026-03-05', files: ['uptime-daily-2026-03-05.json', 'uptime-daily-2026-03-05.csv'] },
      message: { lang: 'zh', title: '【设备在线日报】2026-03-05', url: 'https://gw.example.cn/#/uptime' },
    });
    expect(body.report).toEqual({ kind: 'uptime-daily', period: '2026-03-05', summary: UPTIME_DIGEST.summary, files: UPTIME_DIGEST.files });

    const ding = srv.requests.find((r) => pathOf(r.url) === '/ding');
    const params = new URL(ding?.url ?? '', srv.url).searchParams;
    expect(params.get('timestamp')).toBe(String(T0));
    expect(params.get('sign')).toBe(dingtalkSign(T0, DING));
    const dingBody = JSON.parse(ding?.body ?? '{}') as { msgtype: string; markdown: { title: string; text: string } };
    expect(dingBody.msgtype).toBe('markdown');
    expect(dingBody.markdown.title).toBe('【设备在线日报】2026-03-05');
    expect(dingBody.markdown.text).toContain('1. gas-flap（1号楼）离线 2小时15分，3 次');

    const wecom = srv.requests.find((r) => pathOf(r.url) === '/wecom');
    const wecomBody = JSON.parse(wecom?.body ?? '{}') as { msgtype: string; markdown: { content: string } };
    expect(wecomBody.msgtype).toBe('markdown');
    expect(wecomBody.markdown.content.startsWith('### 【设备在线日报】2026-03-05\n')).toBe(true);
    expect(wecomBody.markdown.content).toContain('[查看在线率报告](https://gw.example.cn/#/uptime)');
  });

  it('a channel routed to some grids gets only their part of the morning report, and nothing when none broke', async () => {
    const channels: Channel[] = [
      webhookChannel({ base: base('g2-hook', 'webhook', ['g2']), url: `${srv.url}/g2` }, clock),
      webhookChannel({ base: base('g9-hook', 'webhook', ['g9']), url: `${srv.url}/g9` }, clock),
      webhookChannel({ base: base('all-hook', 'webhook'), url: `${srv.url}/all` }, clock),
    ];
    const out = await createDigestSender(channels, deps()).send(MORNING_DIGEST);
    expect(out.map((o) => o.channel).sort()).toEqual(['all-hook', 'g2-hook']);
    const grids = (path: string): string[] => {
      const req = srv.requests.find((r) => pathOf(r.url) === path);
      const b = JSON.parse(req?.body ?? '{}') as { report: { summary: { grids: Array<{ grid: string }> } }; message: { text: string } };
      return b.report.summary.grids.map((g) => g.grid);
    };
    expect(grids('/g2')).toEqual(['g2']);
    expect(grids('/all')).toEqual(['g1', 'g2']);
    expect(srv.requests.find((r) => pathOf(r.url) === '/g9')).toBeUndefined();
    // uptime digests are site-wide: every channel gets them
    expect(digestFor(UPTIME_DIGEST, ['g9'])).toBe(UPTIME_DIGEST);
  });

  it('retries a failing channel, then dead-letters the digest (no secrets, no URL)', async () => {
    srv.script.push({ status: 503, body: 'busy' }, { status: 502 });
    const channels = [webhookChannel({ base: base('hook', 'webhook'), url: `${srv.url}/hook`, secret: SECRET }, clock)];
    const out = await createDigestSender(channels, deps()).send(UPTIME_DIGEST);
    expect(out).toEqual([{ channel: 'hook', outcome: 'dead_letter' }]);
    expect(srv.requests).toHaveLength(2);
    const lines = (await readFile(deadLetterPath(dir), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}')).toEqual({
      ts: T0, channel: 'hook', type: 'webhook', attempts: 2, error: 'HTTP 502', status: 502,
      report: { kind: 'uptime-daily', period: '2026-03-05', files: UPTIME_DIGEST.files },
    });
    expect(lines[0]).not.toContain(SECRET);
    expect(lines[0]).not.toContain(srv.url);
  });

  it('a robot answering errcode != 0 is a failure; close() stops further work', async () => {
    srv.fallback = { status: 200, body: '{"errcode":310000,"errmsg":"sign not match"}' };
    const sender = createDigestSender([wecomChannel({ base: base('wecom', 'wecom'), url: `${srv.url}/wecom` })], deps());
    expect(await sender.send(UPTIME_DIGEST)).toEqual([{ channel: 'wecom', outcome: 'dead_letter' }]);
    expect(srv.requests).toHaveLength(1); // not retryable
    sender.close();
    expect(await sender.send(UPTIME_DIGEST)).toEqual([]);
    expect(srv.requests).toHaveLength(1);
  });
});
