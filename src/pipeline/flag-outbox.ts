import type { RiskFlag } from '../domain/flag.ts';

/**
 * Where the scorer puts the flag of every answer that is not `approve` (DESIGN.md §4.7).
 *
 * `append` resolves only once the flag is durable: it survives this process being killed, and
 * will reach its destination whatever happens to Kafka. The scorer waits for it before
 * answering, so the guarantee is "a flag whose answer was sent is stored", not "will be".
 * Appending the same flag twice is harmless: flag ids are deterministic and consumers
 * deduplicate on them.
 */
export interface FlagOutbox {
  append(flag: RiskFlag): Promise<void>;
}

/** Flags claimed from an outbox for one publish attempt. */
export interface ClaimedBatch {
  flags: RiskFlag[];
  /** When the oldest of them was appended (epoch ms). */
  oldestAppendedAtMs: number;
  /** The broker acknowledged them all: forget them. */
  ack(): Promise<void>;
  /** The attempt failed: offer them again after `retryInMs`. */
  release(retryInMs: number, reason: string): Promise<void>;
}

export interface OutboxStats {
  /** Flags appended and not yet acknowledged by the broker. */
  depth: number;
  /** Append time of the oldest of them (epoch ms), null when empty. */
  oldestAppendedAtMs: number | null;
}

/** A durable outbox that a relay drains (a PostgreSQL or SQLite table, or local files). */
export interface OutboxStore extends FlagOutbox {
  /** `postgres`, `sqlite` or `file`, for logs and metric labels. */
  readonly name: string;
  /** The oldest flags due for an attempt, at most `max`; null when there is none. */
  claim(max: number): Promise<ClaimedBatch | null>;
  stats(): Promise<OutboxStats>;
  /** Called after each durable append, so that the relay need not poll to start promptly. */
  onAppend(listener: () => void): void;
  close(): Promise<void>;
}

/** Sends flags to the broker; resolves once the broker acknowledged every one (acks = all). */
export interface FlagPublisher {
  publish(flags: readonly RiskFlag[]): Promise<void>;
  close(): Promise<void>;
}
