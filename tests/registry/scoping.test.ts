// Every role against another grid and a second street, over REST and socket.io, on a real hub: two
// streets (liulin: grids g1, g2; beiyuan: grid g9). A grid leader or worker sees only their grid; a
// street person sees their whole street but not the other street; an admin sees everything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as connectIo, type Socket } from 'socket.io-client';
import type { AlertCase } from '../../src/core/alert-types.js';
import type { LiveReading } from '../../src/live/index.js';
import { until } from '../helpers/hub.js';
import { json, startApiHarness, type ApiHarness } from '../api/harness.js';
import { password } from '../api/people.js';
import { hashSecretSync } from '../../src/core/secret.js';
import { FAST_SCRYPT } from '../helpers/hub.js';

let h: ApiHarness;
const sockets: Socket[] = [];
const ALL = ['g1', 'g2', 'g9'] as const;
// who may see which grid (the expectation, written out per role)
const SEES: Record<string, readonly string[]> = { root: ALL, zhang: ['g1', 'g2'], li: ['g1'], wang: ['g1'], zhao: ['g2'] };
const DEVICE_OF: Record<string, string> = { g1: 'gas-1', g2: 'gas-2', g9: 'gas-9' };

beforeAll(async () => {
  const street2 = { id: 'beiyuan', name: '北苑街道', communities: [{ id: 'by', name: '北苑社区', grids: [{ id: 'g9', name: '第九网格', noiseZone: '2', buildings: [{ id: 'b9', name: '9号楼' }] }] }] };
  h = await startApiHarness([{ id: 'gas-1', kind: 'gas' }, { id: 'gas-2', kind: 'gas', building: 'b2' }, { id: 'noise-1', kind: 'noise' }, { id: 'noise-2', kind: 'noise', building: 'b2' }], {
    // the test site's street plus a second one, with a device in it and a street person listed by one grid
    streets: [
      { id: 'liulin', name: '柳林街道', communities: [{ id: 'lty', name: '龙天园社区', grids: [
        { id: 'g1', name: '第一网格', noiseZone: '1', buildings: [{ id: 'b1', name: '1号楼' }] },
        { id: 'g2', name: '第二网格', noiseZone: '2', buildings: [{ id: 'b2', name: '2号楼' }] },
      ] }] },
      street2,
    ],
    people: [
      { id: 'root', name: '管理员', role: 'admin', grids: [], passwordHash: hashSecretSync(password('root'), FAST_SCRYPT) },
      { id: 'zhang', name: '张街道', role: 'street', grids: ['g1'], passwordHash: hashSecretSync(password('zhang'), FAST_SCRYPT) },
      { id: 'li', name: '李网格长', role: 'grid_leader', grids: ['g1'], passwordHash: hashSecretSync(password('li'), FAST_SCRYPT) },
      { id: 'wang', name: '王网格员', role: 'grid_worker', grids: ['g1'], lang: 'en', passwordHash: hashSecretSync(password('wang'), FAST_SCRYPT) },
      { id: 'zhao', name: '赵网格员', role: 'grid_worker', grids: ['g2'], passwordHash: hashSecretSync(password('zhao'), FAST_SCRYPT) },
    ],
  });
  // a device in the second street, provisioned over the API
  expect((await h.call({ method: 'POST', url: '/api/v1/devices', as: 'root', payload: { id: 'gas-9', kind: 'gas', building: 'b9', unit: '1单元' } })).status).toBe(201);
  expect((await h.call({ method: 'POST', url: '/api/v1/devices', as: 'root', payload: { id: 'noise-9', kind: 'noise', building: 'b9' } })).status).toBe(201);
  // one open critical case per grid
  for (const g of ALL) h.emitReading(DEVICE_OF[g] as string, { lel: 40 });
  await until(async () => ((await h.t.hub.ctx.alerts?.list({ state: ['open'] }))?.filter((c) => c.rule === 'gas-critical').length ?? 0) >= 3, 10_000, 'three cases');
}, 120_000);

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await h?.close();
}, 60_000);

const caseIn = async (grid: string): Promise<AlertCase> => (await h.t.hub.ctx.alerts?.list({ state: ['open'] }))?.find((c) => c.grid === grid) as AlertCase;

describe.each(Object.keys(SEES))('REST scoping for %s', (who) => {
  const sees = SEES[who] as readonly string[];
  it.each(ALL)('grid %s: devices, one device, readings, alerts and one case agree with the role', async (grid) => {
    const want = sees.includes(grid) ? 200 : 403;
    const device = DEVICE_OF[grid] as string;
    expect((await h.call({ method: 'GET', url: `/api/v1/devices?grid=${grid}`, as: who })).status).toBe(want);
    expect((await h.call({ method: 'GET', url: `/api/v1/devices/${device}`, as: who })).status).toBe(want);
    expect((await h.call({ method: 'GET', url: `/api/v1/alerts?grid=${grid}`, as: who })).status).toBe(want);
    expect((await h.call({ method: 'GET', url: `/api/v1/alerts/${(await caseIn(grid)).id}`, as: who })).status).toBe(want);
    expect((await h.call({ method: 'GET', url: `/api/v1/readings?device=${device}&from=0`, as: who })).status).not.toBe(want === 200 ? 403 : 200);
  });

  it('lists exactly the devices and cases of the grids the role covers', async () => {
    const devices = json<{ grid: string }[]>((await h.call({ method: 'GET', url: '/api/v1/devices', as: who })).body);
    expect([...new Set(devices.map((d) => d.grid))].sort()).toEqual([...sees]);
    const cases = json<AlertCase[]>((await h.call({ method: 'GET', url: '/api/v1/alerts', as: who })).body);
    expect([...new Set(cases.map((c) => c.grid))].sort()).toEqual([...sees]);
    expect(json<{ grids: string[] }>((await h.call({ method: 'GET', url: '/api/v1/me', as: who })).body).grids).toEqual([...sees]);
  });
});

describe('socket.io scoping for every role', () => {
  it('each person hears readings of exactly their grids, another grid and the other street not at all', async () => {
    const heard = new Map<string, LiveReading[]>();
    for (const who of Object.keys(SEES)) {
      const socket = connectIo(`http://127.0.0.1:${h.t.hub.httpPort}`, { path: '/socket.io', auth: { token: h.tokens.get(who) }, transports: ['websocket'], reconnection: false });
      sockets.push(socket);
      const got: LiveReading[] = [];
      heard.set(who, got);
      socket.on('reading', (r: LiveReading) => got.push(r));
      const hello = await new Promise<{ grids: string[] }>((resolve, reject) => { socket.once('hello', resolve); socket.once('connect_error', reject); });
      expect(hello.grids, who).toEqual([...(SEES[who] as readonly string[])]);
    }
    // devices never heard before (no thinning delay), sent in this order on every connection:
    // the other street, the second grid, then the first grid
    const noise: Record<string, string> = { g9: 'noise-9', g2: 'noise-2', g1: 'noise-1' };
    for (const g of ['g9', 'g2', 'g1']) h.emitReading(noise[g] as string, { laeq: 40 });
    for (const [who, got] of heard) {
      const sees = SEES[who] as readonly string[];
      const last = noise[sees.includes('g1') ? 'g1' : 'g2'] as string;
      await until(() => got.some((r) => r.device === last), 10_000, `${who} hears ${last}`);
      for (const g of ALL) expect(got.some((r) => r.device === noise[g]), `${who} hears ${g}`).toBe(sees.includes(g));
    }
  });
});
