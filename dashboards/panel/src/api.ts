// Thin fetch wrapper for /api/v1: bearer token, JSON in and out, errors as ApiError with the
// server's { code, message, details }.
import type { AlertCase, LedgerEntry, Session } from './types.js';

const TOKEN_KEY = 'gw.session';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details?: unknown) {
    super(message);
  }
}

export function loadSession(): Session | undefined {
  const raw = localStorage.getItem(TOKEN_KEY);
  if (!raw) return undefined;
  try {
    const s = JSON.parse(raw) as Session;
    return typeof s.token === 'string' ? s : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(s: Session | undefined): void {
  if (s) localStorage.setItem(TOKEN_KEY, JSON.stringify(s));
  else localStorage.removeItem(TOKEN_KEY);
}

type Query = Record<string, string | number | undefined>;

function url(path: string, query?: Query): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') qs.set(k, String(v));
  const q = qs.toString();
  return `api/v1${path}${q ? `?${q}` : ''}`;
}

async function raw(method: string, path: string, opts: { query?: Query; body?: unknown } = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  const token = loadSession()?.token;
  if (token) headers.authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url(path, opts.query), { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  } catch (err) {
    throw new ApiError(0, 'NETWORK', err instanceof Error ? err.message : String(err));
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string; details?: unknown };
    // a stale or revoked token: back to the login page (a failed login itself is just an error)
    if (res.status === 401 && token) {
      saveSession(undefined);
      window.dispatchEvent(new Event('gw:unauthorized'));
    }
    throw new ApiError(res.status, body.code ?? `HTTP_${res.status}`, body.message ?? res.statusText, body.details);
  }
  return res;
}

export async function get<T>(path: string, query?: Query): Promise<T> {
  return (await (await raw('GET', path, { query })).json()) as T;
}

export async function post<T>(path: string, body: unknown = {}): Promise<T> {
  const res = await raw('POST', path, { body });
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function getText(path: string, query?: Query): Promise<string> {
  return (await raw('GET', path, { query })).text();
}

export function login(username: string, password: string): Promise<Session> {
  return post<Session>('/auth/login', { username, password });
}

export async function logout(): Promise<void> {
  await post('/auth/logout').catch(() => undefined);
  saveSession(undefined);
}

export type CaseAction = 'ack' | 'resolve' | 'close' | 'comment';

export function caseAction(id: string, action: CaseAction, body: { note?: string; override?: string } = {}): Promise<AlertCase> {
  return post<AlertCase>(`/alerts/${encodeURIComponent(id)}/${action}`, body);
}

export function getCase(id: string): Promise<{ case: AlertCase; ledger: LedgerEntry[] }> {
  return get(`/alerts/${encodeURIComponent(id)}`);
}

export async function getBlob(path: string, query?: Query): Promise<Blob> {
  return (await raw('GET', path, { query })).blob();
}

export async function send<T>(method: 'PATCH' | 'DELETE' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await raw(method, path, body === undefined ? {} : { body });
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}
