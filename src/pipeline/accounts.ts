import { randomBytes } from 'node:crypto';
import type { ErrorDetail } from '../domain/errors.ts';
import { RiskError } from '../domain/errors.ts';
import type { Role } from '../domain/users.ts';
import { formatUserToken, passwordProblem, usernameProblem } from '../domain/users.ts';
import type { SecretHasher, User, UserStore } from './user-store.ts';

export interface Accounts {
  add(input: { username: string; role: Role; password?: string }): Promise<User>;
  list(): Promise<User[]>;
  get(username: string): Promise<User>;
  update(
    username: string,
    change: { role?: Role; disabled?: boolean; password?: string | null },
  ): Promise<User>;
  /** Issues the user's API token, replacing the one before; the token is shown only here. */
  issueToken(username: string): Promise<{ token: string; user: User }>;
}

function refuse(field: string, message: string): never {
  const details: ErrorDetail[] = [{ field, message }];
  throw new RiskError('RISK_ERR_VALIDATION', `${field}: ${message}`, details);
}

/**
 * Managing users (DESIGN.md §4.10), shared by the admin API and `npm run users`: names and
 * passwords are checked here, passwords and token secrets are stored as KDF output only.
 */
export function createAccounts(opts: { users: UserStore; hasher: SecretHasher }): Accounts {
  const { users, hasher } = opts;

  async function checkedHash(password: string): Promise<string> {
    const problem = passwordProblem(password);
    if (problem !== null) refuse('/password', problem);
    return hasher.hash(password);
  }

  async function mustGet(username: string): Promise<User> {
    const found = await users.get(username);
    if (found === null) throw new RiskError('RISK_ERR_NOT_FOUND', `no user ${username}`);
    return found.user;
  }

  return {
    async add(input) {
      const problem = usernameProblem(input.username);
      if (problem !== null) refuse('/username', problem);
      const passwordHash = input.password === undefined ? null : await checkedHash(input.password);
      return users.create({ username: input.username, role: input.role, passwordHash });
    },
    list: () => users.list(),
    get: mustGet,
    async update(username, change) {
      const passwordHash =
        change.password === undefined || change.password === null
          ? change.password
          : await checkedHash(change.password);
      return users.update(username, {
        ...(change.role !== undefined && { role: change.role }),
        ...(change.disabled !== undefined && { disabled: change.disabled }),
        ...(passwordHash !== undefined && { passwordHash }),
      });
    },
    async issueToken(username) {
      await mustGet(username);
      const tokenId = randomBytes(8).toString('hex');
      const secret = randomBytes(32).toString('base64url');
      await users.setToken(username, { tokenId, secretHash: await hasher.hash(secret) });
      return { token: formatUserToken({ tokenId, secret }), user: await mustGet(username) };
    },
  };
}
