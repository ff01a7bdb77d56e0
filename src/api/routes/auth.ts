// POST /auth/login (public, rate-limited), POST /auth/logout, GET /me.
import { Type } from '@sinclair/typebox';
import { GridwatchError } from '../../core/errors.js';
import { audit, who } from '../http.js';
import { errors, Ok, User } from '../schemas.js';
import { bearerToken } from '../sessions.js';
import type { Api, RouteDeps } from './deps.js';

export async function authRoutes(app: Api, { ctx, rt, loginRateMax, loginRateWindowMs }: RouteDeps): Promise<void> {
  app.post('/auth/login', {
    config: { public: true, rateLimit: { max: loginRateMax, timeWindow: loginRateWindowMs } },
    schema: {
      tags: ['auth'], summary: 'Log in with a person id and password; returns a bearer token (12 h)',
      body: Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ token: Type.String(), expiresAt: Type.Number(), user: User }), ...errors },
    },
  }, async (req) => {
    const at = ctx.clock.now();
    try {
      const res = await rt.sessions.login(req.body.username, req.body.password);
      rt.db.audit({ ts: at, actor: res.user.id, action: 'login', target: `person:${res.user.id}`, details: { ip: req.ip } });
      return res;
    } catch (e) {
      rt.db.audit({ ts: at, actor: 'anonymous', action: 'login_failed', target: `person:${req.body.username}`, details: { ip: req.ip } });
      throw e;
    }
  });

  app.post('/auth/logout', {
    schema: { tags: ['auth'], summary: 'Revoke the token used for this request', response: { 200: Ok, ...errors } },
  }, async (req) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) throw new GridwatchError('GW_ERR_API_AUTH', 'no token');
    const ok = rt.sessions.logout(token);
    audit(rt, req, ctx.clock.now(), 'logout', `person:${who(req).id}`);
    return { ok };
  });

  app.get('/me', {
    schema: { tags: ['auth'], summary: 'The logged-in person', response: { 200: User, ...errors } },
  }, async (req) => who(req));
}
