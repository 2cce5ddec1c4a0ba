import type { ReadinessCheck } from '../readiness.ts';
import { runReadinessChecks } from '../readiness.ts';
import type { FastifyPluginAsync } from 'fastify';

export interface HealthRoutesOptions {
  checks: readonly ReadinessCheck[];
  /** True once shutdown has begun: readiness fails so that load balancers stop sending. */
  draining: () => boolean;
  timeoutMs?: number;
}

const failing = {
  type: 'array',
  items: {
    type: 'object',
    required: ['dependency', 'error'],
    properties: {
      dependency: { type: 'string' },
      error: { type: 'string' },
      critical: { type: 'boolean' },
    },
  },
} as const;

const report = (description: string, statuses: readonly string[]) => ({
  description,
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: statuses },
    checks: { type: 'object', additionalProperties: { type: 'string', enum: ['ok', 'failing'] } },
    failing,
  },
});

const readinessSchema = {
  description:
    'Readiness: 200 while the replica answers scoring calls (`degraded` when a non-critical dependency fails, see READINESS_ON_REDIS_FAILURE), 503 while draining or when a critical dependency fails.',
  response: {
    200: report('in rotation', ['ready', 'degraded']),
    503: report('out of rotation: draining, or a critical dependency fails', [
      'draining',
      'unavailable',
    ]),
  },
};

/** `/healthz` (the process is alive) and `/readyz` (every dependency answers). */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = (app, opts) => {
  const timeoutMs = opts.timeoutMs ?? 1000;
  app.get(
    '/healthz',
    {
      schema: {
        description: 'Liveness: the process answers.',
        response: {
          200: { type: 'object', required: ['status'], properties: { status: { const: 'ok' } } },
        },
      },
    },
    () => ({ status: 'ok' }),
  );
  app.get('/readyz', { schema: readinessSchema }, async (_req, reply) => {
    if (opts.draining()) {
      return reply
        .status(503)
        .send({ status: 'draining', failing: [{ dependency: 'server', error: 'shutting down' }] });
    }
    const results = await runReadinessChecks(opts.checks, timeoutMs);
    const failing = results
      .filter((r) => !r.ok)
      .map(({ dependency, error, critical }) => ({ dependency, error, critical }));
    const checks = Object.fromEntries(results.map((r) => [r.dependency, r.ok ? 'ok' : 'failing']));
    if (failing.some((f) => f.critical))
      return reply.status(503).send({ status: 'unavailable', checks, failing });
    // Only non-critical dependencies fail: still ready, answers are degraded.
    if (failing.length > 0) return { status: 'degraded', checks, failing };
    return { status: 'ready', checks };
  });
  return Promise.resolve();
};
