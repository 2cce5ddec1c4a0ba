import { RiskError } from '../domain/errors.ts';
import type { Role } from '../domain/users.ts';

/** A user as the API shows it: never the hashes. */
export interface User {
  username: string;
  role: Role;
  disabled: boolean;
  has_password: boolean;
  has_token: boolean;
  created_at: string;
  updated_at: string;
}

/** What sign-in needs to check a password: the stored KDF output, or null if none is set. */
export interface UserCredentials {
  user: User;
  passwordHash: string | null;
}

export interface TokenRecord {
  tokenId: string;
  /** The KDF output of the token's secret. */
  secretHash: string;
  user: User;
}

/**
 * A signed-in session. Only the SHA-256 of the session id is stored (`idHash`): the id is 256
 * random bits, so a hash this fast is enough, and a copy of the table opens no session.
 */
export interface SessionRecord {
  idHash: string;
  /** The user's name, or the bootstrap actor for a session opened with ADMIN_TOKEN. */
  username: string;
  bootstrap: boolean;
  createdAtMs: number;
  lastSeenMs: number;
  /** The absolute end, whatever the activity. */
  expiresAtMs: number;
}

export interface UserUpdate {
  role?: Role;
  disabled?: boolean;
  passwordHash?: string | null;
}

/**
 * Users, their API tokens and their sessions, in the rules database (every replica sees the
 * same ones). Users are never deleted, only disabled: the audit trail names them. A user has at
 * most one API token: issuing one replaces the one before.
 */
export interface UserStore {
  /** Throws RISK_ERR_CONFLICT if the name is taken. */
  create(input: { username: string; role: Role; passwordHash: string | null }): Promise<User>;
  get(username: string): Promise<UserCredentials | null>;
  /** Sorted by name. */
  list(): Promise<User[]>;
  /** Throws RISK_ERR_NOT_FOUND for an unknown name. Disabling ends the user's sessions. */
  update(username: string, change: UserUpdate): Promise<User>;
  /** Replaces the user's token (RISK_ERR_NOT_FOUND for an unknown name). */
  setToken(username: string, token: { tokenId: string; secretHash: string }): Promise<void>;
  findToken(tokenId: string): Promise<TokenRecord | null>;
  createSession(session: SessionRecord): Promise<void>;
  /** The session with its user's current state (null user: bootstrap, or the user is gone). */
  findSession(idHash: string): Promise<{ session: SessionRecord; user: User | null } | null>;
  touchSession(idHash: string, lastSeenMs: number): Promise<void>;
  deleteSession(idHash: string): Promise<void>;
  /** Removes sessions past either expiry; returns how many. */
  deleteExpiredSessions(nowMs: number, idleMs: number): Promise<number>;
}

/** A password or token hasher: a slow, salted KDF (see adapters/crypto/scrypt-hasher.ts). */
export interface SecretHasher {
  hash(secret: string): Promise<string>;
  /** Constant-time comparison; false (not a throw) for a stored value it cannot read. */
  verify(secret: string, stored: string): Promise<boolean>;
}

/** The refusals every store gives, worded once. */
export const userStoreErrors = {
  taken: (username: string) =>
    new RiskError('RISK_ERR_CONFLICT', `user ${username} already exists`, [
      { field: '/username', message: 'already exists' },
    ]),
  unknown: (username: string) => new RiskError('RISK_ERR_NOT_FOUND', `no user ${username}`),
};
