import type { RiskFlag } from '../domain/flag.ts';

/**
 * Where a record goes to be published later (flags, DESIGN.md §4.7; case events, §4.9).
 *
 * `append` resolves only once the record is durable: it survives this process being killed,
 * and will reach its destination whatever happens to Kafka. The scorer waits for it before
 * answering, so the guarantee is "a flag whose answer was sent is stored", not "will be".
 * Appending the same record twice is harmless: record ids are deterministic (flag_id,
 * event_id) and consumers deduplicate on them.
 */
export interface Outbox<R> {
  append(record: R): Promise<void>;
}

/** The scorer's outbox: flags of the answers that are not `approve`. */
export type FlagOutbox = Outbox<RiskFlag>;

/** Records claimed from an outbox for one publish attempt. */
export interface ClaimedBatch<R = RiskFlag> {
  records: R[];
  /** When the oldest of them was appended (epoch ms). */
  oldestAppendedAtMs: number;
  /** The broker acknowledged them all: forget them. */
  ack(): Promise<void>;
  /** The attempt failed: offer them again after `retryInMs`. */
  release(retryInMs: number, reason: string): Promise<void>;
}

export interface OutboxStats {
  /** Records appended and not yet acknowledged by the broker. */
  depth: number;
  /** Append time of the oldest of them (epoch ms), null when empty. */
  oldestAppendedAtMs: number | null;
}

/**
 * A durable outbox that a relay drains (a PostgreSQL or SQLite table, or local files). One
 * store holds one kind of record, so the flag path's tables and statements stay as they were
 * when case events were added beside them.
 */
export interface OutboxStore<R = RiskFlag> extends Outbox<R> {
  /** `postgres`, `sqlite`, `file` or `memory`, for logs and metric labels. */
  readonly name: string;
  /** The oldest records due for an attempt, at most `max`; null when there is none. */
  claim(max: number): Promise<ClaimedBatch<R> | null>;
  stats(): Promise<OutboxStats>;
  /** Called after each durable append, so that the relay need not poll to start promptly. */
  onAppend(listener: () => void): void;
  /**
   * Rows were committed by another statement in its own transaction (a resolved case's
   * event): tells the `onAppend` listeners, so that the relay starts without waiting for its
   * poll. Absent where every row comes through `append`.
   */
  notifyAppended?(): void;
  close(): Promise<void>;
}

/** Sends records to their destination; resolves once it acknowledged every one (acks = all). */
export interface Publisher<R> {
  publish(records: readonly R[]): Promise<void>;
  close(): Promise<void>;
}

export type FlagPublisher = Publisher<RiskFlag>;
