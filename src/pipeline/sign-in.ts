import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { RiskError } from '../domain/errors.ts';
import type { Role } from '../domain/users.ts';
import { BOOTSTRAP_ACTOR, parseUserToken } from '../domain/users.ts';
import type { Clock } from './clock.ts';
import { LoginThrottle } from './login-throttle.ts';
import type { SecretHasher, SessionRecord, User, UserStore } from './user-store.ts';

/** Who is calling, as every route sees it. */
export interface Principal {
  /** The user's name, or `admin` for the bootstrap ADMIN_TOKEN. */
  username: string;
  role: Role;
  /** The bootstrap admin (ADMIN_TOKEN, or a session opened with it): may name an author. */
  bootstrap: boolean;
  via: 'admin-token' | 'user-token' | 'password' | 'session';
  /** For a session: when it ends if unused. */
  expiresAtMs?: number;
}

/** Refused for now: `retryAfterSeconds` goes out as the Retry-After header. */
export class RateLimitedError extends RiskError {
  readonly retryAfterSeconds: number;
  constructor(waitMs: number) {
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    super(
      'RISK_ERR_RATE_LIMITED',
      `too many failed sign-ins: try again in ${seconds} s`,
      undefined,
    );
    this.retryAfterSeconds = seconds;
  }
}

export interface SignInOptions {
  users: UserStore;
  hasher: SecretHasher;
  clock: Clock;
  /** The bootstrap admin's bearer token; unset: only users sign in. */
  adminToken: string | undefined;
  /** A session unused this long ends. */
  sessionIdleMs: number;
  /** A session ends this long after it opened, however busy. */
  sessionMaxMs: number;
  /** Failures per user name (or token id) before delays start; four times that per address. */
  freeFailures: number;
  maxDelayMs: number;
  /** How long a verified API token skips the KDF (the user's state is still read each time). */
  tokenCacheMs?: number;
  /** Told of every refused sign-in: a wrong credential, or one held back by the throttle. */
  onRefused?: (credential: 'password' | 'token', reason: 'wrong' | 'throttled') => void;
}

export interface OpenedSession {
  /** The cookie value: shown to the client once, stored only as its SHA-256. */
  id: string;
  principal: Principal;
  expiresAtMs: number;
}

export interface SignIn {
  /** `Authorization: Bearer` with ADMIN_TOKEN or a user's API token. */
  bearer(token: string, client: string): Promise<Principal>;
  password(username: string, password: string, client: string): Promise<Principal>;
  openSession(principal: Principal): Promise<OpenedSession>;
  /** The session's principal; throws 401 when it is unknown or has expired. */
  session(id: string): Promise<{ principal: Principal; expiresAtMs: number }>;
  closeSession(id: string): Promise<void>;
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

const invalidToken = (adminTokenSet: boolean) =>
  new RiskError(
    'RISK_ERR_FORBIDDEN',
    adminTokenSet
      ? 'the bearer token is not valid for this service'
      : 'the bearer token is not valid for this service (ADMIN_TOKEN is not set: only users\u2019 API tokens are accepted)',
  );

/** The same message for an unknown user and a wrong password: names are not disclosed. */
const wrongPassword = () => new RiskError('RISK_ERR_FORBIDDEN', 'wrong user name or password');

const disabled = (username: string) =>
  new RiskError('RISK_ERR_FORBIDDEN', `user ${username} is disabled`);

const sessionGone = () =>
  new RiskError('RISK_ERR_UNAUTHORIZED', 'the session has expired or was closed: sign in again');

/**
 * Checks credentials (DESIGN.md §4.10): the bootstrap ADMIN_TOKEN, users' API tokens and
 * passwords (one KDF each, slowed by a throttle), and the sessions opened with them. The user's
 * current state (role, disabled) is read from the store on every call, so a disabled user is
 * refused at once on every replica; only the KDF result of a token is cached.
 */
export function createSignIn(opts: SignInOptions): SignIn {
  const { users, hasher, clock } = opts;
  const now = () => clock.now();
  const perName = new LoginThrottle({
    freeFailures: opts.freeFailures,
    maxDelayMs: opts.maxDelayMs,
    now,
  });
  const perAddress = new LoginThrottle({
    freeFailures: opts.freeFailures * 4,
    maxDelayMs: opts.maxDelayMs,
    now,
  });
  const tokenCacheMs = opts.tokenCacheMs ?? 300_000;
  /** sha256(token) → the stored hash it matched and when: a rotated token no longer matches. */
  const verified = new Map<string, { secretHash: string; atMs: number }>();
  const adminDigest = opts.adminToken === undefined ? undefined : sha256(opts.adminToken);
  // Unknown names still pay one KDF, so timing does not tell which names exist.
  let dummyHash: Promise<string> | undefined;

  function bootstrapTag(random: string): string | null {
    if (opts.adminToken === undefined) return null;
    return createHmac('sha256', opts.adminToken).update(random).digest('base64url');
  }

  const refused = opts.onRefused ?? (() => undefined);

  function throttled(keys: string[], credential: 'password' | 'token'): void {
    const waitMs = Math.max(
      perAddress.waitMs(keys[0] ?? ''),
      ...keys.slice(1).map((k) => perName.waitMs(k)),
    );
    if (waitMs > 0) {
      refused(credential, 'throttled');
      throw new RateLimitedError(waitMs);
    }
  }
  function failed(keys: string[], credential: 'password' | 'token'): void {
    refused(credential, 'wrong');
    perAddress.failure(keys[0] ?? '');
    for (const k of keys.slice(1)) perName.failure(k);
  }

  const active = (user: User, via: Principal['via']): Principal => {
    if (user.disabled) throw disabled(user.username);
    return { username: user.username, role: user.role, bootstrap: false, via };
  };

  async function userToken(token: string, client: string): Promise<Principal> {
    const parsed = parseUserToken(token);
    const keys = [`ip:${client}`, ...(parsed === null ? [] : [`token:${parsed.tokenId}`])];
    throttled(keys, 'token');
    const found = parsed === null ? null : await users.findToken(parsed.tokenId);
    if (parsed === null || found === null) {
      failed(keys, 'token');
      throw invalidToken(adminDigest !== undefined);
    }
    const key = sha256(token).toString('hex');
    const hit = verified.get(key);
    const fresh =
      hit !== undefined && hit.secretHash === found.secretHash && now() - hit.atMs < tokenCacheMs;
    if (!fresh) {
      if (!(await hasher.verify(parsed.secret, found.secretHash))) {
        failed(keys, 'token');
        throw invalidToken(adminDigest !== undefined);
      }
      if (verified.size >= 10_000) verified.clear();
      verified.set(key, { secretHash: found.secretHash, atMs: now() });
    }
    perName.success(keys[1] ?? '');
    return active(found.user, 'user-token');
  }

  return {
    bearer(token, client) {
      // Constant time: comparing digests keeps the lengths equal.
      if (adminDigest !== undefined && timingSafeEqual(sha256(token), adminDigest))
        return Promise.resolve({
          username: BOOTSTRAP_ACTOR,
          role: 'admin',
          bootstrap: true,
          via: 'admin-token',
        });
      return userToken(token, client);
    },
    async password(username, password, client) {
      const keys = [`ip:${client}`, `user:${username}`];
      throttled(keys, 'password');
      const found = await users.get(username);
      const stored = found?.passwordHash ?? (await (dummyHash ??= hasher.hash('not a password')));
      const ok = await hasher.verify(password, stored);
      if (found === null || found.passwordHash === null || !ok) {
        failed(keys, 'password');
        throw wrongPassword();
      }
      perName.success(keys[1] ?? '');
      return active(found.user, 'password');
    },
    async openSession(principal) {
      const at = now();
      const random = randomBytes(32).toString('base64url');
      // A bootstrap session carries a MAC of the ADMIN_TOKEN it was opened with: a new token
      // (or none) ends it, as it ends the old token's bearer use.
      const id = principal.bootstrap ? `${random}.${bootstrapTag(random)}` : random;
      const record: SessionRecord = {
        idHash: sha256(id).toString('hex'),
        username: principal.username,
        bootstrap: principal.bootstrap,
        createdAtMs: at,
        lastSeenMs: at,
        expiresAtMs: at + opts.sessionMaxMs,
      };
      await users.deleteExpiredSessions(at, opts.sessionIdleMs);
      await users.createSession(record);
      return {
        id,
        principal: { ...principal, via: 'session' },
        expiresAtMs: Math.min(record.expiresAtMs, at + opts.sessionIdleMs),
      };
    },
    async session(id) {
      const idHash = sha256(id).toString('hex');
      const found = await users.findSession(idHash);
      if (found === null) throw sessionGone();
      const { session, user } = found;
      const at = now();
      if (at >= session.expiresAtMs || at >= session.lastSeenMs + opts.sessionIdleMs) {
        await users.deleteSession(idHash);
        throw sessionGone();
      }
      let principal: Principal;
      if (session.bootstrap) {
        // A session opened with ADMIN_TOKEN ends when the token is no longer configured.
        const [random = '', tag = ''] = id.split('.');
        const expected = bootstrapTag(random);
        if (expected === null || !timingSafeEqual(sha256(tag), sha256(expected)))
          throw sessionGone();
        principal = { username: BOOTSTRAP_ACTOR, role: 'admin', bootstrap: true, via: 'session' };
      } else {
        if (user === null) throw sessionGone();
        principal = active(user, 'session');
      }
      // Idle expiry counts from the last use; written at most every tenth of the idle time.
      if (at - session.lastSeenMs >= Math.min(60_000, opts.sessionIdleMs / 10))
        await users.touchSession(idHash, at);
      const expiresAtMs = Math.min(session.expiresAtMs, at + opts.sessionIdleMs);
      return { principal: { ...principal, expiresAtMs }, expiresAtMs };
    },
    closeSession: (id) => users.deleteSession(sha256(id).toString('hex')),
  };
}
