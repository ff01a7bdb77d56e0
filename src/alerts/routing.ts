// Who hears of a case: the grid's on-duty worker by roster (shifts in the site's time zone, may
// cross midnight); else every grid worker of the grid; else up the chain — grid leader, then the
// street duty room — and the case records `no_one_on_duty`. Pure.
import type { Person } from '../core/alert-types.js';
import { clockMinutes, inWindow, type LocalTime } from '../rules/localtime.js';
import type { EscalationStep } from './escalation.js';

export interface Shift { person: string; days?: number[]; from: string; to: string }
export interface Roster { grid: string; shifts: Shift[] }

export interface RoutingData {
  people: readonly Person[];
  rosters: readonly Roster[];
  streetDuty: readonly string[];
  local: LocalTime;
}

export interface Route {
  recipients: Person[];
  /** the level that was actually reached */
  level: EscalationStep['to'] | 'admin' | 'none';
  /** nobody at the asked level: went up the chain */
  noOneOnDuty: boolean;
}

/** Whether a shift covers the instant t (the shift belongs to the day it starts on). */
export function shiftCovers(shift: Shift, t: number, local: LocalTime): boolean {
  const from = clockMinutes(shift.from);
  const to = clockMinutes(shift.to);
  const m = local.minuteOfDay(t);
  if (!inWindow(m, from, to)) return false;
  if (!shift.days) return true;
  const day = local.isoWeekday(t);
  const startDay = from > to && m < to ? (day === 1 ? 7 : day - 1) : day;
  return shift.days.includes(startDay);
}

export function onDuty(grid: string, t: number, data: RoutingData): Person[] {
  const ids = new Set<string>();
  for (const r of data.rosters) if (r.grid === grid) for (const s of r.shifts) if (shiftCovers(s, t, data.local)) ids.add(s.person);
  return data.people.filter((p) => ids.has(p.id));
}

const byRole = (data: RoutingData, role: Person['role'], grid: string): Person[] => data.people.filter((p) => p.role === role && p.grids.includes(grid));

export function route(to: EscalationStep['to'], grid: string, t: number, data: RoutingData): Route {
  if (to === 'grid_worker') {
    const duty = onDuty(grid, t, data);
    if (duty.length > 0) return { recipients: duty, level: 'grid_worker', noOneOnDuty: false };
    const workers = byRole(data, 'grid_worker', grid);
    if (workers.length > 0) return { recipients: workers, level: 'grid_worker', noOneOnDuty: false };
  }
  if (to === 'grid_worker' || to === 'grid_leader') {
    const leaders = byRole(data, 'grid_leader', grid);
    if (leaders.length > 0) return { recipients: leaders, level: 'grid_leader', noOneOnDuty: to !== 'grid_leader' };
  }
  const street = data.people.filter((p) => data.streetDuty.includes(p.id));
  if (street.length > 0) return { recipients: street, level: 'street_duty', noOneOnDuty: to !== 'street_duty' };
  const admins = data.people.filter((p) => p.role === 'admin');
  return { recipients: admins, level: admins.length > 0 ? 'admin' : 'none', noOneOnDuty: true };
}

/** A config person without credentials. */
export function toPerson(p: Person & { passwordHash?: string }): Person {
  const { passwordHash: _drop, ...rest } = p;
  return rest;
}
