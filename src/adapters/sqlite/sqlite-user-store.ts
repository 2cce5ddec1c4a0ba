import { isRole } from '../../domain/users.ts';
import type { SessionRecord, User, UserStore } from '../../pipeline/user-store.ts';
import { userStoreErrors } from '../../pipeline/user-store.ts';
import type { SqliteDatabase } from './sqlite-database.ts';

interface UserRow {
  username: string;
  role: string;
  disabled: number;
  has_password: number;
  has_token: number;
  created_at: string;
  updated_at: string;
  password_hash: string | null;
}

const USER_SELECT = `SELECT u.username, u.role, u.disabled, u.password_hash,
    (u.password_hash IS NOT NULL) AS has_password, (t.token_id IS NOT NULL) AS has_token,
    u.created_at, u.updated_at
  FROM users u LEFT JOIN user_tokens t ON t.username = u.username`;

const toUser = (row: UserRow): User => {
  if (!isRole(row.role)) throw new Error(`user ${row.username} has an unknown role ${row.role}`);
  return {
    username: row.username,
    role: row.role,
    disabled: row.disabled === 1,
    has_password: row.has_password === 1,
    has_token: row.has_token === 1,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
};

interface SessionRow {
  id_hash: string;
  username: string;
  bootstrap: number;
  created_at_ms: number;
  last_seen_ms: number;
  expires_at_ms: number;
}

const toSession = (row: SessionRow): SessionRecord => ({
  idHash: row.id_hash,
  username: row.username,
  bootstrap: row.bootstrap === 1,
  createdAtMs: row.created_at_ms,
  lastSeenMs: row.last_seen_ms,
  expiresAtMs: row.expires_at_ms,
});

/** node:sqlite is synchronous: its answers and its errors as the port's promises. */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

const NOW = `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`;

/** Users in the embedded SQLite database. Run `migrateSqlite` first. */
export function createSqliteUserStore(db: SqliteDatabase): UserStore {
  const getUser = (username: string): UserRow | undefined =>
    db.get<UserRow>(`${USER_SELECT} WHERE u.username = ?`, username);
  const mustGet = (username: string): User => {
    const row = getUser(username);
    if (row === undefined) throw userStoreErrors.unknown(username);
    return toUser(row);
  };

  return {
    create(input) {
      return settle(() =>
        db.transaction(() => {
          if (getUser(input.username) !== undefined) throw userStoreErrors.taken(input.username);
          db.run(
            'INSERT INTO users (username, role, password_hash) VALUES (?, ?, ?)',
            input.username,
            input.role,
            input.passwordHash,
          );
          return mustGet(input.username);
        }),
      );
    },
    get(username) {
      return settle(() => {
        const row = getUser(username);
        return row === undefined ? null : { user: toUser(row), passwordHash: row.password_hash };
      });
    },
    list() {
      return settle(() =>
        db.all<UserRow>(`${USER_SELECT} ORDER BY u.username`).map((r) => toUser(r)),
      );
    },
    update(username, change) {
      return settle(() =>
        db.transaction(() => {
          mustGet(username);
          if (change.role !== undefined)
            db.run('UPDATE users SET role = ? WHERE username = ?', change.role, username);
          if (change.disabled !== undefined)
            db.run(
              'UPDATE users SET disabled = ? WHERE username = ?',
              change.disabled ? 1 : 0,
              username,
            );
          if (change.passwordHash !== undefined)
            db.run(
              'UPDATE users SET password_hash = ? WHERE username = ?',
              change.passwordHash,
              username,
            );
          db.run(`UPDATE users SET updated_at = ${NOW} WHERE username = ?`, username);
          if (change.disabled === true)
            db.run('DELETE FROM user_sessions WHERE username = ? AND bootstrap = 0', username);
          return mustGet(username);
        }),
      );
    },
    setToken(username, token) {
      return settle(() =>
        db.transaction(() => {
          mustGet(username);
          db.run('DELETE FROM user_tokens WHERE username = ?', username);
          db.run(
            'INSERT INTO user_tokens (token_id, username, secret_hash) VALUES (?, ?, ?)',
            token.tokenId,
            username,
            token.secretHash,
          );
          db.run(`UPDATE users SET updated_at = ${NOW} WHERE username = ?`, username);
        }),
      );
    },
    findToken(tokenId) {
      return settle(() => {
        const row = db.get<{ token_id: string; secret_hash: string; username: string }>(
          'SELECT token_id, secret_hash, username FROM user_tokens WHERE token_id = ?',
          tokenId,
        );
        if (row === undefined) return null;
        return { tokenId: row.token_id, secretHash: row.secret_hash, user: mustGet(row.username) };
      });
    },
    createSession(s) {
      return settle(() => {
        db.run(
          `INSERT INTO user_sessions
             (id_hash, username, bootstrap, created_at_ms, last_seen_ms, expires_at_ms)
           VALUES (?, ?, ?, ?, ?, ?)`,
          s.idHash,
          s.username,
          s.bootstrap ? 1 : 0,
          s.createdAtMs,
          s.lastSeenMs,
          s.expiresAtMs,
        );
      });
    },
    findSession(idHash) {
      return settle(() => {
        const row = db.get<SessionRow>('SELECT * FROM user_sessions WHERE id_hash = ?', idHash);
        if (row === undefined) return null;
        const session = toSession(row);
        const user = session.bootstrap ? undefined : getUser(session.username);
        return { session, user: user === undefined ? null : toUser(user) };
      });
    },
    touchSession(idHash, lastSeenMs) {
      return settle(() => {
        db.run(
          'UPDATE user_sessions SET last_seen_ms = max(last_seen_ms, ?) WHERE id_hash = ?',
          lastSeenMs,
          idHash,
        );
      });
    },
    deleteSession(idHash) {
      return settle(() => {
        db.run('DELETE FROM user_sessions WHERE id_hash = ?', idHash);
      });
    },
    deleteExpiredSessions(nowMs, idleMs) {
      return settle(() =>
        db.run(
          'DELETE FROM user_sessions WHERE expires_at_ms <= ? OR last_seen_ms + ? <= ?',
          nowMs,
          idleMs,
          nowMs,
        ),
      );
    },
  };
}
