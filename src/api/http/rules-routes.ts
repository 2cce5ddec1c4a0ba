import type { FastifyPluginAsync } from 'fastify';
import type { AdminAuth } from './auth.ts';
import { authorOf, securedBy } from './auth.ts';
import type { Label } from '../../domain/outcomes.ts';
import { LABELS } from '../../domain/outcomes.ts';
import type { Transaction } from '../../domain/transaction.ts';
import { SAFE_FREE_TEXT_PATTERN, SAFE_ID_PATTERN } from '../../domain/text.ts';
import { transactionSchema } from '../../domain/transaction.ts';
import type { RulesAdmin } from '../../pipeline/rules-admin.ts';
import { proposalsRoutes } from './proposals-routes.ts';

export interface RulesRoutesOptions {
  admin: RulesAdmin;
  auth: AdminAuth;
}

/** Bodies with a whole ruleset, or a backtest's transactions, are larger than a transaction. */
const RULES_BODY_LIMIT = 1024 * 1024;
const BACKTEST_BODY_LIMIT = 8 * 1024 * 1024;
export const MAX_BACKTEST_TRANSACTIONS = 10_000;

/** What a publish answers: the active version's summary (its rules left out). */
const published = {
  type: 'object',
  required: ['changed', 'version'],
  additionalProperties: true,
  properties: { changed: { type: 'boolean' }, version: { type: 'integer' } },
} as const;

const rulesArray = { type: 'array', description: 'json-rules-engine rules (DESIGN.md §4.3)' };
/* Both are stored in PostgreSQL with the audit trail: no NUL, no control or bidi characters. */
const actor = { type: 'string', minLength: 1, maxLength: 128, pattern: SAFE_ID_PATTERN };
const author = {
  ...actor,
  description:
    'Optional: the audit names the signed-in user. A user may only repeat their own name (another is a 400); the bootstrap ADMIN_TOKEN may name anyone (default "admin").',
};
const comment = { type: 'string', maxLength: 2000, pattern: SAFE_FREE_TEXT_PATTERN };
/** Ruleset versions are PostgreSQL `integer`s. */
const MAX_VERSION = 2_147_483_647;
const version = { type: 'integer', minimum: 1, maximum: MAX_VERSION };
const { $id: _txId, ...transactionItem } = transactionSchema;
/** A backtest's transaction may carry its outcome. */
const labelledTransactionItem = {
  ...transactionItem,
  properties: {
    ...transactionItem.properties,
    label: { type: 'string', enum: [...LABELS], description: 'the outcome, when known' },
  },
} as const;
type LabelledTransaction = Transaction & { label?: Label };

const versionParams = {
  type: 'object',
  required: ['version'],
  properties: { version: { type: 'string', pattern: '^[1-9][0-9]{0,8}$' } },
} as const;

const limitQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: { type: 'string', pattern: '^[1-9][0-9]{0,3}$' } },
} as const;

const limitOf = (q: { limit?: string }): number => Math.min(1000, Number(q.limit ?? 100));

/**
 * The rules administration API (DESIGN.md §4.6, §4.10), for signed-in users by role: viewers
 * read, analysts also validate and backtest, publishers also publish and roll back (401 without
 * credentials, 403 with wrong ones or a role too low). Scoring needs no credential.
 */
export const rulesRoutes: FastifyPluginAsync<RulesRoutesOptions> = async (app, opts) => {
  const { admin, auth } = opts;
  const viewer = { onRequest: auth.require('viewer') };
  const analyst = { onRequest: auth.require('analyst') };
  const publisher = { onRequest: auth.require('publisher') };
  const tags = ['rules'];
  const security = securedBy;

  app.get(
    '/v1/rules',
    { ...viewer, config: { errors: { 404: 'no ruleset is active' } }, schema: { tags, security } },
    () => admin.active(),
  );

  app.post<{ Body: { rules: unknown } }>(
    '/v1/rules/validate',
    {
      ...analyst,
      bodyLimit: RULES_BODY_LIMIT,
      schema: {
        tags,
        security,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['rules'],
          properties: { rules: rulesArray },
        },
      },
    },
    (req) => admin.validate(req.body.rules),
  );

  app.put<{
    Body: {
      rules: unknown;
      author?: string;
      comment?: string;
      expected_active_version?: number;
      allow_empty?: boolean;
    };
  }>(
    '/v1/rules',
    {
      // With four eyes, an analyst proposes and a publisher approves (proposals-routes.ts).
      ...(admin.approvalRequired ? analyst : publisher),
      bodyLimit: RULES_BODY_LIMIT,
      config: {
        errors: {
          409: 'expected_active_version is no longer the active version: reload and try again',
        },
      },
      schema: {
        tags,
        security,
        description:
          'Publishes a new version; with RULES_APPROVAL=required, stores a proposal instead (202) that another publisher approves.',
        response: {
          200: { description: 'the same rules are active already: nothing written', ...published },
          201: { description: 'published: a new version, now active', ...published },
          202: {
            description: 'RULES_APPROVAL=required: stored as a proposal, waiting for approval',
            type: 'object',
            required: ['changed', 'proposal'],
            additionalProperties: true,
            properties: {
              changed: { type: 'boolean' },
              proposal: { type: 'object', additionalProperties: true },
            },
          },
        },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['rules'],
          properties: {
            rules: rulesArray,
            author,
            comment,
            expected_active_version: version,
            allow_empty: {
              type: 'boolean',
              default: false,
              description:
                'Publish even if `rules` is empty. An empty ruleset fires nothing, so every transaction is approved; without this flag an empty ruleset is refused with 400.',
            },
          },
        },
      },
    },
    async (req, reply) => {
      if (admin.approvalRequired) {
        const proposal = await admin.propose({
          rules: req.body.rules,
          author: authorOf(auth, req, req.body.author),
          comment: req.body.comment ?? '',
          ...(req.body.expected_active_version !== undefined && {
            expectedActive: req.body.expected_active_version,
          }),
          allowEmpty: req.body.allow_empty === true,
        });
        if (proposal !== null) {
          const { rules: _rules, ...summary } = proposal;
          return reply.status(202).send({ changed: false, proposal: summary });
        }
        const { rules: _rules, ...active } = await admin.active();
        return reply.status(200).send({ changed: false, ...active });
      }
      const { active, changed } = await admin.publish({
        rules: req.body.rules,
        author: authorOf(auth, req, req.body.author),
        comment: req.body.comment ?? '',
        ...(req.body.expected_active_version !== undefined && {
          expectedActive: req.body.expected_active_version,
        }),
        allowEmpty: req.body.allow_empty === true,
      });
      const { rules: _rules, ...summary } = active;
      return reply.status(changed ? 201 : 200).send({ changed, ...summary });
    },
  );

  app.get<{ Querystring: { limit?: string } }>(
    '/v1/rules/versions',
    { ...viewer, schema: { tags, security, querystring: limitQuery } },
    async (req) => ({ versions: await admin.versions(limitOf(req.query)) }),
  );

  app.get<{ Params: { version: string } }>(
    '/v1/rules/versions/:version',
    { ...viewer, schema: { tags, security, params: versionParams } },
    (req) => admin.version(Number(req.params.version)),
  );

  app.get<{ Querystring: { limit?: string } }>(
    '/v1/rules/audit',
    { ...viewer, schema: { tags, security, querystring: limitQuery } },
    async (req) => ({ audit: await admin.audit(limitOf(req.query)) }),
  );

  app.post<{ Body: { version?: number; author?: string; comment?: string } }>(
    '/v1/rules/rollback',
    {
      ...publisher,
      config: {
        errors: {
          404: 'no such version, or no earlier version to roll back to',
          409: 'that version is already active',
        },
      },
      schema: {
        tags,
        security,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { version, author, comment },
        },
      },
    },
    async (req) => {
      const { active, from } = await admin.rollback({
        ...(req.body.version !== undefined && { to: req.body.version }),
        actor: authorOf(auth, req, req.body.author),
        comment: req.body.comment ?? '',
      });
      const { rules: _rules, ...summary } = active;
      return { from_version: from, ...summary };
    },
  );

  app.post<{
    Body: {
      rules: unknown;
      transactions?: LabelledTransaction[];
      recent?: number;
      changed_offset: number;
      changed_limit: number;
    };
  }>(
    '/v1/rules/backtest',
    {
      ...analyst,
      bodyLimit: BACKTEST_BODY_LIMIT,
      schema: {
        tags,
        security,
        description:
          "The candidate rules against the active ones on given transactions (features computed among themselves) or on the most recent scored ones. With outcome labels (a `label` on given transactions; the decision log's labels for recent ones), also precision and recall per rule and per ruleset, and the precision–recall curve over the score threshold (`labelled`).",
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['rules'],
          properties: {
            rules: rulesArray,
            transactions: {
              type: 'array',
              minItems: 1,
              maxItems: MAX_BACKTEST_TRANSACTIONS,
              items: labelledTransactionItem,
            },
            recent: { type: 'integer', minimum: 1, maximum: 1_000_000 },
            changed_offset: {
              type: 'integer',
              minimum: 0,
              maximum: 1_000_000,
              default: 0,
              description: 'list the changed decisions from this one (0-based, in sample order)',
            },
            changed_limit: {
              type: 'integer',
              minimum: 1,
              maximum: 10_000,
              default: 1000,
              description: 'list at most this many changed decisions',
            },
          },
        },
      },
    },
    (req) => {
      const given = req.body.transactions;
      const labels = given?.flatMap((t) =>
        t.label === undefined ? [] : [[t.transaction_id, t.label] as const],
      );
      return admin.backtest({
        rules: req.body.rules,
        ...(given !== undefined && {
          transactions: given.map(({ label: _label, ...tx }) => tx),
        }),
        // fromEntries defines own properties: an id such as `__proto__` stays a key.
        ...(labels !== undefined && labels.length > 0 && { labels: Object.fromEntries(labels) }),
        ...(req.body.recent !== undefined && { recent: req.body.recent }),
        changedPage: { offset: req.body.changed_offset, limit: req.body.changed_limit },
      });
    },
  );
  await app.register(proposalsRoutes, opts);
};
