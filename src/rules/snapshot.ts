// Rule engine state as data, so a new rules leader (cluster mode) carries on where the old one
// stopped: per device the state of each rule (a `for` under way, an active alert, a minHold
// clear waiting, the condition's own window: count hits, rate samples, no-data liveness), the
// reading time evaluated last and the readings at that time (so a replayed reading is recognised
// and not evaluated twice). JSON-safe and versioned; a rule whose spec changed since the snapshot
// starts afresh (as refreshRules does), an unknown rule is ignored.
import type { Reading } from '../core/domain.js';
import type { RuleSpec } from '../core/rule-spec.js';
import type { RuleState } from './types.js';

export interface SavedRule {
  id: string;
  /** the spec the state belongs to (stable JSON): a changed rule does not inherit it */
  spec: string;
  active: boolean;
  raisedAt: number;
  highSince: number | null;
  lowPending: boolean;
  wakeAt: number | null;
  /** the deadline queued for it (may be earlier than wakeAt: an earlier wake re-checks) */
  scheduledAt: number | null;
  cond: unknown;
}

export interface DeviceSnapshot {
  v: 1;
  /** null: no reading evaluated yet */
  evaluatedTs: number | null;
  atTs: Reading[];
  rules: SavedRule[];
}

/** JSON with object keys sorted, so the same spec always gives the same text. */
export function specKey(spec: RuleSpec): string {
  return JSON.stringify(spec, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : v));
}

export function saveRule(spec: RuleSpec, st: RuleState): SavedRule {
  return {
    id: spec.id, spec: specKey(spec), active: st.active, raisedAt: st.raisedAt,
    highSince: st.highSince ?? null, lowPending: st.lowPending, wakeAt: st.wakeAt ?? null, scheduledAt: st.scheduledAt ?? null,
    cond: st.cond === undefined ? null : structuredClone(st.cond),
  };
}

export function restoreRule(saved: SavedRule): RuleState {
  return {
    active: saved.active, raisedAt: saved.raisedAt, highSince: saved.highSince ?? undefined,
    lowPending: saved.lowPending, scheduledAt: saved.scheduledAt ?? undefined, wakeAt: saved.wakeAt ?? undefined,
    cond: restoreCond(saved.cond),
  };
}

// JSON drops undefined members (a no-data liveness without a drop): they come back missing = undefined
function restoreCond(c: unknown): unknown {
  return c === null || typeof c !== 'object' ? c : structuredClone(c);
}

export function encodeSnapshot(s: DeviceSnapshot): string {
  return JSON.stringify(s);
}

/** Parses a stored snapshot; undefined for anything that is not one (an old version, garbage). */
export function decodeSnapshot(text: string): DeviceSnapshot | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object') return undefined;
  const s = v as Partial<DeviceSnapshot>;
  if (s.v !== 1 || !Array.isArray(s.rules) || !Array.isArray(s.atTs) || !(s.evaluatedTs === null || typeof s.evaluatedTs === 'number')) return undefined;
  const ok = s.rules.every((r: Partial<SavedRule>) => r && typeof r.id === 'string' && typeof r.spec === 'string' && typeof r.active === 'boolean'
    && typeof r.raisedAt === 'number' && typeof r.lowPending === 'boolean'
    && (r.highSince === null || typeof r.highSince === 'number') && (r.wakeAt === null || typeof r.wakeAt === 'number')
    && (r.scheduledAt === null || typeof r.scheduledAt === 'number'));
  return ok ? (s as DeviceSnapshot) : undefined;
}
