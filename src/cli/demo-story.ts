// What the demo will show, told before it happens: which sensor the gas-leak scenario picks, where
// it is, who receives the case (on duty now by the roster, and the chain above), and when the
// warning (10 % LEL) and the critical level (25 % LEL) arrive. Pure: config, seed and time in.
import { makeDevice, applyScenario, specsFromConfig } from '../../firmware-sim/index.js';
import { route, toPerson } from '../alerts/routing.js';
import type { Config } from '../config/index.js';
import { KINDS } from '../kinds/index.js';
import { localTime } from '../rules/localtime.js';

/** the simulator reports every 10 s during an episode (firmware-sim/signals.ts nextReportIn) */
const EPISODE_REPORT_S = 10;

export interface LeakStory {
  device: string;
  community: string;
  grid: string;
  building: string;
  unit?: string;
  /** seconds after the simulator starts: earliest and latest arrival of the first reading past the level */
  warningS: [number, number];
  criticalS: [number, number];
  /** who the first escalation step reaches now, and the chain above */
  receivers: { id: string; name: string; role: string }[];
  leaders: { id: string; name: string }[];
}

function raiseLevel(ruleId: string): number {
  const rule = KINDS.gas.defaultRules.find((r) => r.id === ruleId);
  return rule?.condition.type === 'threshold' ? rule.condition.raise : NaN;
}

export function gasLeakStory(config: Config, seed: string, now: number): LeakStory | undefined {
  const devices = applyScenario('gas-leak', specsFromConfig(config).map((s) => makeDevice(s, { seed, t0: now, timezone: config.timezone })), now, seed);
  const target = devices.find((d) => d.episodes.some((e) => e.type === 'gas-leak'));
  const ep = target?.episodes.find((e) => e.type === 'gas-leak');
  const dev = config.devices.find((d) => d.id === target?.id);
  if (!target || !ep || !dev) return undefined;
  // the level ramps linearly to its peak (plus up to 1 % LEL of noise); the next report carries it
  const at = (lel: number): [number, number] => {
    const s = (ep.start - now + ep.rampMs * Math.max(0, (lel - 1) / ep.peak)) / 1000;
    const e = (ep.start - now + ep.rampMs * (lel / ep.peak)) / 1000;
    return [Math.round(s), Math.round(e + EPISODE_REPORT_S)];
  };
  const street = config.streets.find((s) => s.communities.some((c) => c.grids.some((g) => g.buildings.some((b) => b.id === dev.building))));
  const community = street?.communities.find((c) => c.grids.some((g) => g.buildings.some((b) => b.id === dev.building)));
  const grid = community?.grids.find((g) => g.buildings.some((b) => b.id === dev.building));
  const building = grid?.buildings.find((b) => b.id === dev.building);
  const routing = { people: config.people.map(toPerson), rosters: config.rosters, streetDuty: config.streetDuty, local: localTime(config.timezone) };
  const first = route('grid_worker', grid?.id ?? '', now, routing);
  const leaders = config.people.filter((p) => p.role === 'grid_leader' && grid !== undefined && p.grids.includes(grid.id));
  return {
    device: dev.id, community: community?.name ?? '', grid: grid?.name ?? '', building: building?.name ?? dev.building, ...(dev.unit === undefined ? {} : { unit: dev.unit }),
    warningS: at(raiseLevel('gas-warning')), criticalS: at(raiseLevel('gas-critical')),
    receivers: first.recipients.map((p) => ({ id: p.id, name: p.name, role: p.role })),
    leaders: leaders.map((p) => ({ id: p.id, name: p.name })),
  };
}

const ROLE_ZH: Record<string, string> = { admin: '管理员', street: '街道', grid_leader: '网格长', grid_worker: '网格员' };

/** the login table: id, password, role and grids in words */
export function loginLines(config: Config, logins: readonly { id: string; password: string }[]): string[] {
  const gridName = new Map(config.streets.flatMap((s) => s.communities.flatMap((c) => c.grids.map((g) => [g.id, g.name] as const))));
  return logins.map((l) => {
    const p = config.people.find((x) => x.id === l.id);
    const grids = p?.grids.length ? p.grids.map((g) => gridName.get(g) ?? g).join('、') : p?.role === 'admin' || p?.role === 'street' ? '全街道' : '—';
    return `    ${l.id.padEnd(12)} ${l.password}  ${(ROLE_ZH[p?.role ?? ''] ?? p?.role ?? '').padEnd(4, '　')} ${p?.name ?? ''}  ${grids}`;
  });
}

export function storyLines(s: LeakStory): string[] {
  const who = s.receivers.map((r) => `${r.id} (${r.name})`).join(', ') || '—';
  const up = s.leaders.map((r) => `${r.id} (${r.name})`).join(', ');
  return [
    `  the gas leak: ${s.device} in ${s.community} ${s.grid} ${s.building} ${s.unit ?? ''}`.trimEnd(),
    `    warning  (10 % LEL) about ${s.warningS[0]}–${s.warningS[1]} s after the simulator starts`,
    `    critical (25 % LEL) about ${s.criticalS[0]}–${s.criticalS[1]} s after (the valve is closed then)`,
    `    received by ${who} (on duty now)${up ? `; unacknowledged after 2 min it goes to ${up}, after 5 min to the street duty room` : ''}`,
    `    log in as ${s.receivers[0]?.id ?? 'the grid worker'} to receive it`,
  ];
}
