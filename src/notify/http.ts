// One HTTP POST of JSON for the HTTP channels, classified for the retry stage:
// network error / timeout / 5xx / 429 -> retryable; other 4xx -> not (the request itself is wrong).
import type { SendResult } from './types.js';

export interface PostResult {
  result: SendResult;
  /** parsed JSON body when the server answered JSON (robots answer 200 with an error code) */
  json?: unknown;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const s = Number(header);
  if (Number.isFinite(s)) return s * 1000;
  const t = Date.parse(header);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

export async function postJson(url: string, body: string, headers: Record<string, string>, signal: AbortSignal, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<PostResult> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
      body,
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
  } catch (e) {
    // aborted by cancel(): the retry stage sees signal.aborted and stops; otherwise network/timeout
    return { result: { ok: false, retryable: !signal.aborted, error: describe(e) } };
  }
  const raw = await res.text().catch(() => '');
  let json: unknown;
  try {
    json = raw.length > 0 ? JSON.parse(raw) : undefined;
  } catch {
    json = undefined;
  }
  if (res.status >= 200 && res.status < 300) return { result: { ok: true, status: res.status }, json };
  const retryable = res.status >= 500 || res.status === 429 || res.status === 408;
  const ra = retryAfterMs(res.headers.get('retry-after'));
  const error = `HTTP ${res.status}${raw ? `: ${raw.slice(0, 200)}` : ''}`;
  return { result: ra === undefined ? { ok: false, retryable, status: res.status, error } : { ok: false, retryable, status: res.status, error, retryAfterMs: ra }, json };
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${e.message}: ${cause.message}` : e.message;
  }
  return String(e);
}

/** Robots (WeCom, DingTalk, Feishu) answer HTTP 200 with `{errcode|code: n}`; n != 0 is a failure. */
export function robotResult(post: PostResult, codeKey: 'errcode' | 'code', retryableCodes: readonly number[]): SendResult {
  if (!post.result.ok) return post.result;
  const body = post.json;
  if (typeof body !== 'object' || body === null) return { ok: false, retryable: true, status: post.result.status, error: 'robot answered without a JSON body' };
  const rec = body as Record<string, unknown>;
  const code = rec[codeKey] ?? rec.StatusCode;
  if (code === 0) return post.result;
  const msg = rec.errmsg ?? rec.msg ?? rec.StatusMessage;
  const n = typeof code === 'number' ? code : NaN;
  return { ok: false, retryable: retryableCodes.includes(n), status: post.result.status, error: `${codeKey} ${String(code)}: ${typeof msg === 'string' ? msg : ''}` };
}
