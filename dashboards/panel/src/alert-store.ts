// The session's live list of alert cases: loaded over REST, re-synced on every (re)connect, then
// kept current by `alert` events wherever the user is in the panel. It also knows whether the list
// can be trusted: "no alerts" is only said when the link is up and the last sync succeeded.
import { get } from './api.js';
import { LIST_STATES, isNewCritical, isUnackedCritical, upsertCase } from './logic/alerts.js';
import type { LiveSocket } from './live.js';
import type { AlertCase, AlertChange } from './types.js';
import { ringCritical } from './ui/alarm.js';

type Listener = (list: readonly AlertCase[], change?: AlertChange) => void;

/** whether what the panel shows is known to be current */
export interface Trust {
  connected: boolean;
  /** the last full load of the case list succeeded (since the last connect) */
  synced: boolean;
  /** the last attempt to load the list failed (retried every RETRY_MS while connected) */
  failed: boolean;
  /** when the list was last loaded in full */
  syncedAt?: number;
}

let cases: AlertCase[] = [];
const listeners = new Set<Listener>();
const trustListeners = new Set<(t: Trust) => void>();
let trust: Trust = { connected: false, synced: false, failed: false };
let retryLoad: ReturnType<typeof setTimeout> | undefined;
const RETRY_MS = 5000;
let repeat: ReturnType<typeof setInterval> | undefined;

/** a new critical rings again this often until someone acknowledges it */
export const REPEAT_MS = 30_000;

function emit(change?: AlertChange): void {
  for (const l of listeners) l(cases, change);
}

function setTrust(next: Partial<Trust>): void {
  trust = { ...trust, ...next };
  for (const l of trustListeners) l(trust);
}

export function alertCases(): readonly AlertCase[] {
  return cases;
}

export function currentTrust(): Trust {
  return trust;
}

export function onAlerts(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function onTrust(l: (t: Trust) => void): () => void {
  trustListeners.add(l);
  return () => trustListeners.delete(l);
}

export async function loadAlerts(): Promise<void> {
  try {
    const list = await get<AlertCase[]>('/alerts', { state: LIST_STATES.join(','), limit: 500 });
    let next: AlertCase[] = [];
    for (const c of list) next = upsertCase(next, c);
    // keep live changes that arrived while the request was in flight (newer copies win)
    for (const c of cases) if (next.some((n) => n.id === c.id)) next = upsertCase(next, c);
    const ring = next.some((c) => isUnackedCritical(c) && !cases.some((p) => p.id === c.id && isUnackedCritical(p)));
    cases = next;
    setTrust({ synced: true, failed: false, syncedAt: Date.now() });
    if (ring) ringCritical();
    emit();
    keepRinging();
  } catch (err) {
    setTrust({ synced: false, failed: true });
    // connected but the list would not load: keep trying while the link is up
    if (retryLoad) clearTimeout(retryLoad);
    retryLoad = setTimeout(() => { if (trust.connected && !trust.synced) void loadAlerts().catch(() => undefined); }, RETRY_MS);
    throw err;
  }
}

/** a case the user changed (REST reply) */
export function applyCase(c: AlertCase): void {
  cases = upsertCase(cases, c);
  emit();
  keepRinging();
}

/** ring again every REPEAT_MS while an open critical waits for acknowledgement */
function keepRinging(): void {
  const waiting = cases.some(isUnackedCritical);
  if (waiting && !repeat) repeat = setInterval(() => { if (cases.some(isUnackedCritical)) ringCritical(); }, REPEAT_MS);
  if (!waiting && repeat) {
    clearInterval(repeat);
    repeat = undefined;
  }
}

export function followAlerts(socket: LiveSocket): void {
  socket.on('alert', (change) => {
    const ring = isNewCritical(cases, change);
    cases = upsertCase(cases, change.case);
    if (ring) ringCritical();
    emit(change);
    keepRinging();
  });
  // every (re)connect re-syncs the whole list: after a hub restart nothing is replayed
  socket.on('connect', () => {
    setTrust({ connected: true, synced: false });
    void loadAlerts().catch(() => undefined);
  });
  socket.on('disconnect', () => setTrust({ connected: false }));
  socket.on('connect_error', () => setTrust({ connected: false }));
}

export function resetAlerts(): void {
  cases = [];
  listeners.clear();
  trustListeners.clear();
  trust = { connected: false, synced: false, failed: false };
  if (retryLoad) clearTimeout(retryLoad);
  retryLoad = undefined;
  if (repeat) clearInterval(repeat);
  repeat = undefined;
}
