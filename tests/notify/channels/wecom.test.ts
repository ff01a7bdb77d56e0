import { describe, expect, it } from 'vitest';
import { truncateUtf8, WECOM_MAX_BYTES, wecomBody, wecomChannel } from '../../../src/notify/channels/wecom.js';
import { useRecorder } from '../http-recorder.js';
import { makeMessage } from '../fixtures.js';

const base = { id: 'wx', type: 'wecom', maxAttempts: 3 } as const;
const srv = useRecorder();

describe('WeCom group robot', () => {
  it('sends {"msgtype":"markdown","markdown":{"content"}} to the robot url', async () => {
    const ch = wecomChannel({ base, url: `${srv.url}/cgi-bin/webhook/send?key=abc` });
    const msg = makeMessage();
    expect(await ch.send(msg, new AbortController().signal)).toEqual({ ok: true, status: 200 });
    const req = srv.requests[0]!;
    expect(req.url).toBe('/cgi-bin/webhook/send?key=abc');
    expect(JSON.parse(req.body)).toEqual({ msgtype: 'markdown', markdown: { content: msg.rendered.markdown } });
    expect(msg.rendered.markdown).toContain('【严重】燃气浓度超标');
  });

  it('treats errcode != 0 on HTTP 200 as failure; rate limit retryable, others not', async () => {
    const ch = wecomChannel({ base, url: srv.url });
    srv.script.push({ status: 200, body: '{"errcode":93000,"errmsg":"invalid webhook url"}' }, { status: 200, body: '{"errcode":45009,"errmsg":"api freq out of limit"}' }, { status: 200, body: 'not json' });
    const sig = new AbortController().signal;
    expect(await ch.send(makeMessage(), sig)).toMatchObject({ ok: false, retryable: false, error: 'errcode 93000: invalid webhook url' });
    expect(await ch.send(makeMessage(), sig)).toMatchObject({ ok: false, retryable: true });
    expect(await ch.send(makeMessage(), sig)).toMatchObject({ ok: false, retryable: true });
  });

  it('keeps content within 4096 UTF-8 bytes without breaking characters', () => {
    const long = '燃'.repeat(3000);
    const cut = truncateUtf8(long, WECOM_MAX_BYTES);
    expect(Buffer.byteLength(cut, 'utf8')).toBeLessThanOrEqual(WECOM_MAX_BYTES);
    expect(cut.endsWith('…')).toBe(true);
    expect(cut.replace('…', '')).toMatch(/^燃+$/);
    expect(truncateUtf8('short', 10)).toBe('short');
    const m = makeMessage();
    const body = JSON.parse(wecomBody({ ...m, rendered: { ...m.rendered, markdown: long } })) as { markdown: { content: string } };
    expect(Buffer.byteLength(body.markdown.content)).toBeLessThanOrEqual(WECOM_MAX_BYTES);
  });
});
