import type { FastifyPluginAsync, preValidationHookHandler } from 'fastify';
import type { AdminAuth } from './auth.ts';
import { authorOf, securedBy } from './auth.ts';
import { SAFE_FREE_TEXT_PATTERN, SAFE_ID_PATTERN } from '../../domain/text.ts';
import type { ModelRegistry } from '../../pipeline/model-registry.ts';

export interface ModelsRoutesOptions {
  registry: ModelRegistry;
  auth: AdminAuth;
}

/**
 * An upload is one artifact: the shipped isolation forest is 170 KB; 16 MiB leaves room for far
 * larger forests while bounding what one request can make the service parse and validate.
 */
export const MODEL_BODY_LIMIT = 16 * 1024 * 1024;

/** Registry ids are PostgreSQL bigserials, kept within what a JavaScript number holds exactly. */
const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,14}$' } },
} as const;
const modelId = { type: 'integer', minimum: 1, maximum: 999_999_999_999_999 };
const author = {
  type: 'string',
  minLength: 1,
  maxLength: 128,
  pattern: SAFE_ID_PATTERN,
  description:
    'Optional: the audit names the signed-in user. A user may only repeat their own name; the bootstrap ADMIN_TOKEN may name anyone (default "admin").',
};
const comment = { type: 'string', maxLength: 2000, pattern: SAFE_FREE_TEXT_PATTERN };
/**
 * A comment in the query string (an upload's body is the artifact itself): shorter, so that a
 * percent-encoded one stays well within the request line and header limit (16 KiB).
 */
const queryComment = { ...comment, maxLength: 500 };
const summary = {
  type: 'object',
  required: ['id', 'role', 'version', 'seq', 'sha256', 'uploaded_by', 'uploaded_at'],
  additionalProperties: true,
  properties: {
    id: { type: 'integer' },
    role: { type: 'string' },
    version: { type: 'string', description: 'the model_version answers carry' },
    seq: { type: 'integer', description: '1, 2, 3… per role, in upload order' },
    format: { type: 'string' },
    sha256: { type: 'string' },
    bytes: { type: 'integer' },
    uploaded_by: { type: 'string' },
    uploaded_at: { type: 'string' },
    comment: { type: 'string' },
    source: { type: 'string', enum: ['seed', 'file', 'api'] },
  },
} as const;
const nullableSummary = { anyOf: [summary, { type: 'null' }] };
const changed = {
  type: 'object',
  required: ['model', 'from_id'],
  additionalProperties: false,
  properties: { model: summary, from_id: { type: ['integer', 'null'] } },
} as const;
const limitOf = (q: { limit?: string }): number => Math.min(1000, Number(q.limit ?? 100));
const limit = { type: 'string', pattern: '^[1-9][0-9]{0,3}$' };

/** The body of a change is optional: a bare POST changes without a comment. */
const optionalBody: preValidationHookHandler = (req, _reply, done) => {
  req.body ??= {};
  done();
};

/**
 * The model registry API: models are uploaded, scored in shadow (beside the active model, not
 * acting), promoted and rolled back, as rules are published and rolled back. Roles as for
 * rules: viewers read; publishers (and admins) upload, shadow, promote and roll back.
 */
export const modelsRoutes: FastifyPluginAsync<ModelsRoutesOptions> = (app, opts) => {
  const { registry, auth } = opts;
  const viewer = { onRequest: auth.require('viewer') };
  const publisher = { onRequest: auth.require('publisher') };
  const tags = ['models'];
  const security = securedBy;
  const role = { type: 'string', enum: [...registry.roles] };
  const changeBody = {
    type: 'object',
    additionalProperties: false,
    properties: { author, comment },
  } as const;

  app.get<{ Querystring: { limit?: string } }>(
    '/v1/models',
    {
      ...viewer,
      schema: {
        tags,
        security,
        description:
          'Every model role with its active model, its shadow model (scored beside the active one, never acting) and its versions, newest first (at most `limit`, default 100).',
        querystring: { type: 'object', additionalProperties: false, properties: { limit } },
        response: {
          200: {
            type: 'object',
            required: ['roles'],
            additionalProperties: false,
            properties: {
              roles: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['role', 'format', 'active', 'shadow', 'versions'],
                  additionalProperties: false,
                  properties: {
                    role: { type: 'string' },
                    format: { type: 'string' },
                    active: nullableSummary,
                    shadow: nullableSummary,
                    versions: { type: 'array', items: summary },
                  },
                },
              },
            },
          },
        },
      },
    },
    async (req) => ({ roles: await registry.view(limitOf(req.query)) }),
  );

  app.get<{ Querystring: { role?: string; limit?: string } }>(
    '/v1/models/audit',
    {
      ...viewer,
      schema: {
        tags,
        security,
        description:
          'Uploads, shadowing, promotions and rollbacks, newest first, with who and when.',
        querystring: { type: 'object', additionalProperties: false, properties: { role, limit } },
      },
    },
    async (req) => ({ audit: await registry.audit(req.query.role, limitOf(req.query)) }),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/models/versions/:id',
    {
      ...viewer,
      schema: { tags, security, params: idParams, response: { 200: summary } },
    },
    (req) => registry.get(Number(req.params.id)),
  );

  app.post<{ Body: unknown; Querystring: { role?: string; comment?: string } }>(
    '/v1/models',
    {
      ...publisher,
      bodyLimit: MODEL_BODY_LIMIT,
      schema: {
        tags,
        security,
        description:
          'Uploads a model artifact (the JSON file `npm run train` writes, as the body). It is validated in full first: a bad artifact is a 400 naming each problem with a JSON pointer into it. The role follows from the artifact\u2019s `format` unless `role` names it. A stored version acts nowhere until it is shadowed or promoted; the same artifact again is answered with the stored version (200).',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { role, comment: queryComment },
        },
        body: {
          type: 'object',
          additionalProperties: true,
          description: 'a model artifact, e.g. format "risk-iforest/1"',
        },
        response: {
          200: {
            description: 'this artifact is stored already: nothing written',
            type: 'object',
            required: ['created', 'model'],
            additionalProperties: false,
            properties: { created: { type: 'boolean' }, model: summary },
          },
          201: {
            description: 'stored as a new version (not acting yet)',
            type: 'object',
            required: ['created', 'model'],
            additionalProperties: false,
            properties: { created: { type: 'boolean' }, model: summary },
          },
        },
      },
    },
    async (req, reply) => {
      const result = await registry.upload({
        artifact: req.body,
        ...(req.query.role !== undefined && { role: req.query.role }),
        actor: authorOf(auth, req),
        comment: req.query.comment ?? '',
      });
      return reply.status(result.created ? 201 : 200).send(result);
    },
  );

  app.post<{ Params: { id: string }; Body: { author?: string; comment?: string } }>(
    '/v1/models/:id/shadow',
    {
      ...publisher,
      preValidation: optionalBody,
      config: {
        errors: { 409: 'the model is its role\u2019s active model, or its shadow already' },
      },
      schema: {
        tags,
        security,
        description:
          'Scores this model beside its role\u2019s active model on every transaction, without acting: its scores go to the metrics (risk_model_shadow_score, risk_model_shadow_disagreements_total), never to the answer. Replaces the role\u2019s shadow, if any.',
        params: idParams,
        body: changeBody,
        response: { 200: changed },
      },
    },
    async (req) => {
      const { model, from } = await registry.shadow({
        id: Number(req.params.id),
        actor: authorOf(auth, req, req.body.author),
        comment: req.body.comment ?? '',
      });
      return { model, from_id: from };
    },
  );

  app.post<{ Params: { id: string }; Body: { author?: string; comment?: string } }>(
    '/v1/models/:id/promote',
    {
      ...publisher,
      preValidation: optionalBody,
      config: { errors: { 409: 'the model is its role\u2019s active model already' } },
      schema: {
        tags,
        security,
        description:
          'Makes this model its role\u2019s active model on every replica within 2 s; promoting the shadow model ends its shadowing.',
        params: idParams,
        body: changeBody,
        response: { 200: changed },
      },
    },
    async (req) => {
      const { model, from } = await registry.promote({
        id: Number(req.params.id),
        actor: authorOf(auth, req, req.body.author),
        comment: req.body.comment ?? '',
      });
      return { model, from_id: from };
    },
  );

  app.post<{ Body: { role: string; to?: number; author?: string; comment?: string } }>(
    '/v1/models/rollback',
    {
      ...publisher,
      config: {
        errors: {
          404: 'the role has no active model, no such model, or no earlier one to roll back to',
          409: 'that model is active already',
        },
      },
      schema: {
        tags,
        security,
        description:
          'Activates `to` (a model id of the role), by default the model that was active before the current one.',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['role'],
          properties: { role, to: modelId, author, comment },
        },
        response: { 200: changed },
      },
    },
    async (req) => {
      const { model, from } = await registry.rollback({
        role: req.body.role,
        ...(req.body.to !== undefined && { to: req.body.to }),
        actor: authorOf(auth, req, req.body.author),
        comment: req.body.comment ?? '',
      });
      return { model, from_id: from };
    },
  );

  app.delete<{ Querystring: { role: string; comment?: string } }>(
    '/v1/models/shadow',
    {
      ...publisher,
      config: { errors: { 404: 'the role has no shadow model' } },
      schema: {
        tags,
        security,
        description: 'Stops scoring the role\u2019s shadow model.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['role'],
          properties: { role, comment: queryComment },
        },
        response: {
          200: {
            type: 'object',
            required: ['role', 'from_id'],
            additionalProperties: false,
            properties: { role: { type: 'string' }, from_id: { type: 'integer' } },
          },
        },
      },
    },
    async (req) => {
      const { from } = await registry.clearShadow({
        role: req.query.role,
        actor: authorOf(auth, req),
        comment: req.query.comment ?? '',
      });
      return { role: req.query.role, from_id: from };
    },
  );
  return Promise.resolve();
};
