/**
 * People who use the administration API (DESIGN.md §4.10): their roles, what a user name and a
 * password may be, and the shape of a per-user API token. Pure: no I/O, no clock.
 */

/** Each role can do everything the roles before it can. */
export const ROLES = ['viewer', 'analyst', 'publisher', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role =>
  typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/** Whether `role` may do what `needed` may. */
export const roleAllows = (role: Role, needed: Role): boolean =>
  ROLES.indexOf(role) >= ROLES.indexOf(needed);

/**
 * Lower-case letters, digits and `.`, `_`, `-`, starting with a letter, at most 64: a name that
 * is safe in audit records, logs, URLs and shells, and cannot be two names that look alike.
 */
export const USERNAME_PATTERN = '^[a-z][a-z0-9._-]{0,63}$';
const USERNAME = new RegExp(USERNAME_PATTERN);

/** The bootstrap credential's actor name (ADMIN_TOKEN): no user may take it. */
export const BOOTSTRAP_ACTOR = 'admin';

/** Why `name` cannot be a user name, or null if it can. */
export function usernameProblem(name: string): string | null {
  if (!USERNAME.test(name))
    return 'must be 1–64 lower-case letters, digits, ".", "_" or "-", starting with a letter';
  if (name === BOOTSTRAP_ACTOR)
    return `"${BOOTSTRAP_ACTOR}" is the bootstrap credential's name (ADMIN_TOKEN): choose another`;
  return null;
}

export const PASSWORD_MIN_LENGTH = 12;
/** Bounds the KDF's input (scrypt reads it all) and any request body holding one. */
export const PASSWORD_MAX_LENGTH = 1024;

/** Why `password` is refused, or null. Length only: NIST SP 800-63B §5.1.1.2 asks no more. */
export function passwordProblem(password: string): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.length > PASSWORD_MAX_LENGTH)
    return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  return null;
}

/**
 * A per-user API token is `rsk_<token id>_<secret>`: the id finds the one stored hash to check,
 * so a verification costs one KDF whatever the number of users; only the secret is secret.
 */
export const TOKEN_PREFIX = 'rsk_';
const TOKEN = /^rsk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface ParsedToken {
  tokenId: string;
  secret: string;
}

export function parseUserToken(token: string): ParsedToken | null {
  const m = TOKEN.exec(token);
  return m === null ? null : { tokenId: m[1] ?? '', secret: m[2] ?? '' };
}

export const formatUserToken = (t: ParsedToken): string =>
  `${TOKEN_PREFIX}${t.tokenId}_${t.secret}`;
