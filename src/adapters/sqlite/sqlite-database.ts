import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { SQLInputValue, StatementSync } from 'node:sqlite';

export interface SqliteDatabaseOptions {
  /** The database file; its directory is created if missing. `:memory:` keeps nothing. */
  path: string;
  /**
   * How long a statement waits for another process's write lock before failing (ms). The
   * wait blocks this process's event loop (node:sqlite is synchronous), so keep it short: only
   * a second process on the same DATA_DIR (a CLI, an overlapping restart) ever holds the lock.
   */
  busyTimeoutMs?: number;
}

/**
 * The embedded default's database: one SQLite file through node:sqlite (built into Node), in
 * WAL mode so readers never wait for the writer, foreign keys enforced, and `synchronous=FULL`
 * so a commit is on disk when it returns (the flag outbox promises that, as the file outbox
 * does with fdatasync).
 *
 * Every call is synchronous. That is what makes the adapters simple: a transaction runs to its
 * end without yielding, so nothing else in this process can interleave with it; `BEGIN
 * IMMEDIATE` takes the write lock up front, so other processes wait for it (busy timeout)
 * instead of failing half-way with SQLITE_BUSY on lock upgrade.
 */
export interface SqliteDatabase {
  readonly path: string;
  /** A statement prepared once per text and kept for the life of the connection. */
  statement(text: string): StatementSync;
  all<T>(text: string, ...params: SQLInputValue[]): T[];
  get<T>(text: string, ...params: SQLInputValue[]): T | undefined;
  /** Runs a write; returns the number of rows it changed. */
  run(text: string, ...params: SQLInputValue[]): number;
  /** Runs several `;`-separated statements without parameters (migrations). */
  exec(text: string): void;
  /**
   * Runs `fn` in one write transaction: committed if it returns, rolled back if it throws.
   * `fn` must be synchronous (a promise would let other work in between: it is refused).
   */
  transaction<T>(fn: () => T): T;
  /**
   * In-process notifications, the SQLite stand-in for LISTEN/NOTIFY: `notify` calls every
   * listener of `channel` on a microtask, so after the caller's transaction has committed and
   * its promise settled. Other processes do not hear them (they poll; see live-ruleset.ts).
   */
  notify(channel: string, payload: string): void;
  listen(channel: string, onNotify: (payload: string) => void): () => void;
  ping(): void;
  close(): void;
}

/** Opening or migrating the embedded database failed; the message names the file. */
export class SqliteOpenError extends Error {
  constructor(path: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      `cannot open the embedded database ${path}: ${why} ` +
        '(check that DATA_DIR is a writable directory holding no damaged risk.sqlite, ' +
        'or set EMBEDDED_STORE=memory)',
      { cause },
    );
    this.name = 'SqliteOpenError';
  }
}

export function openSqliteDatabase(opts: SqliteDatabaseOptions): SqliteDatabase {
  const { path } = opts;
  let db: DatabaseSync;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new DatabaseSync(path, {
      enableForeignKeyConstraints: true,
      timeout: opts.busyTimeoutMs ?? 2_000,
    });
  } catch (err) {
    throw new SqliteOpenError(path, err);
  }
  try {
    // journal_mode returns the mode in force: anything but WAL means the file system refused
    // it (or the file is not a database, which this first read also detects).
    const mode = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string };
    if (path !== ':memory:' && mode.journal_mode !== 'wal')
      throw new Error(`journal mode ${mode.journal_mode}, not wal`);
    db.exec('PRAGMA synchronous = FULL');
  } catch (err) {
    db.close();
    throw new SqliteOpenError(path, err);
  }

  const statements = new Map<string, StatementSync>();
  const listeners = new Map<string, Set<(payload: string) => void>>();
  let inTransaction = false;
  let closed = false;

  const statement = (text: string): StatementSync => {
    let s = statements.get(text);
    if (s === undefined) {
      s = db.prepare(text);
      statements.set(text, s);
    }
    return s;
  };

  return {
    path,
    statement,
    all: <T>(text: string, ...params: SQLInputValue[]) => statement(text).all(...params) as T[],
    get: <T>(text: string, ...params: SQLInputValue[]) =>
      statement(text).get(...params) as T | undefined,
    run: (text, ...params) => Number(statement(text).run(...params).changes),
    exec: (text) => db.exec(text),
    transaction<T>(fn: () => T): T {
      if (inTransaction) throw new Error('nested SQLite transaction');
      inTransaction = true;
      db.exec('BEGIN IMMEDIATE');
      try {
        const result = fn();
        if (result instanceof Promise)
          throw new Error('a SQLite transaction must be synchronous (fn returned a promise)');
        db.exec('COMMIT');
        return result;
      } catch (err) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw err;
      } finally {
        inTransaction = false;
      }
    },
    notify(channel, payload) {
      for (const l of listeners.get(channel) ?? []) queueMicrotask(() => l(payload));
    },
    listen(channel, onNotify) {
      let set = listeners.get(channel);
      if (set === undefined) {
        set = new Set();
        listeners.set(channel, set);
      }
      set.add(onNotify);
      return () => {
        set.delete(onNotify);
      };
    },
    ping() {
      statement('SELECT 1').get();
    },
    close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      statements.clear();
      db.close();
    },
  };
}
