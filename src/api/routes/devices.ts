// GET /devices (scoped, live status), POST /devices (admin), POST /devices/:id/rotate-secret,
// DELETE /devices/:id (decommission). Mutations are audit-logged; secrets are returned once.
import { Type } from '@sinclair/typebox';
import { DEVICE_ID_PATTERN } from '../../core/domain.js';
import { audit, who } from '../http.js';
import { deviceNotFound as notFound } from '../../registry/index.js';
import { errors, DeviceView, IdParam, Kind, Ok, ProvisionedDevice } from '../schemas.js';
import { requireGrid, requireRole } from '../scope.js';
import type { Api, RouteDeps } from './deps.js';

const ADMIN = ['admin'] as const;

export async function deviceRoutes(app: Api, { ctx, rt }: RouteDeps): Promise<void> {
  app.get('/devices', {
    schema: {
      tags: ['devices'], summary: 'Devices the person may see, with live status',
      querystring: Type.Object({ grid: Type.Optional(Type.String()), building: Type.Optional(Type.String()), kind: Type.Optional(Kind) }, { additionalProperties: false }),
      response: { 200: Type.Array(DeviceView), ...errors },
    },
  }, async (req) => {
    const p = who(req);
    if (req.query.grid !== undefined) requireGrid(p, req.query.grid, 'see devices');
    const b = req.query.building !== undefined ? ctx.site.buildings.get(req.query.building) : undefined;
    if (b) requireGrid(p, b.grid, 'see devices');
    return rt.board.list({ grids: p.grids, grid: req.query.grid, building: req.query.building, kind: req.query.kind });
  });

  app.get('/devices/:id', {
    schema: { tags: ['devices'], summary: 'One device with live status', params: IdParam, response: { 200: DeviceView, ...errors } },
  }, async (req) => {
    const v = rt.board.view(req.params.id);
    if (!v) throw notFound(req.params.id);
    requireGrid(who(req), v.grid, 'see devices');
    return v;
  });

  app.post('/devices', {
    schema: {
      tags: ['devices'], summary: 'Register a device (admin); the secret is shown once',
      body: Type.Object({
        id: Type.String({ pattern: DEVICE_ID_PATTERN }), kind: Kind, building: Type.String({ minLength: 1 }),
        unit: Type.Optional(Type.String({ maxLength: 64 })), intervalS: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 86400 })),
        valve: Type.Optional(Type.Boolean()),
      }, { additionalProperties: false }),
      response: { 201: Type.Object({ device: ProvisionedDevice, secret: Type.String() }), ...errors },
    },
  }, async (req, reply) => {
    requireRole(who(req), ADMIN, 'register devices');
    const at = ctx.clock.now();
    const { device, secret } = await rt.registry.provisionDevice(req.body);
    await audit(rt, req, at, 'device.add', `device:${device.id}`, { kind: device.kind, building: device.building });
    const { secretHash: _omit, ...shown } = device;
    return reply.status(201).send({ device: shown, secret });
  });

  app.post('/devices/:id/rotate-secret', {
    schema: { tags: ['devices'], summary: 'Issue a new secret (admin); the old one stops working', params: IdParam, response: { 200: Type.Object({ secret: Type.String() }), ...errors } },
  }, async (req) => {
    requireRole(who(req), ADMIN, 'rotate device secrets');
    const at = ctx.clock.now();
    const secret = await rt.registry.rotateSecret(req.params.id);
    await audit(rt, req, at, 'device.rotate_secret', `device:${req.params.id}`);
    return { secret };
  });

  app.delete('/devices/:id', {
    schema: { tags: ['devices'], summary: 'Decommission a device (admin)', params: IdParam, response: { 200: Ok, ...errors } },
  }, async (req) => {
    requireRole(who(req), ADMIN, 'decommission devices');
    const at = ctx.clock.now();
    await rt.registry.decommission(req.params.id);
    await audit(rt, req, at, 'device.decommission', `device:${req.params.id}`);
    return { ok: true };
  });
}
