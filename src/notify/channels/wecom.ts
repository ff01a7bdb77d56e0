// WeCom (企业微信) group robot: POST {"msgtype":"markdown","markdown":{"content":...}} to the
// robot's webhook URL (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...; WeCom docs
// "群机器人配置说明", developer.work.weixin.qq.com/document/path/99110). Markdown content is at most
// 4096 bytes UTF-8. The robot answers HTTP 200 with {"errcode":0,"errmsg":"ok"}; errcode != 0 is a
// failure (45009 = rate limit, -1 = system busy: retryable).
import { postJson, robotResult } from '../http.js';
import type { Channel, RenderedText, SendResult } from '../types.js';
import type { ChannelOptions } from './options.js';

export const WECOM_MAX_BYTES = 4096;
const RETRYABLE = [-1, 45009];

/** Cut a string to at most `max` UTF-8 bytes without splitting a character. */
export function truncateUtf8(s: string, max: number): string {
  if (Buffer.byteLength(s, 'utf8') <= max) return s;
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    const b = Buffer.byteLength(ch, 'utf8');
    if (bytes + b > max - 3) break;
    out += ch;
    bytes += b;
  }
  return `${out}…`;
}

/** An alert or a report digest: both carry `rendered` markdown. */
export function wecomBody(m: { rendered: RenderedText }): string {
  return JSON.stringify({ msgtype: 'markdown', markdown: { content: truncateUtf8(m.rendered.markdown, WECOM_MAX_BYTES) } });
}

export function wecomChannel(opts: ChannelOptions & { url: string }): Channel {
  const send = async (message: { rendered: RenderedText }, signal: AbortSignal): Promise<SendResult> =>
    robotResult(await postJson(opts.url, wecomBody(message), {}, signal, opts.timeoutMs), 'errcode', RETRYABLE);
  return { ...opts.base, send, sendDigest: send };
}
