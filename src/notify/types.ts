// The notify stage's own vocabulary: what a channel is given and what it answers.
import type { LedgerEntry, Notification } from '../core/alert-types.js';
import type { Severity } from '../core/domain.js';
import type { ReportDigest } from '../core/report-digest.js';

export type Lang = 'zh' | 'en';

/** What the group robots put on the wire: a title line and the body as markdown and as text. */
export interface RenderedText {
  lang: Lang;
  /** one line, e.g. "【严重】燃气浓度超标 · 3号楼" */
  title: string;
  /** markdown body (title as heading, then the details and a link) */
  markdown: string;
  /** the same as plain text, for channels without markdown */
  text: string;
}

/** A notification rendered for people (render.ts); channels format it for their wire. */
export interface RenderedMessage extends RenderedText {
  /** `<publicUrl>/#/alerts/<caseId>` */
  ackUrl: string;
}

export interface OutboundMessage {
  notification: Notification;
  rendered: RenderedMessage;
}

/** A scheduled report's digest rendered for people (render-report.ts). */
export interface RenderedReport extends RenderedText {
  /** `<publicUrl>/#/uptime` or `#/noise` */
  url: string;
}

export interface DigestMessage {
  digest: ReportDigest;
  rendered: RenderedReport;
}

/**
 * What a channel answers. Only the retry stage acts on `retryable` (Alertmanager's
 * notifier contract: a notifier returns (retry bool, err) and never retries itself). `stopping`:
 * not an answer but the hub stopping under the send (the broker closed): the retry stage ends as
 * cancelled, recording nothing, so the next start delivers it rather than giving it up.
 */
export type SendResult =
  | { ok: true; status?: number }
  | { ok: false; retryable: boolean; status?: number; error: string; retryAfterMs?: number; stopping?: true };

export interface Channel {
  readonly id: string;
  readonly type: string;
  /** total tries before dead-letter (1 = no retry) */
  readonly maxAttempts: number;
  readonly minSeverity?: Severity;
  /** only cases in these grids (undefined = all) */
  readonly grids?: readonly string[];
  send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult>;
  /** a scheduled report's digest, same wire and signing (HTTP channels; sirens and the live panel take none) */
  sendDigest?(message: DigestMessage, signal: AbortSignal): Promise<SendResult>;
}

/** The alerting stage's ledger, passed in (AlertLedger.record fits): every attempt and failure lands on the case. */
export type RecordFn = (caseId: string, action: LedgerEntry['action'], data: Record<string, unknown>) => unknown;
