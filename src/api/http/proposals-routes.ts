import type { FastifyPluginAsync } from 'fastify';
import type { AdminAuth } from './auth.ts';
import { authorOf, securedBy } from './auth.ts';
import { SAFE_FREE_TEXT_PATTERN, SAFE_ID_PATTERN } from '../../domain/text.ts';
import type { ProposalStatus } from '../../pipeline/ruleset-store.ts';
import type { RulesAdmin } from '../../pipeline/rules-admin.ts';

export interface ProposalsRoutesOptions {
  admin: RulesAdmin;
  auth: AdminAuth;
}

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,8}$' } },
} as const;

const author = {
  type: 'string',
  minLength: 1,
  maxLength: 128,
  pattern: SAFE_ID_PATTERN,
  description: 'Optional: the signed-in user decides (only the bootstrap ADMIN_TOKEN names one).',
};

const decisionBody = (commentRequired: boolean) =>
  ({
    type: 'object',
    additionalProperties: false,
    ...(commentRequired && { required: ['comment'] }),
    properties: {
      author,
      comment: {
        type: 'string',
        ...(commentRequired && { minLength: 1 }),
        maxLength: 2000,
        pattern: commentRequired ? `(?=.*\\S)${SAFE_FREE_TEXT_PATTERN}` : SAFE_FREE_TEXT_PATTERN,
      },
    },
  }) as const;

/**
 * Four-eyes publishing (DESIGN.md §4.10, RULES_APPROVAL=required): `PUT /v1/rules` by an
 * analyst stores a proposal; these routes list them (viewers), and let a publisher other than
 * the author approve one (it becomes the active version, if the version it was proposed against
 * is still active) or reject it with a comment. The audit records each step with its actor.
 */
export const proposalsRoutes: FastifyPluginAsync<ProposalsRoutesOptions> = (app, opts) => {
  const { admin, auth } = opts;
  const viewer = { onRequest: auth.require('viewer') };
  const publisher = { onRequest: auth.require('publisher') };
  const tags = ['rules'];
  const security = securedBy;
  const summary = <T extends { rules: unknown }>({ rules: _rules, ...rest }: T) => rest;

  app.get<{ Querystring: { status?: ProposalStatus; limit?: string } }>(
    '/v1/rules/proposals',
    {
      ...viewer,
      schema: {
        tags,
        security,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: ['pending', 'approved', 'rejected'] },
            limit: { type: 'string', pattern: '^[1-9][0-9]{0,3}$' },
          },
        },
      },
    },
    async (req) => ({
      proposals: await admin.proposals(
        Math.min(1000, Number(req.query.limit ?? 100)),
        req.query.status,
      ),
    }),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/rules/proposals/:id',
    { ...viewer, schema: { tags, security, params: idParams } },
    (req) => admin.proposal(Number(req.params.id)),
  );

  app.post<{ Params: { id: string }; Body: { author?: string; comment?: string } }>(
    '/v1/rules/proposals/:id/approve',
    {
      ...publisher,
      config: {
        errors: {
          409: 'the proposal is decided already, or the version it was proposed against is no longer active',
        },
      },
      // The body is optional: a bare POST approves without a comment.
      preValidation: (req, _reply, done) => {
        req.body ??= {};
        done();
      },
      schema: {
        tags,
        security,
        description:
          'Publishes the proposal as a new version (409 if the version it was proposed against is no longer active; 403 for its own author).',
        params: idParams,
        body: decisionBody(false),
      },
    },
    async (req) => {
      const { proposal, active } = await admin.approve({
        id: Number(req.params.id),
        actor: authorOf(auth, req, req.body.author),
        comment: req.body.comment ?? '',
      });
      return { proposal: summary(proposal), active: summary(active) };
    },
  );

  app.post<{ Params: { id: string }; Body: { author?: string; comment: string } }>(
    '/v1/rules/proposals/:id/reject',
    {
      ...publisher,
      config: { errors: { 409: 'the proposal is decided already' } },
      schema: { tags, security, params: idParams, body: decisionBody(true) },
    },
    async (req) =>
      summary(
        await admin.reject({
          id: Number(req.params.id),
          actor: authorOf(auth, req, req.body.author),
          comment: req.body.comment,
        }),
      ),
  );
  return Promise.resolve();
};
