import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { RiskError } from '../../domain/errors.ts';
import { BEARER_SCHEME, openApiComponents } from './openapi.ts';
import type { Role } from '../../domain/users.ts';
import { roleAllows } from '../../domain/users.ts';
import type { Principal, SignIn } from '../../pipeline/sign-in.ts';
import { RateLimitedError } from '../../pipeline/sign-in.ts';

/** The OpenAPI scheme of the session cookie, the alternative to a bearer token. */
export const SESSION_SCHEME = 'session';

/** For a route's `schema`: documents the bearer scheme and the statuses it adds. */
export const securedBy: Array<Record<string, string[]>> = [
  { [BEARER_SCHEME]: [] },
  { [SESSION_SCHEME]: [] },
];

/** The OpenAPI document's `components.securitySchemes`. */
export const securitySchemes = {
  ...openApiComponents.securitySchemes,
  [BEARER_SCHEME]: {
    type: 'http',
    scheme: 'bearer',
    description: 'ADMIN_TOKEN (the bootstrap admin) or a user\u2019s API token (rsk_…)',
  },
  [SESSION_SCHEME]: {
    type: 'apiKey',
    in: 'cookie',
    name: 'risk_session',
    description:
      'the session cookie of POST /v1/session; requests that change state also send the header x-risk-csrf',
  },
};

/** The session cookie (HttpOnly, SameSite=Strict, Secure when configured). */
export const SESSION_COOKIE = securitySchemes[SESSION_SCHEME].name;

/**
 * The CSRF defence for cookie-authenticated requests that change state: they must carry this
 * header (any value). A cross-site form cannot set a header, and a cross-site script that
 * tries needs a CORS preflight this service never grants; SameSite=Strict keeps the cookie off
 * cross-site requests in the first place, and an `Origin` naming another host is refused too.
 */
export const CSRF_HEADER = 'x-risk-csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AdminAuthOptions {
  signIn: SignIn;
  /** Adds `Secure` to the session cookie: set it when clients reach the service over TLS. */
  cookieSecure: boolean;
  /** The cookie's Max-Age: the session's absolute lifetime. */
  sessionMaxMs: number;
  /**
   * Where failed sign-ins find the client's address: unset, the connection's peer; a header
   * name (`x-forwarded-for`), its last entry, the one the trusted proxy in front appended.
   */
  clientAddressHeader?: string | undefined;
}

/**
 * The one place where the HTTP API checks credentials (DESIGN.md §4.10): a bearer ADMIN_TOKEN
 * (the bootstrap admin), a bearer user API token, or a session cookie; then the role the route
 * needs. 401 without credentials or with an expired session, 403 with a wrong token, a
 * disabled user or a role too low (naming the role needed), 429 with Retry-After while
 * failures under the name or the address are being slowed down.
 */
export interface AdminAuth {
  /** An onRequest hook: the caller must hold `role` or a higher one. */
  require(role: Role): onRequestAsyncHookHandler;
  /** Who called (after `require` ran on the route). */
  principalOf(req: FastifyRequest): Principal;
  signIn: SignIn;
  /** The session cookie's value, if the request has one. */
  sessionIdOf(req: FastifyRequest): string | undefined;
  setSessionCookie(reply: FastifyReply, id: string): void;
  clearSessionCookie(reply: FastifyReply): void;
  /** Refuses a cookie-authenticated state change without the CSRF header or from elsewhere. */
  checkCsrf(req: FastifyRequest): void;
  /** Sets Retry-After for a rate-limit refusal, then rethrows. */
  rethrow(reply: FastifyReply, err: unknown): never;
  /** The client's address as failed sign-ins count it. */
  clientOf(req: FastifyRequest): string;
}

function cookieValue(req: FastifyRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function createAdminAuth(opts: AdminAuthOptions): AdminAuth {
  const principals = new WeakMap<FastifyRequest, Principal>();
  const { signIn } = opts;
  const addressHeader = opts.clientAddressHeader?.toLowerCase();

  function clientOf(req: FastifyRequest): string {
    if (addressHeader === undefined) return req.ip;
    const value = req.headers[addressHeader];
    const last = (Array.isArray(value) ? value.join(',') : (value ?? '')).split(',').pop()?.trim();
    return last === undefined || last === '' ? req.ip : last;
  }

  function checkCsrf(req: FastifyRequest): void {
    if (SAFE_METHODS.has(req.method)) return;
    if (req.headers[CSRF_HEADER] === undefined)
      throw new RiskError(
        'RISK_ERR_FORBIDDEN',
        `a request signed in with the session cookie that changes state needs the header ${CSRF_HEADER} (CSRF defence)`,
      );
    const origin = req.headers.origin;
    if (typeof origin === 'string' && origin !== 'null') {
      let host: string | undefined;
      try {
        host = new URL(origin).host;
      } catch {
        host = undefined;
      }
      // Browsers leave the default port out of both; inject() and some proxies write it.
      const bare = (h: string | undefined) => h?.replace(/:(80|443)$/, '');
      if (bare(host) !== bare(req.headers.host))
        throw new RiskError('RISK_ERR_FORBIDDEN', `requests from ${origin} are not accepted`);
    }
  }

  async function authenticate(req: FastifyRequest): Promise<Principal> {
    const header = req.headers.authorization;
    if (typeof header === 'string') {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (match === null)
        throw new RiskError(
          'RISK_ERR_UNAUTHORIZED',
          'missing bearer token: send "Authorization: Bearer <ADMIN_TOKEN or a user\u2019s API token>"',
        );
      return signIn.bearer(match[1] ?? '', clientOf(req));
    }
    const session = cookieValue(req, SESSION_COOKIE);
    if (session !== undefined && session !== '') {
      checkCsrf(req);
      return (await signIn.session(session)).principal;
    }
    throw new RiskError(
      'RISK_ERR_UNAUTHORIZED',
      'missing bearer token: send "Authorization: Bearer <ADMIN_TOKEN or a user\u2019s API token>", or sign in with POST /v1/session',
    );
  }

  function rethrow(reply: FastifyReply, err: unknown): never {
    if (err instanceof RateLimitedError) reply.header('retry-after', String(err.retryAfterSeconds));
    throw err;
  }

  const cookieAttributes = `Path=/; HttpOnly; SameSite=Strict${opts.cookieSecure ? '; Secure' : ''}`;

  return {
    require(role) {
      return async (req, reply) => {
        let principal: Principal;
        try {
          principal = await authenticate(req);
        } catch (err) {
          rethrow(reply, err);
        }
        if (!roleAllows(principal.role, role))
          throw new RiskError(
            'RISK_ERR_FORBIDDEN',
            `this needs the role ${role} or higher; ${principal.username} has the role ${principal.role}`,
          );
        principals.set(req, principal);
      };
    },
    principalOf(req) {
      const p = principals.get(req);
      if (p === undefined)
        throw new Error(`no principal on ${req.method} ${req.url}: route lacks require()`);
      return p;
    },
    signIn,
    sessionIdOf: (req) => cookieValue(req, SESSION_COOKIE),
    setSessionCookie(reply, id) {
      const maxAge = Math.floor(opts.sessionMaxMs / 1000);
      reply.header('set-cookie', `${SESSION_COOKIE}=${id}; Max-Age=${maxAge}; ${cookieAttributes}`);
    },
    clearSessionCookie(reply) {
      reply.header('set-cookie', `${SESSION_COOKIE}=; Max-Age=0; ${cookieAttributes}`);
    },
    checkCsrf,
    rethrow,
    clientOf,
  };
}

/**
 * The audit's author: the signed-in user. A user may repeat their own name in `author` but not
 * write another; the bootstrap ADMIN_TOKEN names whom it likes (default `admin`).
 */
export function authorOf(auth: AdminAuth, req: FastifyRequest, bodyAuthor?: string): string {
  const who = auth.principalOf(req);
  if (who.bootstrap || bodyAuthor === undefined || bodyAuthor === who.username)
    return bodyAuthor ?? who.username;
  throw new RiskError(
    'RISK_ERR_VALIDATION',
    `/author: must be left out or be your own user name (${who.username}): the audit names the signed-in user`,
    [{ field: '/author', message: `must be left out or be ${who.username}` }],
  );
}
