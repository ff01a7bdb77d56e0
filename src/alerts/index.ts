// The alerting stage's public entry.
export { attachAlerting, type AlertingHandle, type AlertingOptions, type AlertInput } from './attach.js';
export { AlertCases, type AlertDeps } from './service.js';
export type { CaseStore, CaseOps, NewLedgerEntry } from './store.js';
export { openSqliteCaseStore } from './store-sqlite.js';
export { openPgCaseStore } from './store-pg.js';
export { nextEscalation, planEscalation, type EscalationStep } from './escalation.js';
export { route, onDuty, shiftCovers, type RoutingData, type Route } from './routing.js';
export { findSilence, silenceMatches } from './silences.js';
export { unitValves, recordAck } from './actions.js';
export type { Notifier, Notification, AlertLedger, Person } from '../core/alert-types.js';
