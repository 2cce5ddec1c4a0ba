import type { FastifyPluginAsync } from 'fastify';

export interface ReadinessCheck {
  /** The dependency's name as operators know it: `redis`, `postgres`, `kafka`, `rules`. */
  name: string;
  check(): Promise<void>;
}

export interface HealthRoutesOptions {
  checks: readonly ReadinessCheck[];
  /** True once shutdown has begun: readiness fails so that load balancers stop sending. */
  draining: () => boolean;
  timeoutMs?: number;
}

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
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
    const results = await Promise.all(
      opts.checks.map(async (c) => {
        try {
          await withTimeout(c.check(), timeoutMs);
          return { dependency: c.name, ok: true as const };
        } catch (err) {
          return {
            dependency: c.name,
            ok: false as const,
            error: err instanceof Error ? err.message : String(err),
          };
        }
      }),
    );
    const failing = results
      .filter((r) => !r.ok)
      .map(({ dependency, error }) => ({ dependency, error }));
    const checks = Object.fromEntries(results.map((r) => [r.dependency, r.ok ? 'ok' : 'failing']));
    if (failing.length > 0)
      return reply.status(503).send({ status: 'unavailable', checks, failing });
    return { status: 'ready', checks };
  });
  return Promise.resolve();
};
