import { isRole } from '../../domain/users.ts';
import type { SessionRecord, User, UserStore } from '../../pipeline/user-store.ts';
import { userStoreErrors } from '../../pipeline/user-store.ts';
import type { Database, Queryable } from './database.ts';

interface UserRow {
  username: string;
  role: string;
  disabled: boolean;
  has_password: boolean;
  has_token: boolean;
  created_at: string;
  updated_at: string;
  password_hash: string | null;
}

const iso = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const USER_SELECT = `SELECT u.username, u.role, u.disabled, u.password_hash,
    (u.password_hash IS NOT NULL) AS has_password, (t.token_id IS NOT NULL) AS has_token,
    ${iso('u.created_at')} AS created_at, ${iso('u.updated_at')} AS updated_at
  FROM users u LEFT JOIN user_tokens t ON t.username = u.username`;

const toUser = (row: UserRow): User => {
  if (!isRole(row.role)) throw new Error(`user ${row.username} has an unknown role ${row.role}`);
  return {
    username: row.username,
    role: row.role,
    disabled: row.disabled,
    has_password: row.has_password,
    has_token: row.has_token,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
};

/** Epoch milliseconds fit a float8 exactly (below 2^53); pg returns int8 as text otherwise. */
const SESSION_COLUMNS = `id_hash AS "idHash", username, bootstrap,
  created_at_ms::float8 AS "createdAtMs", last_seen_ms::float8 AS "lastSeenMs",
  expires_at_ms::float8 AS "expiresAtMs"`;

/** A unique-violation (SQLSTATE 23505): two creations of one name at once. */
const isUniqueViolation = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';

/** Users in a PostgreSQL server. Run `migrate` first. */
export function createPgUserStore(db: Database): UserStore {
  async function getUser(q: Queryable, username: string): Promise<UserRow | undefined> {
    const rows = await q.query<UserRow>(`${USER_SELECT} WHERE u.username = $1`, [username]);
    return rows[0];
  }
  async function mustGet(q: Queryable, username: string): Promise<User> {
    const row = await getUser(q, username);
    if (row === undefined) throw userStoreErrors.unknown(username);
    return toUser(row);
  }

  return {
    async create(input) {
      try {
        await db.query('INSERT INTO users (username, role, password_hash) VALUES ($1, $2, $3)', [
          input.username,
          input.role,
          input.passwordHash,
        ]);
      } catch (err) {
        if (isUniqueViolation(err)) throw userStoreErrors.taken(input.username);
        throw err;
      }
      return mustGet(db, input.username);
    },
    async get(username) {
      const row = await getUser(db, username);
      return row === undefined ? null : { user: toUser(row), passwordHash: row.password_hash };
    },
    async list() {
      return (await db.query<UserRow>(`${USER_SELECT} ORDER BY u.username`)).map((r) => toUser(r));
    },
    update(username, change) {
      return db.transaction(async (q) => {
        const rows = await q.query<{ username: string }>(
          `UPDATE users SET
             role = COALESCE($2, role),
             disabled = COALESCE($3, disabled),
             password_hash = CASE WHEN $4 THEN $5 ELSE password_hash END,
             updated_at = now()
           WHERE username = $1 RETURNING username`,
          [
            username,
            change.role ?? null,
            change.disabled ?? null,
            change.passwordHash !== undefined,
            change.passwordHash ?? null,
          ],
        );
        if (rows.length === 0) throw userStoreErrors.unknown(username);
        if (change.disabled === true)
          await q.query('DELETE FROM user_sessions WHERE username = $1 AND NOT bootstrap', [
            username,
          ]);
        return mustGet(q, username);
      });
    },
    async setToken(username, token) {
      await db.transaction(async (q) => {
        // Locks the user's row: two issues at once end with exactly one token.
        const rows = await q.query(
          'UPDATE users SET updated_at = now() WHERE username = $1 RETURNING username',
          [username],
        );
        if (rows.length === 0) throw userStoreErrors.unknown(username);
        await q.query('DELETE FROM user_tokens WHERE username = $1', [username]);
        await q.query(
          'INSERT INTO user_tokens (token_id, username, secret_hash) VALUES ($1, $2, $3)',
          [token.tokenId, username, token.secretHash],
        );
      });
    },
    async findToken(tokenId) {
      const rows = await db.query<{ token_id: string; secret_hash: string; username: string }>(
        'SELECT token_id, secret_hash, username FROM user_tokens WHERE token_id = $1',
        [tokenId],
      );
      const row = rows[0];
      if (row === undefined) return null;
      return {
        tokenId: row.token_id,
        secretHash: row.secret_hash,
        user: await mustGet(db, row.username),
      };
    },
    async createSession(s) {
      await db.query(
        `INSERT INTO user_sessions
           (id_hash, username, bootstrap, created_at_ms, last_seen_ms, expires_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [s.idHash, s.username, s.bootstrap, s.createdAtMs, s.lastSeenMs, s.expiresAtMs],
      );
    },
    async findSession(idHash) {
      const rows = await db.query<SessionRecord>(
        `SELECT ${SESSION_COLUMNS} FROM user_sessions WHERE id_hash = $1`,
        [idHash],
      );
      const session = rows[0];
      if (session === undefined) return null;
      const user = session.bootstrap ? undefined : await getUser(db, session.username);
      return { session, user: user === undefined ? null : toUser(user) };
    },
    async touchSession(idHash, lastSeenMs) {
      await db.query(
        'UPDATE user_sessions SET last_seen_ms = GREATEST(last_seen_ms, $2) WHERE id_hash = $1',
        [idHash, lastSeenMs],
      );
    },
    async deleteSession(idHash) {
      await db.query('DELETE FROM user_sessions WHERE id_hash = $1', [idHash]);
    },
    async deleteExpiredSessions(nowMs, idleMs) {
      const rows = await db.query<{ n: number }>(
        `WITH gone AS (DELETE FROM user_sessions
           WHERE expires_at_ms <= $1 OR last_seen_ms + $2 <= $1 RETURNING 1)
         SELECT count(*)::int AS n FROM gone`,
        [nowMs, idleMs],
      );
      return rows[0]?.n ?? 0;
    },
  };
}
