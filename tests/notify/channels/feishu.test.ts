import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { feishuChannel } from '../../../src/notify/channels/feishu.js';
import { useRecorder } from '../http-recorder.js';
import { T0, makeMessage } from '../fixtures.js';

const SECRET = 'feishu-secret';
const base = { id: 'fs', type: 'feishu', maxAttempts: 3 } as const;
const clock = new ManualClock(T0 + 999);
const srv = useRecorder({ status: 200, body: '{"code":0,"data":{},"msg":"success"}' });

describe('Feishu custom bot', () => {
  it('sends timestamp (seconds), sign = base64(HMAC key "timestamp\\nsecret" over nothing), msg_type text', async () => {
    const ch = feishuChannel({ base, url: `${srv.url}/open-apis/bot/v2/hook/xyz`, secret: SECRET }, clock);
    const msg = makeMessage();
    expect(await ch.send(msg, new AbortController().signal)).toEqual({ ok: true, status: 200 });
    const req = srv.requests[0]!;
    expect(req.url).toBe('/open-apis/bot/v2/hook/xyz');
    const body = JSON.parse(req.body) as { timestamp: string; sign: string; msg_type: string; content: { text: string } };
    const ts = Math.floor(T0 / 1000);
    expect(body.timestamp).toBe(String(ts));
    // what Feishu does on its side
    expect(body.sign).toBe(createHmac('sha256', `${ts}\n${SECRET}`).update('').digest('base64'));
    expect(body.msg_type).toBe('text');
    expect(body.content.text).toBe(msg.rendered.text);
    expect(body.content.text).toContain('https://gw.example.cn/#/alerts/c-0001');
  });

  it('code != 0 is a failure; rate limit retryable', async () => {
    const ch = feishuChannel({ base, url: srv.url, secret: SECRET }, clock);
    srv.script.push({ status: 200, body: '{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}' }, { status: 200, body: '{"code":11232,"msg":"frequency limited"}' }, { status: 200, body: '{"StatusCode":0}' });
    const sig = new AbortController().signal;
    expect(await ch.send(makeMessage(), sig)).toMatchObject({ ok: false, retryable: false, error: expect.stringContaining('code 19021') as unknown });
    expect(await ch.send(makeMessage(), sig)).toMatchObject({ ok: false, retryable: true });
    expect(await ch.send(makeMessage(), sig)).toMatchObject({ ok: true });
  });

  it('omits timestamp and sign without a secret', async () => {
    const ch = feishuChannel({ base, url: srv.url }, clock);
    await ch.send(makeMessage(), new AbortController().signal);
    expect(Object.keys(JSON.parse(srv.requests[0]!.body) as object).sort()).toEqual(['content', 'msg_type']);
  });
});
