import type { ReadinessCheck } from '../readiness.ts';
import { runReadinessChecks } from '../readiness.ts';
import type { FastifyPluginAsync } from 'fastify';

export interface HealthRoutesOptions {
  checks: readonly ReadinessCheck[];
  /** True once shutdown has begun: readiness fails so that load balancers stop sending. */
  draining: () => boolean;
  timeoutMs?: number;
}

/** `/healthz` (the process is alive) and `/readyz` (every dependency answers). */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = (app, opts) => {
  const timeoutMs = opts.timeoutMs ?? 1000;
  app.get('/healthz', () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
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
