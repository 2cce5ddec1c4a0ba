import { transactionSchema } from '../../domain/transaction.ts';
import { scoreResponseSchema } from './score-routes.ts';

/* The response schemas of the decisions API (src/api/http/decisions-routes.ts). */

const { $id: _responseId, ...scoreResponse } = scoreResponseSchema;
const { $id: _txId, ...transaction } = transactionSchema;
const { explanation: _explanation, ...responseProperties } = scoreResponse.properties;
const decision = { type: 'string', enum: ['approve', 'review', 'decline'] } as const;

/** One row of the live decisions list: the answer and the few transaction fields it shows. */
export const decisionSummarySchema = {
  type: 'object',
  required: [
    'transaction_id',
    'decision',
    'risk_score',
    'reasons',
    'account_id',
    'amount',
    'ruleset_version',
    'evaluated_at',
  ],
  properties: {
    transaction_id: { type: 'string' },
    decision,
    risk_score: { type: 'integer', minimum: 0, maximum: 100 },
    reasons: scoreResponse.properties.reasons,
    shadow_reasons: scoreResponse.properties.shadow_reasons,
    account_id: { type: 'string' },
    amount: { type: 'number' },
    currency: { type: 'string' },
    timestamp: { type: 'string', description: 'the event time' },
    ruleset_version: { type: 'string' },
    degraded: { type: 'boolean' },
    evaluated_at: { type: 'string', format: 'date-time' },
  },
} as const;

const explainedCondition = {
  type: 'object',
  additionalProperties: true,
  description:
    'a leaf {fact, operator, value, fact_value, result} or a group {all|any: [...], result} / {not, result}',
} as const;

export const decisionDetailSchema = {
  type: 'object',
  required: ['transaction', 'response', 'explanation'],
  properties: {
    transaction: { ...transaction, additionalProperties: true },
    response: { ...scoreResponse, properties: responseProperties },
    explanation: {
      type: ['array', 'null'],
      description:
        'each fired rule (shadow rules too) with its condition tree and the fact values compared, evaluated again by the ruleset version that scored it; null when that version is gone',
      items: {
        type: 'object',
        required: ['rule', 'score', 'conditions'],
        properties: {
          rule: { type: 'string' },
          score: { type: 'number' },
          action: decision,
          description: { type: 'string' },
          shadow: { type: 'boolean' },
          conditions: explainedCondition,
        },
      },
    },
  },
} as const;

export const decisionStatsSchema = {
  type: 'object',
  required: ['bucket_seconds', 'from', 'to', 'buckets', 'rules'],
  properties: {
    bucket_seconds: { type: 'integer' },
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    buckets: {
      type: 'array',
      description: 'minutes with at least one scored transaction, oldest first',
      items: {
        type: 'object',
        required: ['start', 'approve', 'review', 'decline', 'rules'],
        properties: {
          start: { type: 'string', format: 'date-time' },
          approve: { type: 'integer' },
          review: { type: 'integer' },
          decline: { type: 'integer' },
          rules: {
            type: 'object',
            description: 'hits by rule name',
            additionalProperties: { type: 'integer' },
          },
        },
      },
    },
    rules: {
      type: 'array',
      description: 'hits per rule over the whole range, most hits first',
      items: {
        type: 'object',
        required: ['rule', 'hits'],
        properties: { rule: { type: 'string' }, hits: { type: 'integer' } },
      },
    },
  },
} as const;
