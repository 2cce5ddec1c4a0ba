import type { FastifyPluginAsync } from 'fastify';
import type { AdminAuth } from './auth.ts';
import { CSRF_HEADER, securedBy } from './auth.ts';
import { RiskError } from '../../domain/errors.ts';
import { PASSWORD_MAX_LENGTH, ROLES } from '../../domain/users.ts';

export interface SessionRoutesOptions {
  auth: AdminAuth;
}

const sessionSchema = {
  type: 'object',
  required: ['user', 'role', 'via', 'expires_at'],
  properties: {
    user: { type: 'string' },
    role: { type: 'string', enum: [...ROLES] },
    via: { type: 'string', enum: ['admin-token', 'user-token', 'session'] },
    expires_at: {
      type: ['string', 'null'],
      format: 'date-time',
      description: 'when the session ends if unused (null for a bearer token)',
    },
  },
} as const;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Sessions (DESIGN.md §4.10): `POST /v1/session` with `{username, password}` or `{token}`
 * (ADMIN_TOKEN or a user's API token) sets the session cookie; `GET` says who is signed in
 * (any credential); `DELETE` signs out. Failures are slowed down per name and per address.
 */
export const sessionRoutes: FastifyPluginAsync<SessionRoutesOptions> = (app, opts) => {
  const { auth } = opts;
  const tags = ['session'];

  app.post<{ Body: { username?: string; password?: string; token?: string } }>(
    '/v1/session',
    {
      config: {
        errors: {
          403: 'wrong user name, password or token, or the user is disabled',
          429: 'failed sign-ins for this name or from this address are being slowed down (Retry-After)',
        },
      },
      schema: {
        tags,
        description: `Signs in. Send either username and password, or token. The answer sets the HttpOnly, SameSite=Strict cookie; requests that change state with it must carry the header ${CSRF_HEADER}.`,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            username: { type: 'string', minLength: 1, maxLength: 64 },
            password: { type: 'string', minLength: 1, maxLength: PASSWORD_MAX_LENGTH },
            token: { type: 'string', minLength: 1, maxLength: 512 },
          },
        },
        response: { 201: sessionSchema },
      },
    },
    async (req, reply) => {
      const { username, password, token } = req.body;
      const byPassword = username !== undefined && password !== undefined;
      if (byPassword === (token !== undefined) || (!byPassword && username !== undefined))
        throw new RiskError(
          'RISK_ERR_VALIDATION',
          '/: send either username and password, or token',
          [{ field: '/', message: 'send either username and password, or token' }],
        );
      try {
        const principal = byPassword
          ? await auth.signIn.password(username, password, auth.clientOf(req))
          : await auth.signIn.bearer(token ?? '', auth.clientOf(req));
        const opened = await auth.signIn.openSession(principal);
        auth.setSessionCookie(reply, opened.id);
        return await reply.status(201).send({
          user: opened.principal.username,
          role: opened.principal.role,
          via: 'session',
          expires_at: iso(opened.expiresAtMs),
        });
      } catch (err) {
        auth.rethrow(reply, err);
      }
    },
  );

  app.get(
    '/v1/session',
    {
      onRequest: auth.require('viewer'),
      schema: { tags, security: securedBy, response: { 200: sessionSchema } },
    },
    (req) => {
      const who = auth.principalOf(req);
      return {
        user: who.username,
        role: who.role,
        via: who.via,
        expires_at: who.expiresAtMs === undefined ? null : iso(who.expiresAtMs),
      };
    },
  );

  app.delete(
    '/v1/session',
    {
      config: { errors: { 403: `a cookie without the ${CSRF_HEADER} header` } },
      schema: {
        tags,
        description: `Signs out (with the cookie, needs the header ${CSRF_HEADER}).`,
        response: {
          204: { description: 'signed out (also when no session was open)', type: 'null' },
        },
      },
    },
    async (req, reply) => {
      const id = auth.sessionIdOf(req);
      if (id !== undefined && id !== '') {
        auth.checkCsrf(req);
        await auth.signIn.closeSession(id);
      }
      auth.clearSessionCookie(reply);
      return reply.status(204).send();
    },
  );
  return Promise.resolve();
};
