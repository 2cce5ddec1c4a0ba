import type { SessionRecord, User, UserCredentials, UserStore } from '../../pipeline/user-store.ts';
import { userStoreErrors } from '../../pipeline/user-store.ts';

interface Row {
  user: Omit<User, 'has_token' | 'has_password'>;
  passwordHash: string | null;
  token: { tokenId: string; secretHash: string } | null;
}

/**
 * Users in this process only (EMBEDDED_STORE=memory): the semantics of the SQL stores, checked
 * by the same conformance suite, gone at exit.
 */
export function createMemoryUserStore(now: () => Date = () => new Date()): UserStore {
  const users = new Map<string, Row>();
  const sessions = new Map<string, SessionRecord>();

  const view = (row: Row): User => ({
    ...row.user,
    has_password: row.passwordHash !== null,
    has_token: row.token !== null,
  });
  const mustGet = (username: string): Row => {
    const row = users.get(username);
    if (row === undefined) throw userStoreErrors.unknown(username);
    return row;
  };

  return {
    create(input) {
      if (users.has(input.username)) return Promise.reject(userStoreErrors.taken(input.username));
      const at = now().toISOString();
      const row: Row = {
        user: {
          username: input.username,
          role: input.role,
          disabled: false,
          created_at: at,
          updated_at: at,
        },
        passwordHash: input.passwordHash,
        token: null,
      };
      users.set(input.username, row);
      return Promise.resolve(view(row));
    },
    get(username) {
      const row = users.get(username);
      const found: UserCredentials | null =
        row === undefined ? null : { user: view(row), passwordHash: row.passwordHash };
      return Promise.resolve(found);
    },
    list() {
      const all = [...users.values()].map(view);
      return Promise.resolve(all.sort((a, b) => (a.username < b.username ? -1 : 1)));
    },
    update(username, change) {
      try {
        const row = mustGet(username);
        if (change.role !== undefined) row.user.role = change.role;
        if (change.disabled !== undefined) row.user.disabled = change.disabled;
        if (change.passwordHash !== undefined) row.passwordHash = change.passwordHash;
        row.user.updated_at = now().toISOString();
        if (change.disabled === true)
          for (const [id, s] of sessions) if (s.username === username) sessions.delete(id);
        return Promise.resolve(view(row));
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
    setToken(username, token) {
      try {
        const row = mustGet(username);
        row.token = { ...token };
        row.user.updated_at = now().toISOString();
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
    findToken(tokenId) {
      for (const row of users.values())
        if (row.token?.tokenId === tokenId)
          return Promise.resolve({ ...row.token, user: view(row) });
      return Promise.resolve(null);
    },
    createSession(session) {
      sessions.set(session.idHash, { ...session });
      return Promise.resolve();
    },
    findSession(idHash) {
      const session = sessions.get(idHash);
      if (session === undefined) return Promise.resolve(null);
      const row = session.bootstrap ? undefined : users.get(session.username);
      return Promise.resolve({
        session: { ...session },
        user: row === undefined ? null : view(row),
      });
    },
    touchSession(idHash, lastSeenMs) {
      const s = sessions.get(idHash);
      if (s !== undefined) s.lastSeenMs = Math.max(s.lastSeenMs, lastSeenMs);
      return Promise.resolve();
    },
    deleteSession(idHash) {
      sessions.delete(idHash);
      return Promise.resolve();
    },
    deleteExpiredSessions(nowMs, idleMs) {
      let n = 0;
      for (const [id, s] of sessions)
        if (s.expiresAtMs <= nowMs || s.lastSeenMs + idleMs <= nowMs) {
          sessions.delete(id);
          n += 1;
        }
      return Promise.resolve(n);
    },
  };
}
