import { isUtf8 } from 'node:buffer';
import fastify, { LogController } from 'fastify';
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { FastifyBaseLogger } from 'fastify';
import { MAX_BODY_BYTES, TRANSACTION_FORMATS } from '../../domain/transaction.ts';
import type { Scorer } from '../../pipeline/score.ts';
import type { Registry } from 'prom-client';
import { RiskError } from '../../domain/errors.ts';
import { duplicateNameIn } from '../json-text.ts';
import { documentStatuses, openApiComponents } from './openapi.ts';
import { clientErrorHandler, installErrorHandling, sendError } from './error-handler.ts';
import type { ReadinessCheck } from '../readiness.ts';
import { healthRoutes } from './health-routes.ts';
import { metricsRoutes } from './metrics-routes.ts';
import type { RulesAdmin } from '../../pipeline/rules-admin.ts';
import { rulesRoutes } from './rules-routes.ts';
import type { ModelRegistry } from '../../pipeline/model-registry.ts';
import { modelsRoutes } from './models-routes.ts';
import type { AdminAuth } from './auth.ts';
import { securitySchemes } from './auth.ts';
import type { Accounts } from '../../pipeline/accounts.ts';
import { sessionRoutes } from './session-routes.ts';
import { usersRoutes } from './users-routes.ts';
import { scoreRoutes } from './score-routes.ts';
import type { WindowStore } from '../../pipeline/window-store.ts';
import { windowsRoutes } from './windows-routes.ts';
import type { DecisionLogStore } from '../../pipeline/decision-log.ts';
import { outcomesRoutes } from './outcomes-routes.ts';
import type { DecisionsRoutesOptions } from './decisions-routes.ts';
import { decisionsRoutes } from './decisions-routes.ts';
import { consoleRoutes } from './console-routes.ts';

export interface HttpServerOptions {
  logger: FastifyBaseLogger;
  score: Scorer;
  /** Where /metrics reads from; scoring calls are counted by the scorer itself. */
  registry: Registry;
  checks: readonly ReadinessCheck[];
  draining: () => boolean;
  version: string;
  rulesAdmin: RulesAdmin;
  /** The model registry API (`/v1/models*`); absent: not served. */
  modelRegistry?: ModelRegistry;
  /** Credentials and roles of the administration API (auth.ts). */
  auth: AdminAuth;
  accounts: Accounts;
  /** Serves `GET /v1/windows`. */
  windows: WindowStore;
  /** Serves labels and rule performance. */
  decisionLog: DecisionLogStore;
  /** Whether `GET /v1/windows` takes the admin credential (config WINDOWS_AUTH). */
  windowsAuth?: 'required' | 'none';
  limits?: HttpLimits;
  /** The console's decisions API (`/v1/decisions*`); absent: not served. */
  decisions?: Omit<DecisionsRoutesOptions, 'auth'>;
  /** The built console (`dist/console`) served at `/console/`; absent: not served. */
  consoleDir?: string;
}

/** Bounds on what one client can hold of the server (config: HTTP_*). */
export interface HttpLimits {
  /** The whole request, headers and body, must arrive within this (408 otherwise). */
  requestTimeoutMs: number;
  /** An idle kept-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Connections beyond this are refused (closed at once) until others end. */
  maxConnections: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 72_000,
  maxConnections: 10_000,
};

const MAX_PARAM_LENGTH = 2048;

/** A 200 whose body is documented in words only (and so written as it is). */
const anyObject = { type: 'object', additionalProperties: true } as const;

/** The REST front door, built but not listening: main.ts listens, tests use `inject()`. */
export async function buildHttpServer(opts: HttpServerOptions): Promise<FastifyInstance> {
  const limits = opts.limits ?? DEFAULT_HTTP_LIMITS;
  const app = fastify({
    // A body trickled a byte at a time must not hold a connection for minutes: Node checks
    // every connection's request timeout this often (its default is every 30 s).
    http: {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, limits.requestTimeoutMs / 4)),
    },
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    clientErrorHandler,
    // Path parameters (transaction ids, up to 128 characters, percent-encoded) reach the schema,
    // which names the problem; a URL the router cannot take is a 400 in the service's shape.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: (err, _req, reply) => {
      const message =
        err.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`
          : 'the URL is not valid (bad percent-encoding)';
      sendError(reply, new RiskError('RISK_ERR_VALIDATION', message, [{ field: '/', message }]));
    },
    loggerInstance: opts.logger,
    // A line per request would cost more than scoring does; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_BODY_BYTES,
    // Requests that arrive while closing get a 503 in the service's own shape (below).
    return503OnClosing: false,
    ajv: {
      customOptions: {
        // Unknown fields are an error, not silently dropped; types are not coerced.
        removeAdditional: false,
        coerceTypes: false,
        useDefaults: true,
        allErrors: true,
        // The service's own formats (event-time), the same object the gRPC reader uses.
        formats: { ...TRANSACTION_FORMATS },
      },
    },
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Risk scoring API', version: opts.version },
      servers: [],
      components: { ...openApiComponents, securitySchemes },
    },
    exposeRoute: false,
  } as Parameters<typeof swagger>[1]);
  installErrorHandling(app);
  installBodyChecks(app);
  documentStatuses(app);
  app.get(
    '/docs/json',
    { schema: { description: 'This OpenAPI 3 document', response: { 200: anyObject } } },
    () => app.swagger(),
  );

  await app.register(scoreRoutes, { score: opts.score });
  await app.register(healthRoutes, { checks: opts.checks, draining: opts.draining });
  await app.register(metricsRoutes, { registry: opts.registry });
  await app.register(rulesRoutes, { admin: opts.rulesAdmin, auth: opts.auth });
  if (opts.modelRegistry !== undefined)
    await app.register(modelsRoutes, { registry: opts.modelRegistry, auth: opts.auth });
  await app.register(usersRoutes, { accounts: opts.accounts, auth: opts.auth });
  await app.register(sessionRoutes, { auth: opts.auth });
  await app.register(windowsRoutes, {
    windows: opts.windows,
    auth: opts.windowsAuth ?? 'required',
    adminAuth: opts.auth,
  });
  await app.register(outcomesRoutes, { log: opts.decisionLog, auth: opts.auth });
  if (opts.decisions !== undefined)
    await app.register(decisionsRoutes, { ...opts.decisions, auth: opts.auth });
  if (opts.consoleDir !== undefined) await app.register(consoleRoutes, { dir: opts.consoleDir });
  app.server.maxConnections = limits.maxConnections;
  return app;
}

/**
 * What a request body must be before any route sees it: not compressed (there is no
 * decompression here, so a gzip body is a 415, not a JSON error), JSON (a text body is a 415
 * rather than a schema failure), valid UTF-8 (a decoder would turn bad bytes into U+FFFD, so
 * two different byte strings could become one transaction id), and without repeated names
 * (JSON.parse keeps the last copy silently). Also answers requests that arrive while the
 * server closes with 503 in the service's error shape (fastify's own has another).
 */
function installBodyChecks(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (req, reply, done) => {
    if (closing) {
      void reply.header('connection', 'close');
      sendError(reply, new RiskError('RISK_ERR_UNAVAILABLE', 'the service is shutting down'));
      return;
    }
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      sendError(
        reply,
        new RiskError(
          'RISK_ERR_UNSUPPORTED_MEDIA_TYPE',
          `Content-Encoding ${JSON.stringify(encoding)} is not supported: send the body uncompressed`,
        ),
      );
      return;
    }
    done();
  });
  app.removeContentTypeParser(['text/plain', 'application/json']);
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) {
      done(new RiskError('RISK_ERR_BAD_JSON', 'request body is not valid UTF-8'), undefined);
      return;
    }
    const text = bytes.toString('utf8');
    // The default parser answers through the callback (its promise form is for async parsers).
    void parseJson(req, text, (err, value) => {
      if (err !== null) return done(err, undefined);
      const repeated = duplicateNameIn(text);
      if (repeated === null) return done(null, value);
      const message = 'is a repeated name: each member may appear once';
      done(
        new RiskError('RISK_ERR_BAD_JSON', `${repeated}: ${message}`, [
          { field: repeated, message },
        ]),
        undefined,
      );
    });
  });
}
