// GET /readings: aggregated readings from InfluxDB for one device or a building's devices.
import { Type } from '@sinclair/typebox';
import type { DeviceInfo, KindName } from '../../core/domain.js';
import { GridwatchError, ValidationError } from '../../core/errors.js';
import { parseTime, who } from '../http.js';
import { buildReadingsQuery, everyMs, EVERY_PATTERN, MAX_BUCKETS } from '../readings-query.js';
import { errors, Kind, TimeQ } from '../schemas.js';
import { requireGrid } from '../scope.js';
import type { Api, RouteDeps } from './deps.js';

const Row = Type.Object({ time: Type.Number(), device: Type.String(), kind: Type.String() }, { additionalProperties: Type.Union([Type.Number(), Type.String(), Type.Boolean(), Type.Null()]) });

export async function readingRoutes(app: Api, { ctx }: RouteDeps): Promise<void> {
  app.get('/readings', {
    schema: {
      tags: ['readings'], summary: 'Readings aggregated per `every` bucket (mean; noise: energy-mean LAeq, max Lmax)',
      querystring: Type.Object({
        device: Type.Optional(Type.String()), building: Type.Optional(Type.String()), kind: Type.Optional(Kind),
        from: Type.Optional(TimeQ), to: Type.Optional(TimeQ), every: Type.String({ pattern: EVERY_PATTERN, default: '1h' }),
      }, { additionalProperties: false }),
      response: { 200: Type.Array(Row), ...errors },
    },
  }, async (req) => {
    const p = who(req);
    const q = req.query;
    let devices: DeviceInfo[];
    if (q.device !== undefined) {
      const d = ctx.site.devices.get(q.device);
      if (!d) throw new GridwatchError('GW_ERR_API_NOT_FOUND', `no device '${q.device}'`, { details: { device: q.device } });
      requireGrid(p, d.grid, 'read readings');
      devices = [d];
    } else if (q.building !== undefined) {
      const b = ctx.site.buildings.get(q.building);
      if (!b) throw new GridwatchError('GW_ERR_API_NOT_FOUND', `no building '${q.building}'`, { details: { building: q.building } });
      requireGrid(p, b.grid, 'read readings');
      devices = [...ctx.site.devices.values()].filter((d) => d.building === b.id);
    } else {
      throw new ValidationError('GW_ERR_API_VALIDATION', 'querystring.device', undefined, 'device or building is required');
    }
    if (q.kind !== undefined) devices = devices.filter((d) => d.kind === q.kind);
    const to = parseTime('to', q.to) ?? ctx.clock.now();
    const from = parseTime('from', q.from) ?? to - 24 * 3600_000;
    if (to <= from) throw new ValidationError('GW_ERR_API_VALIDATION', 'querystring.to', q.to, 'must be after from');
    if ((to - from) / everyMs(q.every) > MAX_BUCKETS) throw new ValidationError('GW_ERR_API_VALIDATION', 'querystring.every', q.every, `too fine for the period: at most ${MAX_BUCKETS} buckets`);
    const byKind = new Map<KindName, string[]>();
    for (const d of devices) byKind.set(d.kind, [...(byKind.get(d.kind) ?? []), d.id]);
    const out: Record<string, unknown>[] = [];
    for (const [kind, ids] of byKind) {
      const rows = await ctx.store.influx.query<Record<string, unknown>>(buildReadingsQuery({ kind, devices: ids, from, to, every: q.every }), { database: ctx.store.database });
      for (const r of rows) {
        const row: Record<string, unknown> = { kind };
        for (const [k, v] of Object.entries(r)) if (v !== null) row[k] = k === 'time' ? (v as Date).getTime() : v;
        out.push(row);
      }
    }
    return out.sort((a, b) => (a.time as number) - (b.time as number) || String(a.device).localeCompare(String(b.device)));
  });
}
