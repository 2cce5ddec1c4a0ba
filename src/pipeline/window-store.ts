import type { WindowAggregate, WindowDimension } from '../domain/windows.ts';

export interface WindowQuery {
  /** Windows starting at or after this instant (epoch ms)… */
  fromMs: number;
  /** …and before this one. */
  toMs: number;
  dimension: WindowDimension;
  limit: number;
}

/** The durable home of the aggregate windows (PostgreSQL, embedded SQLite, or memory). */
export interface WindowStore {
  /**
   * Adds partial aggregates to the stored ones, atomically, once per `flushId`: a flush id
   * already applied is skipped entirely. A caller that does not know whether an attempt
   * committed (a timeout, a lost connection) retries with the same id and the same parts, and
   * nothing is counted twice.
   */
  add(flushId: string, parts: readonly WindowAggregate[]): Promise<void>;
  /** Stored windows in the range, oldest first, then by dimension value. */
  query(q: WindowQuery): Promise<WindowAggregate[]>;
}

/**
 * The store refused the parts themselves (a value it cannot hold), not the connection: the same
 * parts would fail the same way on every retry, and nothing of the attempt was applied. Stores
 * throw it so that the buffer can set the offending parts aside instead of retrying forever.
 */
export class WindowDataError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'WindowDataError';
  }
}
