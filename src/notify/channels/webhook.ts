// Generic webhook: POST the case, the ledger entry and the recipients as JSON, signed.
// X-Gridwatch-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes, keyed with the secret>
// X-Gridwatch-Timestamp: ms since epoch when sent. Receivers recompute the HMAC over the raw body
// and compare in constant time. A scheduled report's digest is signed the same way:
// {version, type: 'report', report: {kind, period, summary, files}, message}; alerts say type 'alert'.
// 5xx / network -> retryable, 4xx -> not (http.ts).
import { createHmac } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { postJson } from '../http.js';
import type { Channel, DigestMessage, OutboundMessage, SendResult } from '../types.js';
import type { ChannelOptions } from './options.js';

export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export function webhookBody(m: OutboundMessage): string {
  const { notification: n, rendered } = m;
  return JSON.stringify({
    version: 1,
    type: 'alert',
    case: n.case,
    entry: n.entry,
    step: n.step,
    reason: n.reason,
    // explicit fields: nothing else from the person's config (e.g. a password hash) leaves the hub
    recipients: n.recipients.map((r) => ({ id: r.id, name: r.name, role: r.role, grids: r.grids, phone: r.phone, contact: r.contact, lang: r.lang })),
    message: { lang: rendered.lang, title: rendered.title, text: rendered.text, markdown: rendered.markdown, ackUrl: rendered.ackUrl },
  });
}

export function webhookDigestBody(m: DigestMessage): string {
  const { digest: d, rendered } = m;
  return JSON.stringify({
    version: 1,
    type: 'report',
    report: { kind: d.kind, period: d.period, summary: d.summary, files: d.files },
    message: { lang: rendered.lang, title: rendered.title, text: rendered.text, markdown: rendered.markdown, url: rendered.url },
  });
}

export function webhookChannel(opts: ChannelOptions & { url: string; secret?: string }, clock: Clock): Channel {
  const post = async (body: string, signal: AbortSignal): Promise<SendResult> => {
    const headers: Record<string, string> = { 'x-gridwatch-timestamp': String(clock.now()) };
    if (opts.secret !== undefined) headers['x-gridwatch-signature'] = signBody(body, opts.secret);
    return (await postJson(opts.url, body, headers, signal, opts.timeoutMs)).result;
  };
  return {
    ...opts.base,
    send: (message, signal) => post(webhookBody(message), signal),
    sendDigest: (message, signal) => post(webhookDigestBody(message), signal),
  };
}
