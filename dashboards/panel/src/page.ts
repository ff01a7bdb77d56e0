// What every page receives, and what it gives back: a cleanup run when the route changes.
import type { LiveSocket } from './live.js';
import type { Session } from './types.js';

export interface PageCtx {
  session: Session;
  socket: LiveSocket;
  /** route parameter, e.g. the case id of #/alerts/<id> */
  param?: string;
}

export type Cleanup = () => void;
export type Page = (root: HTMLElement, ctx: PageCtx) => Cleanup | void;

/** an error message for the user from anything thrown */
export function errorText(err: unknown, t: (k: 'error.network' | 'error.forbidden' | 'error.generic') => string): string {
  if (typeof err === 'object' && err !== null && 'status' in err) {
    const status = (err as { status: number }).status;
    if (status === 0) return t('error.network');
    if (status === 403) return t('error.forbidden');
  }
  const msg = err instanceof Error ? err.message : '';
  return msg ? `${t('error.generic')}: ${msg}` : t('error.generic');
}
