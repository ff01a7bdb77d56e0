import { describe, expect, it } from 'vitest';
import type { Person } from '../../src/core/alert-types.js';
import { type RoutingData, type Roster, onDuty, route, shiftCovers } from '../../src/alerts/routing.js';
import { localTime } from '../../src/rules/localtime.js';

const people: Person[] = [
  { id: 'day', name: '白班', role: 'grid_worker', grids: ['g1'] },
  { id: 'night', name: '夜班', role: 'grid_worker', grids: ['g1'] },
  { id: 'lead', name: '网格长', role: 'grid_leader', grids: ['g1'] },
  { id: 'duty', name: '值班室', role: 'street', grids: [] },
  { id: 'admin', name: '管理员', role: 'admin', grids: [] },
];
const rosters: Roster[] = [{ grid: 'g1', shifts: [
  { person: 'day', from: '08:00', to: '20:00' },
  { person: 'night', days: [1, 2, 3, 4, 5], from: '20:00', to: '08:00' },
] }];
const sh = localTime('Asia/Shanghai');
const data: RoutingData = { people, rosters, streetDuty: ['duty'], local: sh };
/** 2026-01-12 is a Monday; hh:mm Beijing time on Monday + dayOffset */
const at = (dayOffset: number, hh: number, mm = 0): number => Date.UTC(2026, 0, 12 + dayOffset, hh - 8, mm);

describe('on-duty selection by roster', () => {
  it('picks the day shift in the day and the night shift across midnight', () => {
    expect(onDuty('g1', at(0, 9), data).map((p) => p.id)).toEqual(['day']);
    expect(onDuty('g1', at(0, 23), data).map((p) => p.id)).toEqual(['night']);
    expect(onDuty('g1', at(1, 3), data).map((p) => p.id)).toEqual(['night']); // Tue 03:00 belongs to Monday's night
    expect(onDuty('g1', at(0, 20), data).map((p) => p.id)).toEqual(['night']);
    expect(onDuty('g1', at(0, 8), data).map((p) => p.id)).toEqual(['day']);
  });
  it('a night shift on weekdays only: Friday night covers Saturday 03:00, Saturday night does not cover Sunday 03:00', () => {
    expect(onDuty('g1', at(5, 3), data).map((p) => p.id)).toEqual(['night']); // Sat 03:00 (Fri shift)
    expect(onDuty('g1', at(6, 3), data)).toEqual([]); // Sun 03:00 (Sat shift: none)
    expect(onDuty('g1', at(0, 3), data)).toEqual([]); // Mon 03:00 (Sun shift: none)
  });
  it('shiftCovers works in another DST-free zone (UTC)', () => {
    const utc = localTime('UTC');
    const s = { person: 'x', days: [7], from: '22:00', to: '06:00' };
    expect(shiftCovers(s, Date.UTC(2026, 0, 18, 23), utc)).toBe(true); // Sun 23:00
    expect(shiftCovers(s, Date.UTC(2026, 0, 19, 5, 59), utc)).toBe(true); // Mon 05:59
    expect(shiftCovers(s, Date.UTC(2026, 0, 19, 6), utc)).toBe(false);
    expect(shiftCovers(s, Date.UTC(2026, 0, 18, 5), utc)).toBe(false); // Sun 05:00 belongs to Sat
  });
});

describe('route', () => {
  it('goes to the on-duty worker', () => {
    expect(route('grid_worker', 'g1', at(0, 9), data)).toMatchObject({ level: 'grid_worker', noOneOnDuty: false, recipients: [{ id: 'day' }] });
  });
  it('with nobody on shift, falls back to all grid workers of the grid', () => {
    const r = route('grid_worker', 'g1', at(6, 3), data);
    expect(r.recipients.map((p) => p.id)).toEqual(['day', 'night']);
    expect(r.noOneOnDuty).toBe(false);
  });
  it('with no grid workers at all, goes up to the grid leader and says so', () => {
    const r = route('grid_worker', 'g1', at(0, 9), { ...data, people: people.filter((p) => p.role !== 'grid_worker') });
    expect(r).toMatchObject({ level: 'grid_leader', noOneOnDuty: true, recipients: [{ id: 'lead' }] });
  });
  it('then to the street duty room, then to admins', () => {
    const noGrid = people.filter((p) => p.role !== 'grid_worker' && p.role !== 'grid_leader');
    expect(route('grid_worker', 'g1', 0, { ...data, people: noGrid })).toMatchObject({ level: 'street_duty', noOneOnDuty: true, recipients: [{ id: 'duty' }] });
    expect(route('grid_leader', 'g1', 0, { ...data, people: noGrid, streetDuty: [] })).toMatchObject({ level: 'admin', noOneOnDuty: true });
    expect(route('street_duty', 'g1', 0, { ...data, people: [], streetDuty: [] })).toEqual({ level: 'none', noOneOnDuty: true, recipients: [] });
  });
  it('street_duty step goes to the duty room directly', () => {
    expect(route('street_duty', 'g1', 0, data)).toMatchObject({ level: 'street_duty', noOneOnDuty: false });
  });
});
