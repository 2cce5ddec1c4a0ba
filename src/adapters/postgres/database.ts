/**
 * The little of a SQL database the adapters need, implemented twice: by a PostgreSQL server
 * through `pg` (server mode, DATABASE_URL) and by PGlite, PostgreSQL compiled to WebAssembly
 * running in-process (embedded mode). Both run the same migrations and the same statements, so
 * the embedded default behaves as the server does; the conformance suites run against both.
 *
 * Result values: write statements so both drivers return the same JavaScript types: cast
 * `bigint`/`numeric` results to `::int`, `::float8` or `::text` explicitly (pg returns int8 and
 * numeric as strings, PGlite returns int8 as a number).
 */
export interface Queryable {
  query<T extends object>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs several `;`-separated statements without parameters (migrations). */
  exec(text: string): Promise<void>;
}

export interface Database extends Queryable {
  /** 'postgres' for a server, 'pglite' for the embedded engine. */
  readonly kind: 'postgres' | 'pglite';
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
