// A small but REAL fastify + socket.io server speaking the panel's API contract
// (/tmp brief api.md) with in-memory data. The panel tour tests drive the built panel against it,
// independent of the hub's stages; panel.test.ts drives the real hub.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Server } from 'socket.io';
import type { AlertCase, LedgerEntry } from '../../src/core/alert-types.js';
import { registerPanel } from '../../src/api/static.js';

export interface ContractServer {
  url: string;
  io: Server;
  cases: Map<string, { case: AlertCase; ledger: LedgerEntry[] }>;
  /** opens a case and pushes it to every connected panel, as the hub's live stage would */
  openCase(c: Omit<AlertCase, 'updatedAt' | 'escalationStep' | 'trigger' | 'state'>): AlertCase;
  close(): Promise<void>;
}

const TOKEN = 'contract-token';
const user = { id: 'hantao', name: '韩涛', role: 'grid_worker', grids: ['lty-1'], lang: 'zh' };
const sites = [{ id: 'liulin', name: '柳林街道', communities: [{ id: 'longtianyuan', name: '龙天园社区', grids: [
  { id: 'lty-1', name: '第一网格', noiseZone: '1', buildings: [{ id: 'lty-3', name: '3号楼' }, { id: 'lty-5', name: '5号楼' }] },
] }] }];

export async function startContractServer(now: number, panelRoot: string): Promise<ContractServer> {
  const app: FastifyInstance = Fastify();
  await registerPanel(app, { root: panelRoot });
  const place = { street: 'liulin', community: 'longtianyuan', grid: 'lty-1' };
  const devices = [
    { id: 'gas-lty3-0101', kind: 'gas', building: 'lty-3', unit: '1单元101', status: 'ok', battery: 88, last: { ts: now - 60_000, values: { lel: 2, valve: 'open' } } },
    { id: 'smoke-lty3-0102', kind: 'smoke', building: 'lty-3', unit: '1单元102', status: 'low_battery', battery: 12, last: { ts: now - 600_000, values: { alarm: false } } },
    { id: 'noise-lty5-roof', kind: 'noise', building: 'lty-5', unit: '楼顶', status: 'ok', battery: null, last: { ts: now - 30_000, values: { laeq: 48.2, lmax: 61 } } },
    { id: 'water-lty5-b1', kind: 'water', building: 'lty-5', unit: '地下室', status: 'offline', battery: 64, last: { ts: now - 86_400_000, values: { leak: false } } },
  ].map((d) => ({ ...place, intervalS: 60, online: d.status !== 'offline', lastSeen: d.last.ts, ...d }));
  const cases = new Map<string, { case: AlertCase; ledger: LedgerEntry[] }>();
  const io = new Server(app.server, { path: '/socket.io', connectionStateRecovery: {} });
  io.use((socket, next) => (socket.handshake.auth.token === TOKEN ? next() : next(new Error('GW_ERR_API_AUTH'))));
  io.on('connection', (socket) => void socket.join('grid:lty-1'));

  const authed = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (req.url.startsWith('/api/v1/') && req.url !== '/api/v1/auth/login' && req.headers.authorization !== `Bearer ${TOKEN}`) {
      await reply.code(401).send({ code: 'GW_ERR_API_AUTH', message: 'no or bad token', details: {} });
    }
  };
  app.addHook('onRequest', authed);
  const change = (id: string, action: LedgerEntry['action'], patch: Partial<AlertCase>, actor = user.id, note?: string): AlertCase => {
    const item = cases.get(id);
    if (!item) throw Object.assign(new Error('no such case'), { statusCode: 404 });
    item.case = { ...item.case, ...patch, updatedAt: Math.max(Date.now(), item.case.updatedAt + 1) };
    const entry: LedgerEntry = { seq: item.ledger.length + 1, caseId: id, ts: item.case.updatedAt, actor, action, ...(note ? { note } : {}) };
    item.ledger.push(entry);
    io.to(`grid:${item.case.grid}`).emit('alert', { case: item.case, entry });
    return item.case;
  };

  app.post('/api/v1/auth/login', async (req, reply) => {
    const body = req.body as { username?: string; password?: string };
    if (body.username !== 'hantao' || body.password !== 'pass-word-1') return reply.code(401).send({ code: 'GW_ERR_API_AUTH', message: 'wrong user or password', details: {} });
    return { token: TOKEN, expiresAt: Date.now() + 3_600_000, user };
  });
  app.post('/api/v1/auth/logout', async () => ({ ok: true }));
  app.get('/api/v1/me', async () => user);
  app.get('/api/v1/sites', async () => sites);
  app.get('/api/v1/devices', async () => devices);
  app.get('/api/v1/alerts', async () => [...cases.values()].map((c) => c.case).filter((c) => c.state !== 'closed').sort((a, b) => b.openedAt - a.openedAt));
  app.get('/api/v1/alerts/:id', async (req, reply) => cases.get((req.params as { id: string }).id) ?? reply.code(404).send({ code: 'GW_ERR_API_NOT_FOUND', message: 'no such case', details: {} }));
  const transitions: Record<string, [AlertCase['state'][], AlertCase['state'], LedgerEntry['action']]> = {
    ack: [['open'], 'acknowledged', 'acknowledged'],
    resolve: [['open', 'acknowledged'], 'resolved', 'resolved'],
    close: [['acknowledged', 'resolved'], 'closed', 'closed'],
  };
  app.post('/api/v1/alerts/:id/:action', async (req, reply) => {
    const { id, action } = req.params as { id: string; action: string };
    const note = (req.body as { note?: string } | undefined)?.note;
    const item = cases.get(id);
    if (!item) return reply.code(404).send({ code: 'GW_ERR_API_NOT_FOUND', message: `no case ${id}`, details: {} });
    if (action === 'comment') return change(id, 'commented', {}, user.id, note);
    const rule = transitions[action];
    if (!rule) return reply.code(404).send({ code: 'GW_ERR_API_NOT_FOUND', message: `no action ${action}`, details: {} });
    if (!rule[0].includes(item.case.state)) return reply.code(409).send({ code: 'GW_ERR_ALERT_TRANSITION', message: `cannot ${action} a ${item.case.state} case`, details: {} });
    if (action === 'close' && !note?.trim()) return reply.code(400).send({ code: 'GW_ERR_API_VALIDATION', message: 'note: required', details: {} });
    return change(id, rule[2], { state: rule[1], ...(action === 'ack' ? { acknowledgedBy: user.id, acknowledgedAt: Date.now() } : {}) }, user.id, note);
  });
  app.get('/api/v1/readings', async (req) => {
    const q = req.query as { from: string };
    const from = Number(q.from);
    const levels = [52, 47, 44, 41, 40, 39, 42, 46];
    return levels.map((laeq, i) => ({ time: from + i * 3_600_000, device: 'noise-lty5-roof', laeq, lmax: laeq + (i === 3 ? 20 : 9) }));
  });
  app.get('/api/v1/reports/uptime', async (req, reply) => {
    const q = req.query as { from: string; to: string; format?: string };
    const [from, to] = [Number(q.from), Number(q.to)];
    const rows = devices.map((d) => {
      const down = d.status === 'offline' ? [{ start: to - 2 * 86_400_000, end: to - 86_400_000, durationMs: 86_400_000, cause: 'timeout', planned: false, ongoing: false }] : [];
      const unplannedMs = down.reduce((a, i) => a + i.durationMs, 0);
      return { device: d.id, kind: d.kind, street: d.street, community: d.community, grid: d.grid, building: d.building, intervalS: d.intervalS,
        firstSeen: from, auditedMs: to - from, silencedMs: 0, unplannedMs, plannedMs: 0, uptimePct: 100 * (1 - unplannedMs / (to - from)),
        intervals: down, outages: down.length, longestMs: unplannedMs, mttrMs: down.length ? unplannedMs : null };
    });
    if (q.format === 'csv') return reply.type('text/csv').send('grid,device,uptime_pct\n' + rows.map((r) => `${r.grid},${r.device},${r.uptimePct}`).join('\n'));
    return { from, to, scope: {}, offlineFactor: 3, source: 'raw', devices: rows,
      summary: { devices: rows.length, meanUptimePct: rows.reduce((a, r) => a + r.uptimePct, 0) / rows.length, outages: 1, unplannedMs: 86_400_000, neverSeen: 0, offlineAtEnd: 0 } };
  });

  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return {
    url, io, cases,
    openCase(input) {
      const c: AlertCase = { ...input, state: 'open', updatedAt: input.openedAt, escalationStep: 0, trigger: {} };
      const entry: LedgerEntry = { seq: 1, caseId: c.id, ts: c.openedAt, actor: 'system', action: 'opened' };
      cases.set(c.id, { case: c, ledger: [entry] });
      io.to(`grid:${c.grid}`).emit('alert', { case: c, entry });
      return c;
    },
    async close() {
      io.close();
      await app.close();
    },
  };
}
