import type { FastifyPluginAsync } from 'fastify';
import type { AdminAuth } from './auth.ts';
import { securedBy } from './auth.ts';
import type { Role } from '../../domain/users.ts';
import { PASSWORD_MAX_LENGTH, ROLES, USERNAME_PATTERN } from '../../domain/users.ts';
import type { Accounts } from '../../pipeline/accounts.ts';

export interface UsersRoutesOptions {
  accounts: Accounts;
  auth: AdminAuth;
}

export const userSchema = {
  type: 'object',
  required: [
    'username',
    'role',
    'disabled',
    'has_password',
    'has_token',
    'created_at',
    'updated_at',
  ],
  properties: {
    username: { type: 'string' },
    role: { type: 'string', enum: [...ROLES] },
    disabled: { type: 'boolean' },
    has_password: { type: 'boolean' },
    has_token: { type: 'boolean' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
} as const;

const username = {
  type: 'string',
  pattern: USERNAME_PATTERN,
  description: 'lower-case letters, digits, ".", "_", "-"; starts with a letter; at most 64',
};
const role = { type: 'string', enum: [...ROLES] };
/** Length is checked by the accounts (domain/users.ts), so the message says which bound. */
const password = {
  type: 'string',
  maxLength: PASSWORD_MAX_LENGTH,
  description: 'at least 12 characters',
};
const nameParams = {
  type: 'object',
  required: ['username'],
  properties: { username },
} as const;

/**
 * User management for admins (DESIGN.md §4.10): `GET /v1/users`, `POST /v1/users`,
 * `GET|PATCH /v1/users/{username}`, `POST /v1/users/{username}/token`. Users are disabled,
 * never deleted (the audit names them).
 */
export const usersRoutes: FastifyPluginAsync<UsersRoutesOptions> = (app, opts) => {
  const { accounts, auth } = opts;
  const admin = { onRequest: auth.require('admin') };
  const tags = ['users'];
  const security = securedBy;

  app.get(
    '/v1/users',
    {
      ...admin,
      schema: {
        tags,
        security,
        response: {
          200: {
            type: 'object',
            required: ['users'],
            properties: { users: { type: 'array', items: userSchema } },
          },
        },
      },
    },
    async () => ({ users: await accounts.list() }),
  );

  app.post<{ Body: { username: string; role: Role; password?: string } }>(
    '/v1/users',
    {
      ...admin,
      config: { errors: { 409: 'the user name is taken' } },
      schema: {
        tags,
        security,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['username', 'role'],
          properties: { username, role, password },
        },
        response: { 201: userSchema },
      },
    },
    async (req, reply) => reply.status(201).send(await accounts.add(req.body)),
  );

  app.get<{ Params: { username: string } }>(
    '/v1/users/:username',
    { ...admin, schema: { tags, security, params: nameParams, response: { 200: userSchema } } },
    (req) => accounts.get(req.params.username),
  );

  app.patch<{
    Params: { username: string };
    Body: { role?: Role; disabled?: boolean; password?: string | null };
  }>(
    '/v1/users/:username',
    {
      ...admin,
      schema: {
        tags,
        security,
        params: nameParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            role,
            disabled: {
              type: 'boolean',
              description:
                'true ends the user\u2019s sessions and refuses their token and password',
            },
            password: { ...password, type: ['string', 'null'], description: 'null removes it' },
          },
        },
        response: { 200: userSchema },
      },
    },
    (req) => accounts.update(req.params.username, req.body),
  );

  app.post<{ Params: { username: string } }>(
    '/v1/users/:username/token',
    {
      ...admin,
      schema: {
        tags,
        security,
        description:
          'Issues the user\u2019s API token (rsk_…), replacing the one before. It is shown only in this answer.',
        params: nameParams,
        response: {
          201: {
            type: 'object',
            required: ['username', 'token'],
            properties: { username: { type: 'string' }, token: { type: 'string' } },
          },
        },
      },
    },
    async (req, reply) => {
      const { token, user } = await accounts.issueToken(req.params.username);
      return reply.status(201).send({ username: user.username, token });
    },
  );
  return Promise.resolve();
};
