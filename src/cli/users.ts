/**
 * `npm run users -- <command>`: manages the users of the administration API (DESIGN.md §4.10)
 * in the database the service uses: PostgreSQL at DATABASE_URL, or else the embedded SQLite
 * file under DATA_DIR (the same variables as the service, read the same way).
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createScryptHasher } from '../adapters/crypto/scrypt-hasher.ts';
import { ConfigError, loadConfig } from '../app/config.ts';
import type { Stores } from '../app/stores.ts';
import { openStores } from '../app/stores.ts';
import { isRiskError } from '../domain/errors.ts';
import type { Role } from '../domain/users.ts';
import { ROLES, isRole } from '../domain/users.ts';
import type { Accounts } from '../pipeline/accounts.ts';
import { createAccounts } from '../pipeline/accounts.ts';
import type { User } from '../pipeline/user-store.ts';

const USAGE = `usage: npm run users -- <command> [options]

  add <name> --role <role> [--password-stdin]   create a user (roles: ${ROLES.join(', ')})
  role <name> <role>                            change a user's role
  password <name>                               set a user's password (read from stdin)
  token <name>                                  issue the user's API token (replaces the one
                                                before; shown once)
  disable <name>                                refuse the user's credentials, end sessions
  enable <name>                                 accept them again
  list [--json]                                 every user, disabled ones included

Works on the service's database: PostgreSQL at $DATABASE_URL, or else the embedded SQLite
file $DATA_DIR/risk.sqlite (default .risk-data). Users are never deleted: the audit names them.
With --password-stdin (and for "password") the password is read from standard input (one
line, at least 12 characters), so that it stays out of the shell history.
`;

class UsageError extends Error {}

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('password (then Enter, Ctrl-D): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function roleArg(value: string | undefined): Role {
  if (!isRole(value)) throw new UsageError(`the role must be one of ${ROLES.join(', ')}`);
  return value;
}

const line = (u: User) =>
  `${u.username.padEnd(24)} ${u.role.padEnd(9)} ${u.disabled ? 'disabled' : 'active  '} ` +
  `${u.has_password ? 'password' : '-       '} ${u.has_token ? 'token' : '-'}`;

async function run(accounts: Accounts, argv: string[]): Promise<string> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      role: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const [command, name, extra] = positionals;
  const needName = (): string => {
    if (name === undefined) throw new UsageError(`${command}: name the user`);
    return name;
  };
  switch (command) {
    case 'add': {
      const password = values['password-stdin'] ? await readPassword() : undefined;
      const u = await accounts.add({
        username: needName(),
        role: roleArg(values.role),
        ...(password !== undefined && { password }),
      });
      return `added ${u.username} (${u.role})${password === undefined ? '; no password: issue a token with "token"' : ''}`;
    }
    case 'role':
      return `${needName()} is now ${(await accounts.update(needName(), { role: roleArg(extra) })).role}`;
    case 'password':
      await accounts.update(needName(), { password: await readPassword() });
      return `password of ${needName()} set`;
    case 'token': {
      const { token } = await accounts.issueToken(needName());
      return `API token of ${needName()} (shown once; the one before no longer works):\n${token}`;
    }
    case 'disable':
      await accounts.update(needName(), { disabled: true });
      return `${needName()} disabled: credentials refused, sessions ended`;
    case 'enable':
      await accounts.update(needName(), { disabled: false });
      return `${needName()} enabled`;
    case 'list': {
      const users = await accounts.list();
      if (values.json) return users.map((u) => JSON.stringify(u)).join('\n');
      return users.length === 0 ? 'no users' : users.map(line).join('\n');
    }
    case undefined:
      throw new UsageError('name a command');
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  let stores: Stores | undefined;
  try {
    const config = loadConfig();
    if (config.DATABASE_URL === undefined && config.EMBEDDED_STORE === 'memory')
      throw new UsageError(
        'EMBEDDED_STORE=memory keeps users in the service process only: set DATABASE_URL, or use the embedded SQLite store',
      );
    stores = await openStores(config, pino({ level: 'silent' }));
    const accounts = createAccounts({ users: stores.users, hasher: createScryptHasher() });
    const out = await run(accounts, argv);
    if (out !== '') process.stdout.write(`${out}\n`);
    return 0;
  } catch (err) {
    const usage =
      err instanceof UsageError ||
      (err as { code?: unknown }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION';
    const message =
      err instanceof Error && (usage || isRiskError(err) || err instanceof ConfigError)
        ? err.message
        : `cannot reach the user store: ${err instanceof Error ? err.message : String(err)}`;
    process.stderr.write(`users: ${message}${usage ? ' (npm run users -- --help)' : ''}\n`);
    return usage ? 2 : 1;
  } finally {
    await stores?.close().catch(() => undefined);
  }
}

process.exitCode = await main();
