import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import { RiskError } from '../../domain/errors.ts';
import { BEARER_SCHEME } from './openapi.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** For a route's `schema`: documents the bearer scheme and the statuses it adds. */
export const securedBy = [{ [BEARER_SCHEME]: [] }];

/**
 * Bearer-token check in constant time (comparing digests keeps lengths equal): 401 without a
 * token, 403 with a wrong one, 403 naming ADMIN_TOKEN when the service has none. `what` names
 * the API in the disabled message.
 */
export function authorize(req: FastifyRequest, token: string | undefined, what: string): void {
  if (token === undefined)
    throw new RiskError('RISK_ERR_FORBIDDEN', `${what} is disabled: set ADMIN_TOKEN to enable it`);
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (match === null)
    throw new RiskError(
      'RISK_ERR_UNAUTHORIZED',
      'missing bearer token: send "Authorization: Bearer <ADMIN_TOKEN>"',
    );
  if (!timingSafeEqual(digest(match[1] ?? ''), digest(token)))
    throw new RiskError('RISK_ERR_FORBIDDEN', 'the bearer token is not valid for this service');
}

/** `authorize` as a fastify onRequest hook for a whole route group. */
export function requireBearer(token: string | undefined, what: string): onRequestHookHandler {
  return (req, _reply, done) => {
    try {
      authorize(req, token, what);
      done();
    } catch (err) {
      done(err as Error);
    }
  };
}
