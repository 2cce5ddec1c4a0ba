import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode, ErrorDetail } from '../../domain/errors.ts';
import type { RiskError } from '../../domain/errors.ts';
import { ERROR_CODES, capDetails, isRiskError } from '../../domain/errors.ts';
import { describeValidation } from '../validation-details.ts';

/** The one place where error codes become HTTP statuses. */
const STATUS: Record<ErrorCode, number> = {
  RISK_ERR_VALIDATION: 400,
  RISK_ERR_BAD_JSON: 400,
  RISK_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  RISK_ERR_PAYLOAD_TOO_LARGE: 413,
  RISK_ERR_BAD_REQUEST: 400,
  RISK_ERR_HEADERS_TOO_LARGE: 431,
  RISK_ERR_REQUEST_TIMEOUT: 408,
  RISK_ERR_IDEMPOTENCY_CONFLICT: 409,
  RISK_ERR_CONFLICT: 409,
  RISK_ERR_UNAUTHORIZED: 401,
  RISK_ERR_FORBIDDEN: 403,
  RISK_ERR_NOT_FOUND: 404,
  RISK_ERR_METHOD_NOT_ALLOWED: 405,
  RISK_ERR_RATE_LIMITED: 429,
  RISK_ERR_UNAVAILABLE: 503,
  RISK_ERR_INTERNAL: 500,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; retriable: boolean; details?: readonly ErrorDetail[] };
}

/** Problems listed in one error body at most (the last entry then counts the rest). */
export const MAX_ERROR_DETAILS = 100;

function body(code: ErrorCode, message: string, details?: readonly ErrorDetail[]): ErrorBody {
  const { retriable } = ERROR_CODES[code];
  return {
    error: {
      code,
      message,
      retriable,
      ...(details && details.length > 0 && { details: capDetails(details, MAX_ERROR_DETAILS) }),
    },
  };
}

function classify(err: FastifyError): ErrorBody & { status: number } {
  if (isRiskError(err))
    return { status: STATUS[err.code], ...body(err.code, err.message, err.details) };
  if (err.validation) {
    const details = describeValidation(err.validation);
    const first = details[0];
    const message = first
      ? `${first.field}: ${first.message}`
      : 'request does not match the schema';
    return { status: 400, ...body('RISK_ERR_VALIDATION', message, details) };
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        ...body('RISK_ERR_PAYLOAD_TOO_LARGE', 'request body is larger than 64 KiB'),
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, ...body('RISK_ERR_UNSUPPORTED_MEDIA_TYPE', 'send application/json') };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, ...body('RISK_ERR_BAD_JSON', 'request body is empty') };
  }
  if (err instanceof SyntaxError || err.statusCode === 400) {
    return {
      status: 400,
      ...body('RISK_ERR_BAD_JSON', `request body is not valid JSON: ${err.message}`),
    };
  }
  if (err.statusCode === 404) return { status: 404, ...body('RISK_ERR_NOT_FOUND', err.message) };
  return { status: 500, ...body('RISK_ERR_INTERNAL', 'internal error') };
}

/** Answers a RiskError from a hook, in the shape and status the error handler would give. */
export function sendError(reply: FastifyReply, err: RiskError): void {
  void reply.status(STATUS[err.code]).send(body(err.code, err.message, err.details));
}

/** Installs the error handler and the 404 handler that every route group shares. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const { status, ...payload } = classify(err);
    // Details of unexpected errors go to the log only; the wire carries known codes.
    if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.debug({ err }, 'request rejected');
    return reply.status(status).send(payload);
  });
  // Every route as a pattern, so that a known path asked with another method is a 405.
  const routes: Array<{ methods: readonly string[]; pattern: RegExp }> = [];
  app.addHook('onRoute', (r) => {
    routes.push({ methods: [r.method].flat(), pattern: routePattern(r.url) });
  });
  const notFound = (req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const path = req.url.split('?', 1)[0] ?? req.url;
    const allowed = [
      ...new Set(routes.filter((r) => r.pattern.test(path)).flatMap((r) => r.methods)),
    ];
    if (allowed.length > 0) {
      return reply
        .status(405)
        .header('allow', allowed.join(', '))
        .send(
          body(
            'RISK_ERR_METHOD_NOT_ALLOWED',
            `${req.method} is not allowed on ${path}: use ${allowed.join(', ')}`,
          ),
        );
    }
    return reply.status(404).send(body('RISK_ERR_NOT_FOUND', `no route ${req.method} ${path}`));
  };
  // Answered before the body is read: a body method the route does not have (QUERY, say)
  // would otherwise fail on its content type first.
  app.addHook('onRequest', (req, reply, done) => {
    if (req.is404) notFound(req, reply);
    else done();
  });
  app.setNotFoundHandler(notFound);
}

/** A fastify route path (`/v1/rules/versions/:version`, `/console/*`) as a whole-path RegExp. */
function routePattern(url: string): RegExp {
  const source = url
    .split('/')
    .map((part) =>
      part.startsWith(':')
        ? '[^/]+'
        : part === '*'
          ? '.*'
          : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  return new RegExp(`^${source}$`);
}

/**
 * Errors Node's HTTP parser meets before a request reaches fastify (a request that did not
 * arrive within the request timeout, broken framing, oversized headers), answered in the
 * service's own error shape instead of fastify's default one, then the connection is closed.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  // A reset connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, message]: [ErrorCode, string] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? ['RISK_ERR_REQUEST_TIMEOUT', 'the request did not arrive in time']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? ['RISK_ERR_HEADERS_TOO_LARGE', 'request headers too large']
        : ['RISK_ERR_BAD_REQUEST', `malformed HTTP request (${err.code ?? 'parse error'})`];
  const status = STATUS[code];
  const json = JSON.stringify(body(code, message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy();
}
