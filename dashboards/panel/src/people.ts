// Names of the people the user works with (GET /ledger/people), loaded once per session, so cards
// and timelines say 陈静, not chenjing.
import { get } from './api.js';

export interface PersonRef { id: string; name: string; role: string; grids: string[] }

let list: Promise<PersonRef[]> | undefined;
let known = new Map<string, PersonRef>();

export function loadPeople(): Promise<PersonRef[]> {
  list ??= get<PersonRef[]>('/ledger/people').then((ps) => {
    known = new Map(ps.map((p) => [p.id, p]));
    return ps;
  }).catch((err: unknown) => {
    list = undefined;
    throw err;
  });
  return list;
}

/** the person's name once loaded; the id until then (or for someone since removed) */
export function nameOf(id: string | undefined): string {
  if (id === undefined) return '';
  return known.get(id)?.name ?? id;
}

export function forgetPeople(): void {
  list = undefined;
  known = new Map();
}
