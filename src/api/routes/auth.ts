// POST /auth/login (public; failed attempts throttled per person + address with backoff, slowed
// per person and per address; a coarse per-address flood limit), POST /auth/logout, GET /me.
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
  }, async (req, reply) => {
    const at = ctx.clock.now();
    const { username } = req.body;
    // attempt rates are wall time, whatever clock the hub runs on
    const verdict = rt.logins.check(username, req.ip, Date.now());
    if (verdict.refuseMs > 0) {
      const retryAfter = Math.ceil(verdict.refuseMs / 1000);
      void reply.header('retry-after', String(retryAfter));
      throw new GridwatchError('GW_ERR_API_RATE', `too many failed logins for '${username}' from this address; try again in ${retryAfter} s`, { details: { retryAfter } });
    }
    if (verdict.delayMs > 0) await new Promise((r) => setTimeout(r, verdict.delayMs));
    try {
      const res = await rt.sessions.login(username, req.body.password);
      rt.logins.succeeded(username, req.ip);
      await rt.db.shareLogin?.(username, req.ip, true);
      await rt.db.audit({ ts: at, actor: res.user.id, action: 'login', target: `person:${res.user.id}`, details: { ip: req.ip } });
      return res;
    } catch (e) {
      rt.logins.failed(username, req.ip, Date.now());
      await rt.db.shareLogin?.(username, req.ip, false);
      await rt.db.audit({ ts: at, actor: 'anonymous', action: 'login_failed', target: `person:${username}`, details: { ip: req.ip } });
      throw e;
    }
  });

  app.post('/auth/logout', {
    schema: { tags: ['auth'], summary: 'Revoke the token used for this request', response: { 200: Ok, ...errors } },
  }, async (req) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) throw new GridwatchError('GW_ERR_API_AUTH', 'no token');
    const ok = await rt.sessions.logout(token);
    await audit(rt, req, ctx.clock.now(), 'logout', `person:${who(req).id}`);
    return { ok };
  });

  app.get('/me', {
    schema: { tags: ['auth'], summary: 'The logged-in person', response: { 200: User, ...errors } },
  }, async (req) => who(req));
}
