/**
 * One conformance suite for every UserStore: memory and embedded SQLite as unit tests, the
 * PostgreSQL store against the real server (integration).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isRiskError } from '../../src/domain/errors.ts';
import type { SessionRecord, UserStore } from '../../src/pipeline/user-store.ts';

export type UserStoreFactory = () => Promise<{ store: UserStore; close: () => Promise<void> }>;

const codeOf = (err: unknown) => (isRiskError(err) ? err.code : String(err));

const session = (over: Partial<SessionRecord> = {}): SessionRecord => ({
  idHash: 'a'.repeat(64),
  username: 'alice',
  bootstrap: false,
  createdAtMs: 1_700_000_000_000,
  lastSeenMs: 1_700_000_000_000,
  expiresAtMs: 1_700_000_000_000 + 12 * 3_600_000,
  ...over,
});

export function userStoreConformance(name: string, make: UserStoreFactory): void {
  describe(`UserStore conformance: ${name}`, () => {
    async function withStore(fn: (s: UserStore) => Promise<void>): Promise<void> {
      const { store, close } = await make();
      try {
        await fn(store);
      } finally {
        await close();
      }
    }

    test('create, get, list sorted by name; a taken name is a conflict', () =>
      withStore(async (s) => {
        const bob = await s.create({ username: 'bob', role: 'viewer', passwordHash: null });
        assert.equal(bob.role, 'viewer');
        assert.equal(bob.disabled, false);
        assert.equal(bob.has_password, false);
        assert.equal(bob.has_token, false);
        assert.match(bob.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        await s.create({ username: 'alice', role: 'publisher', passwordHash: 'scrypt$x' });
        const alice = await s.get('alice');
        assert.equal(alice?.passwordHash, 'scrypt$x');
        assert.equal(alice?.user.has_password, true);
        assert.equal(await s.get('carol'), null);
        assert.deepEqual(
          (await s.list()).map((u) => u.username),
          ['alice', 'bob'],
        );
        await assert.rejects(
          s.create({ username: 'bob', role: 'admin', passwordHash: null }),
          (err) => codeOf(err) === 'RISK_ERR_CONFLICT',
        );
        assert.equal((await s.get('bob'))?.user.role, 'viewer');
      }));

    test('update changes role, disabled and password; an unknown name is not found', () =>
      withStore(async (s) => {
        await s.create({ username: 'alice', role: 'viewer', passwordHash: null });
        const u = await s.update('alice', { role: 'analyst', disabled: true });
        assert.equal(u.role, 'analyst');
        assert.equal(u.disabled, true);
        await s.update('alice', { passwordHash: 'scrypt$y' });
        assert.equal((await s.get('alice'))?.passwordHash, 'scrypt$y');
        assert.equal((await s.get('alice'))?.user.role, 'analyst');
        await s.update('alice', { passwordHash: null, disabled: false });
        const back = await s.get('alice');
        assert.equal(back?.passwordHash, null);
        assert.equal(back?.user.disabled, false);
        await assert.rejects(
          s.update('nobody', { role: 'admin' }),
          (err) => codeOf(err) === 'RISK_ERR_NOT_FOUND',
        );
      }));

    test('one token per user: issuing another replaces the first', () =>
      withStore(async (s) => {
        await s.create({ username: 'alice', role: 'analyst', passwordHash: null });
        await s.setToken('alice', { tokenId: '0123456789abcdef', secretHash: 'h1' });
        const t = await s.findToken('0123456789abcdef');
        assert.equal(t?.secretHash, 'h1');
        assert.equal(t?.user.username, 'alice');
        assert.equal(t?.user.has_token, true);
        await s.setToken('alice', { tokenId: 'fedcba9876543210', secretHash: 'h2' });
        assert.equal(await s.findToken('0123456789abcdef'), null);
        assert.equal((await s.findToken('fedcba9876543210'))?.secretHash, 'h2');
        await assert.rejects(
          s.setToken('nobody', { tokenId: '1111111111111111', secretHash: 'h' }),
          (err) => codeOf(err) === 'RISK_ERR_NOT_FOUND',
        );
      }));

    test('sessions: find with the user, touch, delete; disabling ends them', () =>
      withStore(async (s) => {
        await s.create({ username: 'alice', role: 'publisher', passwordHash: null });
        await s.createSession(session());
        await s.createSession(session({ idHash: 'b'.repeat(64) }));
        await s.createSession(
          session({ idHash: 'c'.repeat(64), username: 'admin', bootstrap: true }),
        );
        const found = await s.findSession('a'.repeat(64));
        assert.deepEqual(found?.session, session());
        assert.equal(found?.user?.role, 'publisher');
        const boot = await s.findSession('c'.repeat(64));
        assert.equal(boot?.session.bootstrap, true);
        assert.equal(boot?.user, null);

        await s.touchSession('a'.repeat(64), session().lastSeenMs + 5000);
        await s.touchSession('a'.repeat(64), session().lastSeenMs + 1000); // never backwards
        assert.equal(
          (await s.findSession('a'.repeat(64)))?.session.lastSeenMs,
          session().lastSeenMs + 5000,
        );
        await s.deleteSession('b'.repeat(64));
        assert.equal(await s.findSession('b'.repeat(64)), null);

        await s.update('alice', { disabled: true });
        assert.equal(await s.findSession('a'.repeat(64)), null);
        assert.notEqual(await s.findSession('c'.repeat(64)), null);
      }));

    test('expired sessions are removed: past the absolute end or idle too long', () =>
      withStore(async (s) => {
        const t0 = 1_700_000_000_000;
        await s.createSession(session({ idHash: '1'.repeat(64), expiresAtMs: t0 + 1000 }));
        await s.createSession(session({ idHash: '2'.repeat(64), lastSeenMs: t0 - 10_000 }));
        await s.createSession(session({ idHash: '3'.repeat(64), lastSeenMs: t0 }));
        assert.equal(await s.deleteExpiredSessions(t0 + 1000, 5000), 2);
        assert.equal(await s.findSession('1'.repeat(64)), null);
        assert.equal(await s.findSession('2'.repeat(64)), null);
        assert.notEqual(await s.findSession('3'.repeat(64)), null);
      }));
  });
}
