import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { dingtalkChannel, dingtalkSignedUrl } from '../../../src/notify/channels/dingtalk.js';
import { useRecorder } from '../http-recorder.js';
import { T0, makeMessage } from '../fixtures.js';

const SECRET = 'SECabc123/+=xyz';
const base = { id: 'ding', type: 'dingtalk', maxAttempts: 3 } as const;
const clock = new ManualClock(T0);
const srv = useRecorder();

describe('DingTalk robot', () => {
  it('signs the URL with timestamp and HMAC-SHA256(timestamp\\nsecret), base64, url-encoded', async () => {
    const ch = dingtalkChannel({ base, url: `${srv.url}/robot/send?access_token=tok`, secret: SECRET }, clock);
    const msg = makeMessage();
    expect(await ch.send(msg, new AbortController().signal)).toEqual({ ok: true, status: 200 });
    const req = srv.requests[0]!;
    const u = new URL(req.url, srv.url);
    expect(u.pathname).toBe('/robot/send');
    expect(u.searchParams.get('access_token')).toBe('tok');
    expect(u.searchParams.get('timestamp')).toBe(String(T0));
    // what DingTalk does on its side
    const expected = createHmac('sha256', SECRET).update(`${T0}\n${SECRET}`).digest('base64');
    expect(u.searchParams.get('sign')).toBe(expected);
    expect(req.url).toContain(`&sign=${encodeURIComponent(expected)}`);
    expect(JSON.parse(req.body)).toEqual({ msgtype: 'markdown', markdown: { title: msg.rendered.title, text: msg.rendered.markdown } });
  });

  it('uses ? when the url has no query', () => {
    expect(dingtalkSignedUrl('http://x/robot', 1, 's')).toMatch(/^http:\/\/x\/robot\?timestamp=1&sign=/);
  });

  it('HTTP 200 with errcode != 0 is a failure', async () => {
    const ch = dingtalkChannel({ base, url: `${srv.url}/?access_token=t`, secret: SECRET }, clock);
    srv.script.push({ status: 200, body: '{"errcode":310000,"errmsg":"sign not match"}' }, { status: 200, body: '{"errcode":130101,"errmsg":"send too fast"}' });
    const sig = new AbortController().signal;
    expect(await ch.send(makeMessage(), sig)).toMatchObject({ ok: false, retryable: false, error: 'errcode 310000: sign not match' });
    expect(await ch.send(makeMessage(), sig)).toMatchObject({ ok: false, retryable: true });
  });

  it('sends unsigned without a secret', async () => {
    const ch = dingtalkChannel({ base, url: `${srv.url}/?access_token=t` }, clock);
    await ch.send(makeMessage(), new AbortController().signal);
    expect(srv.requests[0]!.url).toBe('/?access_token=t');
  });
});
