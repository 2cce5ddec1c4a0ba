import type { FastifyPluginAsync } from 'fastify';
import type { AdminAuth } from './auth.ts';
import { securedBy } from './auth.ts';
import { timeRangeOf } from './time-range.ts';
import { RiskError } from '../../domain/errors.ts';
import { eventTimeSchema } from '../../domain/transaction.ts';
import type { WindowDimension } from '../../domain/windows.ts';
import { WINDOW_DIMENSIONS, microsToDecimal, toWindowRow } from '../../domain/windows.ts';
import type { WindowStore } from '../../pipeline/window-store.ts';

export interface WindowsRoutesOptions {
  windows: WindowStore;
  /** `required`: the same bearer credential as the administration API; `none`: open. */
  auth: 'required' | 'none';
  /** Checks the credential when `auth` is `required` (role viewer). */
  adminAuth: AdminAuth;
  now?: () => number;
}

/** `JSON.rawJSON` (V8 11.4+, so every supported Node), not in TypeScript's ES2023 lib yet. */
const rawJson = (text: string): unknown =>
  (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON(text);

/** `6200.000000` → `6200`, `0.100000` → `0.1`: the shortest text of the same decimal. */
const exactDecimal = (text: string): string => text.replace(/\.?0+$/, '');

const DEFAULT_RANGE_MS = 3_600_000;
const DEFAULT_LIMIT = 1000;
const MAX_LIMIT = 10_000;

const windowRowSchema = {
  type: 'object',
  required: [
    'window_start',
    'window_end',
    'dimension',
    'dimension_value',
    'total_amount',
    'transaction_count',
    'high_risk_transactions',
    'flagged_transactions',
    'max_risk_score',
    'avg_risk_score',
    'risk_flag',
  ],
  properties: {
    window_start: { type: 'string', format: 'date-time' },
    window_end: { type: 'string', format: 'date-time' },
    dimension: { type: 'string', enum: [...WINDOW_DIMENSIONS] },
    dimension_value: { type: 'string', description: '"*" for the dimension "all"' },
    total_amount: {
      type: 'number',
      description:
        'exact sum: the JSON text carries every digit (up to six decimals), also beyond 2^53; kept as numeric in PostgreSQL',
    },
    transaction_count: { type: 'integer' },
    high_risk_transactions: { type: 'integer', description: 'risk_score ≥ 80' },
    flagged_transactions: { type: 'integer', description: 'decision ≠ approve' },
    max_risk_score: { type: 'integer' },
    avg_risk_score: { type: 'number', description: 'mean risk_score, two decimals' },
    risk_flag: { type: 'boolean', description: 'high_risk_transactions > 0' },
  },
} as const;

/**
 * `GET /v1/windows?from&to&dimension&limit` (DESIGN.md §4.8): the stored aggregate windows
 * whose start lies in [from, to), oldest first, as `{windows: [...]}`. Defaults: the last hour,
 * dimension `all`, 1000 rows. Updates of the last WINDOW_FLUSH_INTERVAL_MS may not be written
 * yet.
 */
export const windowsRoutes: FastifyPluginAsync<WindowsRoutesOptions> = (app, opts) => {
  const now = opts.now ?? Date.now;
  // Amounts per country and category are business data: not for whoever reaches the port.
  if (opts.auth === 'required') app.addHook('onRequest', opts.adminAuth.require('viewer'));
  app.get<{
    Querystring: { from?: string; to?: string; dimension?: WindowDimension; limit?: string };
  }>(
    '/v1/windows',
    {
      schema: {
        tags: ['windows'],
        ...(opts.auth === 'required' && { security: securedBy }),
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { ...eventTimeSchema, description: 'RFC 3339; default: to − 1 h' },
            to: { ...eventTimeSchema, description: 'RFC 3339; default: now' },
            dimension: { type: 'string', enum: [...WINDOW_DIMENSIONS], default: 'all' },
            limit: { type: 'string', pattern: '^[1-9][0-9]{0,4}$', description: `1–${MAX_LIMIT}` },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['windows'],
            properties: { windows: { type: 'array', items: windowRowSchema } },
          },
        },
      },
    },
    async (req, reply) => {
      const { fromMs, toMs } = timeRangeOf(req.query, now(), DEFAULT_RANGE_MS);
      const limit = Number(req.query.limit ?? DEFAULT_LIMIT);
      if (limit > MAX_LIMIT)
        throw new RiskError('RISK_ERR_VALIDATION', `/limit: must be at most ${MAX_LIMIT}`, [
          { field: '/limit', message: `must be at most ${MAX_LIMIT}` },
        ]);
      const query = { fromMs, toMs, dimension: req.query.dimension ?? 'all', limit };
      const rows = await opts.windows.query(query).catch((err: unknown) => {
        throw new RiskError('RISK_ERR_UNAVAILABLE', 'the window store is not available', [], err);
      });
      // The schema documents the row; JSON.stringify writes it, so that `total_amount` can be
      // the exact decimal text (a JS number would round sums above 2^53 millionths).
      return reply
        .type('application/json; charset=utf-8')
        .serializer(JSON.stringify)
        .send({
          windows: rows.map((a) => ({
            ...toWindowRow(a),
            total_amount: rawJson(exactDecimal(microsToDecimal(a.amountMicros))),
          })),
        });
    },
  );
  return Promise.resolve();
};
