import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { AdminAuth } from './auth.ts';
import { securedBy } from './auth.ts';
import { documentSecured } from './openapi.ts';
import { timeRangeOf } from './time-range.ts';
import { RiskError } from '../../domain/errors.ts';
import { eventTimeSchema, transactionSchema } from '../../domain/transaction.ts';
import type { DecisionExplainer } from '../../pipeline/decision-explain.ts';
import type { DecisionFeed } from '../../pipeline/decision-feed.ts';
import type { DecisionStats } from '../../pipeline/decision-stats.ts';
import { STATS_BUCKET_MS, STATS_RETENTION_MS } from '../../pipeline/decision-stats.ts';
import type { RecentScored, ScoredSample } from '../../pipeline/recent-scored.ts';
import {
  decisionDetailSchema,
  decisionStatsSchema,
  decisionSummarySchema,
} from './decisions-schemas.ts';

export interface DecisionsRoutesOptions {
  recent: RecentScored;
  feed: DecisionFeed;
  stats: DecisionStats;
  explain: DecisionExplainer;
  /** Viewers and above read decisions (a user's token, a session, or ADMIN_TOKEN). */
  auth: AdminAuth;
  /** A comment line on an idle stream this often, so that proxies keep it open. */
  heartbeatMs?: number;
  now?: () => number;
}

interface DecisionFilter {
  decision?: 'approve' | 'review' | 'decline';
  rule?: string;
  account?: string;
}

const filterProperties = {
  decision: { type: 'string', enum: ['approve', 'review', 'decline'] },
  rule: { type: 'string', minLength: 1, maxLength: 256, description: 'a rule that fired' },
  account: { type: 'string', minLength: 1, maxLength: 128, description: 'account_id' },
} as const;

const matches = (s: ScoredSample, f: DecisionFilter): boolean => {
  const r = s.response;
  if (r === undefined) return false;
  if (f.decision !== undefined && r.decision !== f.decision) return false;
  if (f.account !== undefined && s.transaction.account_id !== f.account) return false;
  if (f.rule !== undefined) {
    const fired = (x: { rule: string }) => x.rule === f.rule;
    if (!r.reasons.some(fired) && !(r.shadow_reasons ?? []).some(fired)) return false;
  }
  return true;
};

/** The list row of a scored transaction (its answer plus the fields an analyst scans). */
export function summarize(s: ScoredSample): Record<string, unknown> {
  const r = s.response;
  const tx = s.transaction;
  return {
    transaction_id: tx.transaction_id,
    decision: r?.decision,
    risk_score: r?.risk_score,
    reasons: r?.reasons,
    ...(r?.shadow_reasons !== undefined && { shadow_reasons: r.shadow_reasons }),
    account_id: tx.account_id,
    amount: tx.amount,
    ...(tx.currency !== undefined && { currency: tx.currency }),
    timestamp: tx.timestamp,
    ruleset_version: r?.ruleset_version,
    degraded: r?.degraded,
    evaluated_at: r?.evaluated_at,
  };
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const HEARTBEAT_MS = 15_000;

/**
 * The console's decisions API, behind the administration credential: the recent scored
 * transactions of this replica (the ring that backtests read, BACKTEST_RECENT_TRANSACTIONS),
 * each one's explanation, a live stream of new ones (server-sent events), and per-minute
 * decision and rule-hit counts. Transaction ids `stream` and `stats` are shadowed by those
 * routes on `GET /v1/decisions/{transaction_id}`.
 */
export const decisionsRoutes: FastifyPluginAsync<DecisionsRoutesOptions> = (app, opts) => {
  const { recent, feed, stats } = opts;
  const now = opts.now ?? Date.now;
  app.addHook('onRequest', opts.auth.require('viewer'));
  documentSecured(app, securedBy);

  // Streams still open when the server closes are ended, so that close() does not wait on them.
  const streams = new Set<() => void>();
  app.addHook('preClose', (done) => {
    for (const end of streams) end();
    done();
  });

  app.get<{ Querystring: DecisionFilter & { limit?: string } }>(
    '/v1/decisions',
    {
      schema: {
        tags: ['decisions'],
        description:
          'The most recent scored transactions of this replica, newest first, optionally filtered.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...filterProperties,
            limit: { type: 'string', pattern: '^[1-9][0-9]{0,3}$', description: `1–${MAX_LIMIT}` },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['decisions', 'kept'],
            properties: {
              decisions: { type: 'array', items: decisionSummarySchema },
              kept: { type: 'integer', description: 'scored transactions this replica keeps' },
            },
          },
        },
      },
    },
    (req) => {
      const limit = Math.min(MAX_LIMIT, Number(req.query.limit ?? DEFAULT_LIMIT));
      const out: Record<string, unknown>[] = [];
      recent.forEachNewest((s) => {
        if (matches(s, req.query)) out.push(summarize(s));
        return out.length < limit;
      });
      return { decisions: out, kept: recent.length };
    },
  );

  app.get<{ Querystring: DecisionFilter }>(
    '/v1/decisions/stream',
    {
      schema: {
        tags: ['decisions'],
        description:
          'Server-sent events: `event: decision` with a list row for every transaction scored from now on, `event: dropped` with `{"dropped": n}` when this client fell behind and lost n of them. Never ends by itself.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: filterProperties,
        },
        response: {
          200: {
            description: 'text/event-stream',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
        },
      },
      config: { errors: { 503: 'too many streams open' } },
    },
    (req, reply) => {
      const filter = req.query;
      let subscription: ReturnType<DecisionFeed['subscribe']> = null;
      let waitingForDrain = false;
      const flush = (): void => {
        if (subscription === null || reply.raw.writableEnded) return;
        // A client that does not read fills the socket: until it drains, the feed keeps
        // queueing for it (bounded) and then drops and counts. Nothing here waits.
        if (reply.raw.writableNeedDrain) {
          if (!waitingForDrain) {
            waitingForDrain = true;
            reply.raw.once('drain', () => {
              waitingForDrain = false;
              flush();
            });
          }
          return;
        }
        const { samples, dropped } = subscription.drain();
        let text = '';
        for (const s of samples)
          if (matches(s, filter))
            text += `event: decision\ndata: ${JSON.stringify(summarize(s))}\n\n`;
        if (dropped > 0) text += `event: dropped\ndata: ${JSON.stringify({ dropped })}\n\n`;
        if (text !== '') reply.raw.write(text);
      };
      subscription = feed.subscribe(flush);
      if (subscription === null) {
        throw new RiskError('RISK_ERR_UNAVAILABLE', 'too many decision streams are open');
      }
      void reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        // Tells a buffering proxy (nginx) to pass events on at once.
        'x-accel-buffering': 'no',
        // Not reused once it ends: a kept-alive socket would hold the server's close open.
        connection: 'close',
      });
      reply.raw.write('retry: 2000\n\n');
      const heartbeat = setInterval(() => {
        if (!reply.raw.writableNeedDrain) reply.raw.write(': keep-alive\n\n');
      }, opts.heartbeatMs ?? HEARTBEAT_MS);
      heartbeat.unref();
      const end = (): void => {
        clearInterval(heartbeat);
        subscription?.close();
        streams.delete(end);
        if (!reply.raw.writableEnded) reply.raw.end();
      };
      streams.add(end);
      reply.raw.on('close', end);
    },
  );

  app.get<{ Querystring: { from?: string; to?: string } }>(
    '/v1/decisions/stats',
    {
      schema: {
        tags: ['decisions'],
        description:
          'Decision mix and hits per rule of this replica in one-minute buckets (scoring time), kept for 24 h. Default range: the last hour.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { ...eventTimeSchema, description: 'RFC 3339; default: to − 1 h' },
            to: { ...eventTimeSchema, description: 'RFC 3339; default: now' },
          },
        },
        response: { 200: decisionStatsSchema },
      },
    },
    (req) => {
      const { fromMs, toMs } = timeRangeOf(req.query, now(), 3_600_000);
      const buckets = stats.range(Math.max(fromMs, toMs - STATS_RETENTION_MS - 1), toMs);
      const totals = new Map<string, number>();
      for (const b of buckets)
        for (const [rule, n] of b.rules) totals.set(rule, (totals.get(rule) ?? 0) + n);
      return {
        bucket_seconds: STATS_BUCKET_MS / 1000,
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs).toISOString(),
        buckets: buckets.map((b) => ({
          start: new Date(b.startMs).toISOString(),
          ...b.decisions,
          rules: Object.fromEntries(b.rules),
        })),
        rules: [...totals]
          .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
          .map(([rule, hits]) => ({ rule, hits })),
      };
    },
  );

  app.get<{ Params: { transaction_id: string } }>(
    '/v1/decisions/:transaction_id',
    {
      schema: {
        tags: ['decisions'],
        description:
          'One recent scored transaction: the transaction, its answer (features and model score included) and the explanation of every fired rule.',
        params: {
          type: 'object',
          required: ['transaction_id'],
          properties: { transaction_id: transactionSchema.properties.transaction_id },
        },
        response: { 200: decisionDetailSchema },
      },
      config: { errors: { 404: 'not among the recent scored transactions of this replica' } },
    },
    async (req, reply: FastifyReply) => {
      const sample = recent.find(req.params.transaction_id);
      if (sample?.response === undefined)
        throw new RiskError(
          'RISK_ERR_NOT_FOUND',
          `transaction ${JSON.stringify(req.params.transaction_id)} is not among the recent scored transactions`,
        );
      const { explanation: _explanation, ...response } = sample.response;
      const explanation = await opts.explain(sample);
      return reply.send({ transaction: sample.transaction, response, explanation });
    },
  );
  return Promise.resolve();
};
