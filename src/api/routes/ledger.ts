// Case history and the street office's ledger (建档销账): closed and open cases filtered by date,
// community, grid, kind, severity, state and free text, as JSON for the panel or as a CSV or Excel
// (.xlsx, written with exceljs) file, names instead of ids. Also the names of the people a user
// works with, so the panel can say 陈静 instead of chenjing.
import { Type } from '@sinclair/typebox';
import ExcelJS from 'exceljs';
import type { AlertService } from '../../core/alert-types.js';
import { audit, listParam, parseTime, who } from '../http.js';
import { errors, TimeQ } from '../schemas.js';
import { canSeeGrid, requireGrid } from '../scope.js';
import type { Api, RouteDeps } from './deps.js';
import { LEDGER_COLUMNS, cellOf, ledgerCsv, ledgerRow, localStamp, matches, type LedgerRow } from './ledger-rows.js';

const STATES = ['open', 'acknowledged', 'resolved', 'closed'] as const;
const SEVERITIES = ['info', 'warning', 'critical'] as const;
const KINDS = ['smoke', 'gas', 'noise', 'water'] as const;

export async function ledgerRoutes(app: Api, { ctx, rt }: RouteDeps, alerts: AlertService): Promise<void> {
  const people = (): readonly { id: string; name: string; role: string; grids: string[] }[] => ctx.registry.people();
  const nameOf = (id: string | undefined): string => (id === undefined ? '' : id === 'system' ? '系统' : people().find((p) => p.id === id)?.name ?? id);

  app.get('/ledger/people', {
    schema: {
      tags: ['alerts'], summary: 'Names and roles of the people covering the grids the user may see (and the street and admin staff)',
      response: { 200: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), role: Type.String(), grids: Type.Array(Type.String()) })), ...errors },
    },
  }, async (req) => {
    const p = who(req);
    return people()
      .filter((x) => x.role === 'street' || x.role === 'admin' || x.grids.some((g) => canSeeGrid(p, g)))
      .map((x) => ({ id: x.id, name: x.name, role: x.role, grids: x.grids }));
  });

  app.get('/ledger', {
    schema: {
      tags: ['alerts'], summary: 'The case ledger: filtered cases with names, time to acknowledge and to close; JSON, CSV or Excel',
      querystring: Type.Object({
        from: Type.Optional(TimeQ), to: Type.Optional(TimeQ),
        community: Type.Optional(Type.String()), grid: Type.Optional(Type.String()),
        kind: Type.Optional(Type.Union(KINDS.map((k) => Type.Literal(k)))),
        severity: Type.Optional(Type.String({ description: 'comma-separated: info,warning,critical' })),
        state: Type.Optional(Type.String({ description: 'comma-separated: open,acknowledged,resolved,closed' })),
        q: Type.Optional(Type.String({ maxLength: 100 })),
        lang: Type.Optional(Type.Union([Type.Literal('zh'), Type.Literal('en')])),
        format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('xlsx')])),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
      }, { additionalProperties: false }),
    },
  }, async (req, reply) => {
    const p = who(req);
    const q = req.query;
    if (q.grid !== undefined) requireGrid(p, q.grid, 'see the ledger');
    const grids = q.grid !== undefined ? [q.grid] : q.community !== undefined ? p.grids.filter((g) => ctx.site.grids.get(g)?.community === q.community) : p.grids;
    const lang = q.lang ?? p.lang;
    const cases = (await alerts.list({
      state: listParam('state', q.state, STATES), severity: listParam('severity', q.severity, SEVERITIES),
      grids, from: parseTime('from', q.from), to: parseTime('to', q.to), limit: q.limit ?? 2000,
    })).filter((c) => canSeeGrid(p, c.grid));
    const rows: LedgerRow[] = [];
    for (const c of cases) {
      const row = ledgerRow(c, (await alerts.get(c.id))?.ledger ?? [], ctx.site, nameOf, lang);
      if (matches(c, row, q)) rows.push(row);
    }
    const format = q.format ?? 'json';
    if (format === 'json') return rows;
    await audit(rt, req, ctx.clock.now(), 'ledger.export', 'ledger', { format, rows: rows.length });
    const stamp = localStamp(ctx.clock.now()).slice(0, 10);
    if (format === 'csv') {
      return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="gridwatch-ledger-${stamp}.csv"`).send(ledgerCsv(rows, lang));
    }
    const wb = new ExcelJS.Workbook();
    wb.creator = 'gridwatch';
    const ws = wb.addWorksheet(lang === 'zh' ? '告警台账' : 'Ledger', { views: [{ state: 'frozen', ySplit: 1 }] });
    ws.columns = LEDGER_COLUMNS.map((c) => ({ header: c[lang], key: c.key, width: Math.max(10, c[lang].length * 2 + 2) }));
    ws.getRow(1).font = { bold: true };
    for (const r of rows) ws.addRow(Object.fromEntries(LEDGER_COLUMNS.map((c) => [c.key, cellOf(r, c.key)])));
    const buf = Buffer.from(await wb.xlsx.writeBuffer());
    return reply.header('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').header('content-disposition', `attachment; filename="gridwatch-ledger-${stamp}.xlsx"`).send(buf);
  });
}
