import fastify, { LogController } from 'fastify';
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { FastifyBaseLogger } from 'fastify';
import { MAX_BODY_BYTES, TRANSACTION_FORMATS } from '../../domain/transaction.ts';
import type { Scorer } from '../../pipeline/score.ts';
import type { Registry } from 'prom-client';
import { clientErrorHandler, installErrorHandling } from './error-handler.ts';
import type { ReadinessCheck } from '../readiness.ts';
import { healthRoutes } from './health-routes.ts';
import { metricsRoutes } from './metrics-routes.ts';
import type { RulesAdmin } from '../../pipeline/rules-admin.ts';
import { rulesRoutes } from './rules-routes.ts';
import type { AdminAuth } from './auth.ts';
import { securitySchemes } from './auth.ts';
import type { Accounts } from '../../pipeline/accounts.ts';
import { sessionRoutes } from './session-routes.ts';
import { usersRoutes } from './users-routes.ts';
import { scoreRoutes } from './score-routes.ts';
import type { WindowStore } from '../../pipeline/window-store.ts';
import { windowsRoutes } from './windows-routes.ts';

export interface HttpServerOptions {
  logger: FastifyBaseLogger;
  score: Scorer;
  /** Where /metrics reads from; scoring calls are counted by the scorer itself. */
  registry: Registry;
  checks: readonly ReadinessCheck[];
  draining: () => boolean;
  version: string;
  rulesAdmin: RulesAdmin;
  /** Credentials and roles of the administration API (auth.ts). */
  auth: AdminAuth;
  accounts: Accounts;
  /** Serves `GET /v1/windows`. */
  windows: WindowStore;
  /** Whether `GET /v1/windows` takes the admin credential (config WINDOWS_AUTH). */
  windowsAuth?: 'required' | 'none';
  limits?: HttpLimits;
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
    loggerInstance: opts.logger,
    // A line per request would cost more than scoring does; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_BODY_BYTES,
    return503OnClosing: true,
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
      components: { securitySchemes },
    },
    exposeRoute: false,
  } as Parameters<typeof swagger>[1]);
  installErrorHandling(app);
  // JSON only: a text body is refused with 415 rather than failing schema validation.
  app.removeContentTypeParser('text/plain');
  app.get('/docs/json', () => app.swagger());

  await app.register(scoreRoutes, { score: opts.score });
  await app.register(healthRoutes, { checks: opts.checks, draining: opts.draining });
  await app.register(metricsRoutes, { registry: opts.registry });
  await app.register(rulesRoutes, { admin: opts.rulesAdmin, auth: opts.auth });
  await app.register(usersRoutes, { accounts: opts.accounts, auth: opts.auth });
  await app.register(sessionRoutes, { auth: opts.auth });
  await app.register(windowsRoutes, {
    windows: opts.windows,
    auth: opts.windowsAuth ?? 'required',
    adminAuth: opts.auth,
  });
  app.server.maxConnections = limits.maxConnections;
  return app;
}
