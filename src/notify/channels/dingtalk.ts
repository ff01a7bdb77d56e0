// DingTalk (钉钉) custom robot with 加签 signing (DingTalk docs "自定义机器人安全设置"):
// timestamp = ms since epoch; sign = urlEncode(base64(HmacSHA256(key = secret, data =
// timestamp + "\n" + secret))); appended to the webhook URL as &timestamp=...&sign=...
// Body: {"msgtype":"markdown","markdown":{"title","text"}}. DingTalk answers HTTP 200 with
// {"errcode":0,"errmsg":"ok"}; errcode != 0 is a failure (130101 = sending too fast, -1 = busy:
// retryable; 310000 = bad signature/keyword: not).
import { createHmac } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { postJson, robotResult } from '../http.js';
import type { Channel, RenderedText, SendResult } from '../types.js';
import type { ChannelOptions } from './options.js';

const RETRYABLE = [-1, 130101];

export function dingtalkSign(timestamp: number, secret: string): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${secret}`, 'utf8').digest('base64');
}

export function dingtalkSignedUrl(url: string, timestamp: number, secret: string): string {
  const sep = url.includes('?') ? '&' : '?';
  return `${url}${sep}timestamp=${timestamp}&sign=${encodeURIComponent(dingtalkSign(timestamp, secret))}`;
}

/** An alert or a report digest: both carry `rendered` title and markdown. */
export function dingtalkBody(m: { rendered: RenderedText }): string {
  return JSON.stringify({ msgtype: 'markdown', markdown: { title: m.rendered.title, text: m.rendered.markdown } });
}

export function dingtalkChannel(opts: ChannelOptions & { url: string; secret?: string }, clock: Clock): Channel {
  const send = async (message: { rendered: RenderedText }, signal: AbortSignal): Promise<SendResult> => {
    const url = opts.secret === undefined ? opts.url : dingtalkSignedUrl(opts.url, clock.now(), opts.secret);
    return robotResult(await postJson(url, dingtalkBody(message), {}, signal, opts.timeoutMs), 'errcode', RETRYABLE);
  };
  return { ...opts.base, send, sendDigest: send };
}
