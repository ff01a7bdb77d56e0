// Feishu (飞书) custom bot with signature check (Feishu docs "自定义机器人使用指南",
// open.feishu.cn/document/client-docs/bot-v3/add-custom-bot): timestamp = SECONDS since epoch
// (as a string); sign = base64(HmacSHA256(key = timestamp + "\n" + secret, data = empty)).
// Body: {"timestamp","sign","msg_type":"text","content":{"text":...}}. Feishu answers
// {"code":0,...} on success (older deployments {"StatusCode":0}); code != 0 is a failure
// (19021 = bad signature or stale timestamp: not retryable; 11232 = rate limited: retryable).
import { createHmac } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { postJson, robotResult } from '../http.js';
import type { Channel, RenderedText, SendResult } from '../types.js';
import type { ChannelOptions } from './options.js';

const RETRYABLE = [11232];

export function feishuSign(timestampS: number, secret: string): string {
  return createHmac('sha256', `${timestampS}\n${secret}`).update(Buffer.alloc(0)).digest('base64');
}

/** An alert or a report digest: both carry `rendered` text. */
export function feishuBody(m: { rendered: RenderedText }, timestampMs: number, secret?: string): string {
  const content = { msg_type: 'text', content: { text: m.rendered.text } };
  if (secret === undefined) return JSON.stringify(content);
  const ts = Math.floor(timestampMs / 1000);
  return JSON.stringify({ timestamp: String(ts), sign: feishuSign(ts, secret), ...content });
}

export function feishuChannel(opts: ChannelOptions & { url: string; secret?: string }, clock: Clock): Channel {
  const send = async (message: { rendered: RenderedText }, signal: AbortSignal): Promise<SendResult> =>
    robotResult(await postJson(opts.url, feishuBody(message, clock.now(), opts.secret), {}, signal, opts.timeoutMs), 'code', RETRYABLE);
  return { ...opts.base, send, sendDigest: send };
}
