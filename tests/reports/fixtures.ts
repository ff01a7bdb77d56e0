// Shared fixtures for the reports tests: a small site and a line-protocol writer for a real influxd.
import { parseConfig, type Config } from '../../src/config/index.js';

export const FAKE_HASH = 'scrypt$16384$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNo';

export function siteConfig(extra: Partial<Record<keyof Config, unknown>> = {}): Config {
  return parseConfig(rawSite(extra));
}

/** The site as it would be written in a YAML config file. */
export function rawSite(extra: Partial<Record<keyof Config, unknown>> = {}): Record<string, unknown> {
  const dev = (id: string, kind: string, building: string, intervalS: number): Record<string, unknown> => ({ id, kind, building, intervalS, secretHash: FAKE_HASH });
  return {
    timezone: 'Asia/Shanghai',
    streets: [{
      id: 's1', name: '柳林街道', communities: [{
        id: 'c1', name: '龙天园社区', grids: [
          { id: 'g1', name: '第一网格', noiseZone: '1', buildings: [{ id: 'b1', name: '1号楼' }, { id: 'b3', name: '3号楼' }] },
          { id: 'g2', name: '第二网格', noiseZone: '2', buildings: [{ id: 'b2', name: '2号楼' }] },
        ],
      }],
    }],
    devices: [
      dev('smk-steady', 'smoke', 'b1', 3600), dev('smk-across', 'smoke', 'b1', 3600), dev('gas-flap', 'gas', 'b1', 60),
      dev('wat-new', 'water', 'b2', 3600), dev('wat-never', 'water', 'b2', 3600),
      dev('noise-b1', 'noise', 'b1', 600), dev('noise-b3', 'noise', 'b3', 600), dev('noise-b2', 'noise', 'b2', 600),
    ],
    ...extra,
  };
}

const PLACE: Record<string, string> = { b1: 'g1', b3: 'g1', b2: 'g2' };
const BUILDING: Record<string, string> = {
  'smk-steady': 'b1', 'smk-across': 'b1', 'gas-flap': 'b1', 'wat-new': 'b2', 'wat-never': 'b2', 'noise-b1': 'b1', 'noise-b3': 'b3', 'noise-b2': 'b2',
};

function tags(device: string): string {
  const b = BUILDING[device] ?? 'b1';
  return `device=${device},street=s1,community=c1,grid=${PLACE[b] ?? 'g1'},building=${b}`;
}

export const line = {
  reading: (measurement: string, device: string, ts: number, fields: string): string => `${measurement},${tags(device)} ${fields} ${ts}`,
  presence: (device: string, ts: number, online: boolean, cause: string): string => `presence,${tags(device)} online=${online},cause="${cause}" ${ts}`,
};

export async function writeLines(url: string, db: string, lines: string[]): Promise<void> {
  for (let i = 0; i < lines.length; i += 5000) {
    const res = await fetch(`${url}/write?db=${db}&precision=ms`, { method: 'POST', body: lines.slice(i, i + 5000).join('\n') });
    if (res.status !== 204) throw new Error(`write failed: ${res.status} ${await res.text()}`);
  }
}
