import type { FastifyPluginAsync } from 'fastify';
import { RiskError } from '../../domain/errors.ts';
import { parseEventTime } from '../../domain/event-time.ts';
import type { CaseStatus, Label, LabelInput } from '../../domain/outcomes.ts';
import { CASE_STATUSES, LABELS, performanceOf } from '../../domain/outcomes.ts';
import { SAFE_FREE_TEXT_PATTERN } from '../../domain/text.ts';
import { SAFE_ID_PATTERN } from '../../domain/text.ts';
import { eventTimeSchema } from '../../domain/transaction.ts';
import type { DecisionLogStore } from '../../pipeline/decision-log.ts';
import { requireBearer } from './auth.ts';
import { documentBearer } from './openapi.ts';

export interface OutcomesRoutesOptions {
  log: DecisionLogStore;
  adminToken: string | undefined;
  now?: () => number;
}

/** Chargebacks and reports arrive in bulk: one call takes this many labels. */
export const MAX_LABELS_PER_CALL = 50_000;
const LABELS_BODY_LIMIT = 16 * 1024 * 1024;
/** Unmatched ids listed in an answer at most (all are counted and kept). */
const MAX_UNMATCHED_LISTED = 1000;
const DEFAULT_RANGE_MS = 30 * 86_400_000;

const id = { type: 'string', minLength: 1, maxLength: 128, pattern: SAFE_ID_PATTERN } as const;

const labelItem = {
  type: 'object',
  additionalProperties: false,
  required: ['transaction_id', 'label'],
  properties: {
    transaction_id: id,
    label: { type: 'string', enum: [...LABELS] },
    source: { ...id, maxLength: 64, description: 'e.g. chargeback, customer, case' },
    reported_at: { ...eventTimeSchema, description: 'when the outcome was reported; default: now' },
  },
} as const;

/** Who acts on a case: the bootstrap credential ADMIN_TOKEN is the user `admin`. */
const ACTOR = 'admin';

const caseSchema = {
  type: 'object',
  required: [
    'case_id',
    'transaction_id',
    'status',
    'decision',
    'risk_score',
    'reasons',
    'opened_at',
  ],
  properties: {
    case_id: { type: 'string', format: 'uuid' },
    transaction_id: { type: 'string' },
    status: { type: 'string', enum: [...CASE_STATUSES] },
    decision: { type: 'string', enum: ['review', 'decline'] },
    risk_score: { type: 'integer' },
    reasons: { type: 'array', items: { type: 'string' }, description: 'the rules that fired' },
    opened_at: { type: 'string', format: 'date-time' },
    assignee: { type: 'string' },
    claimed_at: { type: 'string', format: 'date-time' },
    outcome: { type: 'string', enum: [...LABELS] },
    comment: { type: 'string' },
    resolved_at: { type: 'string', format: 'date-time' },
  },
} as const;

const caseParams = {
  type: 'object',
  required: ['case_id'],
  properties: {
    case_id: {
      type: 'string',
      pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
      description: 'a UUID',
    },
  },
} as const;

const caseConflicts = {
  errors: { 409: 'the case is claimed by someone else, or resolved already' },
};

const ratio = { type: ['number', 'null'], description: 'null when its denominator is 0' };
const count = { type: 'integer' } as const;

const performanceSchema = {
  type: 'object',
  required: ['from', 'to', 'transactions', 'labelled', 'frauds', 'decision', 'rules'],
  properties: {
    from: { type: 'string' },
    to: { type: 'string' },
    transactions: count,
    labelled: count,
    frauds: { ...count, description: 'transactions labelled fraud' },
    decision: {
      type: 'object',
      description: 'the decision as a whole: flagged (review or decline) against fraud',
      required: ['flagged', 'labelled_flagged', 'fraud_flagged', 'precision', 'recall'],
      properties: {
        flagged: count,
        labelled_flagged: count,
        fraud_flagged: count,
        precision: ratio,
        recall: ratio,
      },
    },
    rules: {
      type: 'array',
      items: {
        type: 'object',
        required: ['rule', 'shadow', 'hits', 'labelled_hits', 'fraud_hits', 'precision', 'recall'],
        properties: {
          rule: { type: 'string' },
          shadow: { type: 'boolean' },
          hits: count,
          labelled_hits: count,
          fraud_hits: count,
          precision: { ...ratio, description: 'fraud_hits / labelled_hits' },
          recall: { ...ratio, description: 'fraud_hits / frauds in the range' },
        },
      },
    },
  },
} as const;

/**
 * Outcome labels and what they say about the rules (issue "Review cases and outcome labels"):
 * `POST /v1/labels`, `GET /v1/labels/{transaction_id}`, `GET /v1/rules/performance`. Behind
 * the same bearer credential as the rules administration.
 */
export const outcomesRoutes: FastifyPluginAsync<OutcomesRoutesOptions> = (app, opts) => {
  const now = opts.now ?? Date.now;
  app.addHook('onRequest', requireBearer(opts.adminToken, 'the outcomes API'));
  documentBearer(app);

  app.post<{ Body: { labels: LabelInput[] } }>(
    '/v1/labels',
    {
      bodyLimit: LABELS_BODY_LIMIT,
      schema: {
        tags: ['outcomes'],
        description:
          'Outcome labels in bulk (chargebacks, reports, verdicts). The last label of an id wins; every label is kept in its history. A label for an id never scored is kept and reported as unmatched.',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['labels'],
          properties: {
            labels: { type: 'array', minItems: 1, maxItems: MAX_LABELS_PER_CALL, items: labelItem },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['accepted', 'matched', 'unmatched_count', 'unmatched'],
            properties: {
              accepted: count,
              matched: count,
              unmatched_count: count,
              unmatched: {
                type: 'array',
                items: { type: 'string' },
                description: `the first ${MAX_UNMATCHED_LISTED} unmatched ids`,
              },
            },
          },
        },
      },
    },
    async (req) => {
      const result = await opts.log.putLabels(req.body.labels, now()).catch((err: unknown) => {
        throw new RiskError('RISK_ERR_UNAVAILABLE', 'the label store is not available', [], err);
      });
      return {
        accepted: result.accepted,
        matched: result.matched,
        unmatched_count: result.unmatched.length,
        unmatched: result.unmatched.slice(0, MAX_UNMATCHED_LISTED),
      };
    },
  );

  app.get<{ Params: { transaction_id: string } }>(
    '/v1/labels/:transaction_id',
    {
      schema: {
        tags: ['outcomes'],
        params: {
          type: 'object',
          required: ['transaction_id'],
          properties: { transaction_id: id },
        },
        response: {
          200: {
            type: 'object',
            required: ['transaction_id', 'label', 'history'],
            properties: {
              transaction_id: { type: 'string' },
              label: { type: 'string', enum: [...LABELS] },
              history: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['label', 'source', 'reported_at', 'received_at'],
                  properties: {
                    label: { type: 'string', enum: [...LABELS] },
                    source: { type: 'string' },
                    reported_at: { type: 'string', format: 'date-time' },
                    received_at: { type: 'string', format: 'date-time' },
                  },
                },
              },
            },
          },
        },
      },
    },
    async (req) => {
      const history = await opts.log.labelHistory(req.params.transaction_id);
      const last = history.at(-1);
      if (last === undefined)
        throw new RiskError(
          'RISK_ERR_NOT_FOUND',
          `no label for transaction_id "${req.params.transaction_id}"`,
        );
      return { transaction_id: req.params.transaction_id, label: last.label, history };
    },
  );

  app.get<{ Querystring: { status?: CaseStatus; limit?: string } }>(
    '/v1/cases',
    {
      schema: {
        tags: ['cases'],
        description:
          'Review cases with a status (default open), oldest opened first: the queue. A `review` decision opens one (CASES_OPEN_FOR).',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: [...CASE_STATUSES], default: 'open' },
            limit: {
              type: 'string',
              pattern: '^[1-9][0-9]{0,3}$',
              description: '1–1000, default 100',
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['cases'],
            properties: { cases: { type: 'array', items: caseSchema } },
          },
        },
      },
    },
    async (req) => ({
      cases: await opts.log.listCases(
        req.query.status ?? 'open',
        Math.min(1000, Number(req.query.limit ?? 100)),
      ),
    }),
  );

  app.get<{ Params: { case_id: string } }>(
    '/v1/cases/:case_id',
    { schema: { tags: ['cases'], params: caseParams, response: { 200: caseSchema } } },
    async (req) => {
      const c = await opts.log.getCase(req.params.case_id);
      if (c === undefined)
        throw new RiskError('RISK_ERR_NOT_FOUND', `no case ${req.params.case_id}`);
      return c;
    },
  );

  app.post<{ Params: { case_id: string } }>(
    '/v1/cases/:case_id/claim',
    {
      config: caseConflicts,
      schema: { tags: ['cases'], params: caseParams, response: { 200: caseSchema } },
    },
    (req) => opts.log.claimCase(req.params.case_id, ACTOR, now()),
  );

  app.post<{ Params: { case_id: string }; Body: { outcome: Label; comment?: string } }>(
    '/v1/cases/:case_id/resolve',
    {
      config: caseConflicts,
      schema: {
        tags: ['cases'],
        description:
          "Resolves the case as fraud or legit; the outcome also becomes the transaction's label (source `case`).",
        params: caseParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['outcome'],
          properties: {
            outcome: { type: 'string', enum: [...LABELS] },
            comment: { type: 'string', maxLength: 2000, pattern: SAFE_FREE_TEXT_PATTERN },
          },
        },
        response: { 200: caseSchema },
      },
    },
    (req) =>
      opts.log.resolveCase(
        req.params.case_id,
        ACTOR,
        req.body.outcome,
        req.body.comment ?? '',
        now(),
      ),
  );

  app.get<{ Querystring: { from?: string; to?: string } }>(
    '/v1/rules/performance',
    {
      schema: {
        tags: ['outcomes'],
        description:
          'Precision and recall of each rule (shadow rules apart) and of the decision, over the transactions whose timestamp lies in [from, to), against their current labels.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { ...eventTimeSchema, description: 'RFC 3339; default: to − 30 days' },
            to: { ...eventTimeSchema, description: 'RFC 3339; default: now' },
          },
        },
        response: { 200: performanceSchema },
      },
    },
    async (req) => {
      const toMs = req.query.to === undefined ? now() : (parseEventTime(req.query.to) ?? NaN);
      const fromMs =
        req.query.from === undefined
          ? toMs - DEFAULT_RANGE_MS
          : (parseEventTime(req.query.from) ?? NaN);
      if (!(fromMs < toMs))
        throw new RiskError('RISK_ERR_VALIDATION', '/from: must be before to', [
          { field: '/from', message: 'must be before to' },
        ]);
      const counts = await opts.log.performance(fromMs, toMs).catch((err: unknown) => {
        throw new RiskError('RISK_ERR_UNAVAILABLE', 'the decision log is not available', [], err);
      });
      return {
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs).toISOString(),
        ...performanceOf(counts),
      };
    },
  );
  return Promise.resolve();
};
