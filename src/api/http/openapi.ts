import type { FastifyInstance, RouteOptions } from 'fastify';
import { ERROR_CODES } from '../../domain/errors.ts';
import { MAX_ERROR_DETAILS } from './error-handler.ts';

/*
 * The OpenAPI document (`GET /docs/json`) lists every status a route can answer, each error
 * with the one error body, so that a client generator, a contract test (schemathesis in CI)
 * and a reader see the same thing the service does.
 */

/** The OpenAPI security scheme of every route that takes a credential. */
export const BEARER_SCHEME = 'bearer';

/** The body of every error (src/api/http/error-handler.ts). */
export const errorBodySchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'retriable'],
      properties: {
        code: { type: 'string', enum: Object.keys(ERROR_CODES) },
        message: { type: 'string' },
        retriable: { type: 'boolean', description: 'whether the same request may succeed later' },
        details: {
          type: 'array',
          maxItems: MAX_ERROR_DETAILS,
          description: `each problem, at most ${MAX_ERROR_DETAILS} (the last then counts the rest)`,
          items: {
            type: 'object',
            required: ['message'],
            additionalProperties: true,
            properties: {
              field: { type: 'string', description: 'JSON pointer into the request' },
              rule: { type: 'string' },
              message: { type: 'string' },
            },
          },
        },
      },
    },
  },
} as const;

const error = (description: string) => ({ description, ...errorBodySchema });

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Statuses a route answers beyond what its schema implies, with what each means. */
    errors?: Partial<Record<number, string>>;
  }
}

const AUTH_STATUSES = new Map([
  [401, 'no credential, or an expired session'],
  [403, 'the credential is not valid, its user is disabled, or its role is too low'],
  [429, 'failed sign-ins from this address or for this credential are being slowed down'],
]);

/**
 * Marks every route of the calling plugin as taking these credentials (its `security` and its
 * 401, 403 and 429), for plugins that check them in a hook for all their routes.
 */
export function documentSecured(
  app: FastifyInstance,
  security: Array<Record<string, string[]>>,
): void {
  app.addHook('onRoute', (route) => {
    const schema = (route.schema ??= {});
    schema.security = security;
    const response = (schema.response ??= {}) as Record<number, unknown>;
    for (const [status, text] of AUTH_STATUSES) response[status] ??= error(text);
  });
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** The statuses a route answers because of its shape; `route.config.errors` adds its own. */
function statusesOf(route: RouteOptions): Map<number, string> {
  const schema = route.schema ?? {};
  const withBody = [route.method].flat().some((m) => BODY_METHODS.has(m));
  const out = new Map<number, string>();
  if (withBody || schema.querystring !== undefined || schema.params !== undefined)
    out.set(400, 'the request does not match its schema, or its body is not valid JSON');
  if (withBody) {
    out.set(408, 'the request did not arrive within HTTP_REQUEST_TIMEOUT_MS');
    out.set(413, 'the body is larger than the route accepts');
    out.set(415, 'the body is not JSON, or is compressed');
  }
  if (schema.security !== undefined) for (const [s, text] of AUTH_STATUSES) out.set(s, text);
  if (schema.params !== undefined) out.set(404, 'no such resource');
  for (const [status, text] of Object.entries(route.config?.errors ?? {}))
    if (text !== undefined) out.set(Number(status), text);
  out.set(500, 'a fault of the service (logged); retriable');
  out.set(503, 'a dependency is unavailable, or the service is shutting down; retriable');
  return out;
}

/**
 * Adds the error statuses to every route's `response` as the route is registered, and the
 * bearer scheme to routes whose schema names it. Call before the routes are registered.
 */
export function documentStatuses(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (route.schema?.hide === true) return;
    const schema = (route.schema ??= {});
    const response = (schema.response ??= {}) as Record<number, unknown>;
    // A route whose success is described in words only: any JSON object, written as it is.
    if (!Object.keys(response).some((s) => s.startsWith('2')))
      response[200] = { description: 'OK', type: 'object', additionalProperties: true };
    for (const [status, description] of statusesOf(route)) response[status] ??= error(description);
  });
}

/** The `components` part of the document: the bearer scheme. */
export const openApiComponents = {
  securitySchemes: {
    [BEARER_SCHEME]: {
      type: 'http',
      scheme: 'bearer',
      description: 'ADMIN_TOKEN (the bootstrap administrator)',
    },
  },
};
