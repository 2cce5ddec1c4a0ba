import type { FastifyPluginAsync } from 'fastify';
import { transactionSchema } from '../../domain/transaction.ts';
import type { Transaction } from '../../domain/transaction.ts';
import type { Scorer } from '../../pipeline/score.ts';

const reason = {
  type: 'object',
  required: ['rule', 'score'],
  properties: {
    rule: { type: 'string' },
    score: { type: 'number' },
    action: { type: 'string', enum: ['approve', 'review', 'decline'] },
    description: { type: 'string' },
    shadow: { type: 'boolean' },
  },
} as const;

export const scoreResponseSchema = {
  $id: 'ScoreResponse',
  type: 'object',
  required: [
    'transaction_id',
    'decision',
    'risk_score',
    'risk_flag',
    'reasons',
    'anomaly_score',
    'features',
    'ruleset_version',
    'model_version',
    'degraded',
    'evaluated_at',
  ],
  properties: {
    transaction_id: { type: 'string' },
    decision: { type: 'string', enum: ['approve', 'review', 'decline'] },
    risk_score: { type: 'integer', minimum: 0, maximum: 100 },
    risk_flag: { type: 'boolean' },
    reasons: { type: 'array', items: reason },
    shadow_reasons: { type: 'array', items: reason },
    anomaly_score: { type: ['number', 'null'] },
    features: { type: 'object', additionalProperties: { type: ['number', 'null'] } },
    ruleset_version: { type: 'string' },
    model_version: { type: ['string', 'null'] },
    degraded: { type: 'boolean' },
    degraded_reasons: { type: 'array', items: { type: 'string' } },
    evaluated_at: { type: 'string', format: 'date-time' },
    explanation: {
      type: 'array',
      items: { type: 'object', additionalProperties: true },
    },
  },
} as const;

export interface ScoreRoutesOptions {
  score: Scorer;
}

/** `POST /v1/score`: validate, score, answer. An idempotent replay says so in a header. */
export const scoreRoutes: FastifyPluginAsync<ScoreRoutesOptions> = (app, opts) => {
  app.post<{ Body: Transaction; Querystring: { explain?: 'true' | 'false' } }>(
    '/v1/score',
    {
      config: {
        errors: {
          409: 'this transaction_id was scored before with another payload (RISK_ERR_IDEMPOTENCY_CONFLICT), or is being scored right now',
        },
      },
      schema: {
        body: transactionSchema,
        querystring: {
          type: 'object',
          additionalProperties: false,
          // Query values arrive as text and the server does not coerce types.
          properties: { explain: { type: 'string', enum: ['true', 'false'] } },
        },
        response: { 200: scoreResponseSchema },
      },
    },
    async (req, reply) => {
      const { response, replayed } = await opts.score(req.body, {
        explain: req.query.explain === 'true',
        transport: 'rest',
        traceCarrier: req.headers,
      });
      if (replayed) void reply.header('idempotent-replay', 'true');
      return response;
    },
  );
  return Promise.resolve();
};
