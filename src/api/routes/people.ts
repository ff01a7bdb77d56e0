// People (admin only): GET /people, POST /people (password shown once), PATCH /people/:id,
// POST /people/:id/reset-password, DELETE /people/:id (disable: sessions revoked, login refused).
// Every mutation is audit-logged; password hashes are never in a response.
import { Type } from '@sinclair/typebox';
import { audit, strictValidator, who } from '../http.js';
import { personNotFound, personView } from '../../registry/index.js';
import { errors, Ok, PersonId, PersonT, Role } from '../schemas.js';
import { requireRole } from '../scope.js';
import type { Api, RouteDeps } from './deps.js';

const ADMIN = ['admin'] as const;
const Lang = Type.Union([Type.Literal('zh'), Type.Literal('en')]);
const Grids = Type.Array(PersonId, { maxItems: 200 });
const Params = Type.Object({ id: PersonId });

export async function peopleRoutes(app: Api, { ctx, rt }: RouteDeps): Promise<void> {
  app.get('/people', {
    schema: { tags: ['people'], summary: 'Everyone who may log in (admin); no password hashes', response: { 200: Type.Array(PersonT), ...errors } },
  }, async (req) => {
    requireRole(who(req), ADMIN, 'list people');
    return rt.registry.people().map(personView);
  });

  app.post('/people', {
    schema: {
      tags: ['people'], summary: 'Add a person (admin); their password is shown once',
      body: Type.Object({
        id: PersonId, name: Type.String({ minLength: 1, maxLength: 64 }), role: Role, grids: Grids,
        phone: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })), lang: Type.Optional(Lang),
      }, { additionalProperties: false }),
      response: { 201: Type.Object({ person: PersonT, password: Type.String() }), ...errors },
    },
    validatorCompiler: strictValidator, // an unknown property (e.g. passwordHash) is refused, not dropped
  }, async (req, reply) => {
    requireRole(who(req), ADMIN, 'add people');
    const at = ctx.clock.now();
    const { person, password } = await rt.registry.addPerson(req.body);
    await audit(rt, req, at, 'person.add', `person:${person.id}`, { role: person.role, grids: person.grids });
    return reply.status(201).send({ person: personView(person), password });
  });

  app.patch('/people/:id', {
    schema: {
      tags: ['people'], summary: 'Change a person (admin); applies to their live session at once', params: Params,
      body: Type.Object({
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), role: Type.Optional(Role), grids: Type.Optional(Grids),
        phone: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })), lang: Type.Optional(Lang),
      }, { additionalProperties: false, minProperties: 1 }),
      response: { 200: PersonT, ...errors },
    },
    validatorCompiler: strictValidator,
  }, async (req) => {
    requireRole(who(req), ADMIN, 'change people');
    const at = ctx.clock.now();
    const person = await rt.registry.updatePerson(req.params.id, req.body);
    await audit(rt, req, at, 'person.update', `person:${person.id}`, { changed: Object.keys(req.body) });
    return personView(person);
  });

  app.post('/people/:id/reset-password', {
    schema: { tags: ['people'], summary: 'Issue a new password (admin); shown once, the old one stops working', params: Params, response: { 200: Type.Object({ password: Type.String() }), ...errors } },
  }, async (req) => {
    requireRole(who(req), ADMIN, 'reset passwords');
    const at = ctx.clock.now();
    const password = await rt.registry.resetPassword(req.params.id);
    await audit(rt, req, at, 'person.reset_password', `person:${req.params.id}`);
    return { password };
  });

  app.delete('/people/:id', {
    schema: { tags: ['people'], summary: 'Disable a person (admin): their sessions are revoked and login refused', params: Params, response: { 200: Ok, ...errors } },
  }, async (req) => {
    const p = who(req);
    requireRole(p, ADMIN, 'disable people');
    if (!rt.registry.person(req.params.id)) throw personNotFound(req.params.id);
    const at = ctx.clock.now();
    await rt.registry.disablePerson(req.params.id); // its sessions are revoked through the registry's event
    await audit(rt, req, at, 'person.disable', `person:${req.params.id}`);
    return { ok: true };
  });
}
