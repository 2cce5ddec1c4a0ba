/**
 * The little of a PostgreSQL server the adapters need, implemented through `pg` (server mode,
 * DATABASE_URL; pg-database.ts) and by test doubles. The embedded default is SQLite, with its
 * own adapters (../sqlite/).
 *
 * Result values: pg returns int8 and numeric as strings, so statements cast `bigint`/`numeric`
 * results to `::int`, `::float8` or `::text` explicitly to say which JavaScript type they mean.
 */
export interface Queryable {
  query<T extends object>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs several `;`-separated statements without parameters (migrations). */
  exec(text: string): Promise<void>;
}

export interface Database extends Queryable {
  /** The engine: a PostgreSQL server (the embedded SQLite store is not a `Database`). */
  readonly kind: 'postgres';
  /** Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Calls `onNotify` for every NOTIFY on `channel`, and `onReconnect` after a lost listening
   * connection is back (notifications sent meanwhile are lost: callers re-check their state).
   */
  listen(
    channel: string,
    onNotify: (payload: string) => void,
    onReconnect?: () => void,
  ): Promise<() => Promise<void>>;
  /** Cheap liveness check for readiness. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Quotes an SQL identifier (channel and table names are never parameters). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
