// The session's live list of alert cases: loaded once over REST, then kept current by `alert`
// events wherever the user is in the panel (a new critical rings on every page).
import { get } from './api.js';
import { LIST_STATES, isNewCritical, upsertCase } from './logic/alerts.js';
import type { LiveSocket } from './live.js';
import type { AlertCase, AlertChange } from './types.js';
import { ringCritical } from './ui/alarm.js';

type Listener = (list: readonly AlertCase[], change?: AlertChange) => void;

let cases: AlertCase[] = [];
const listeners = new Set<Listener>();

function emit(change?: AlertChange): void {
  for (const l of listeners) l(cases, change);
}

export function alertCases(): readonly AlertCase[] {
  return cases;
}

export function onAlerts(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export async function loadAlerts(): Promise<void> {
  const list = await get<AlertCase[]>('/alerts', { state: LIST_STATES.join(','), limit: 200 });
  let next: AlertCase[] = [];
  for (const c of list) next = upsertCase(next, c);
  // keep live changes that arrived while the request was in flight
  for (const c of cases) next = upsertCase(next, c);
  cases = next;
  emit();
}

/** a case the user changed (REST reply) */
export function applyCase(c: AlertCase): void {
  cases = upsertCase(cases, c);
  emit();
}

export function followAlerts(socket: LiveSocket): void {
  socket.on('alert', (change) => {
    const ring = isNewCritical(cases, change);
    cases = upsertCase(cases, change.case);
    if (ring) ringCritical();
    emit(change);
  });
  // after a reconnect without state recovery, reload so nothing missed stays hidden
  let connectedBefore = false;
  socket.on('connect', () => {
    if (connectedBefore && !socket.recovered) void loadAlerts().catch(() => undefined);
    connectedBefore = true;
  });
}

export function resetAlerts(): void {
  cases = [];
  listeners.clear();
}
