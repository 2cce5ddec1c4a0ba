import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';

/** `GET /metrics` in the Prometheus text format. */
export const metricsRoutes: FastifyPluginAsync<{ registry: Registry }> = (app, opts) => {
  app.get('/metrics', async (_req, reply) => {
    const text = await opts.registry.metrics();
    return reply.type(opts.registry.contentType).send(text);
  });
  return Promise.resolve();
};
