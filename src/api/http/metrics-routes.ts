import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';

/** `GET /metrics` in the Prometheus text format. */
export const metricsRoutes: FastifyPluginAsync<{ registry: Registry }> = (app, opts) => {
  const text = { 'text/plain': { schema: { type: 'string' } } };
  const schema = {
    description: 'Prometheus text exposition format 0.0.4',
    response: { 200: { description: 'every metric the service exports', content: text } },
  };
  app.get('/metrics', { schema }, async (_req, reply) => {
    const text = await opts.registry.metrics();
    return reply.type(opts.registry.contentType).send(text);
  });
  return Promise.resolve();
};
