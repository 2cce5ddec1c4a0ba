import type { WindowAggregate, WindowInput } from '../domain/windows.ts';
import { WindowAccumulator } from '../domain/windows.ts';
import type { BackoffPolicy } from './backoff.ts';
import { backoffDelay } from './backoff.ts';
import { untilDeadline } from './deadline.ts';
import type { Logger } from './logger.ts';
import type { WindowSink } from './window-sink.ts';
import type { WindowStore } from './window-store.ts';
import { WindowDataError } from './window-store.ts';

export interface WindowObserver {
  flushed(keys: number, seconds: number): void;
  flushFailed(): void;
  /** Key updates refused because the buffer held `maxKeys` keys. */
  dropped(count: number): void;
  /** Window keys the store refused as data (WindowDataError), set aside and not retried. */
  rejected?(keys: number): void;
}

export interface WindowBufferOptions {
  store: WindowStore;
  windowSeconds: number;
  /**
   * Prefix of this process's flush ids. It must differ between processes that run at the same
   * time and between restarts: callers add a random part per start (see build-app).
   */
  flushIdPrefix: string;
  flushIntervalMs?: number;
  /**
   * Bound on the keys held in memory (buffered and awaiting a retry together). Memory grows
   * with distinct (window, dimension value) keys, not with transactions; at the bound, updates
   * of keys already held still count, updates that would need a new key are dropped and counted.
   */
  maxKeys?: number;
  logger: Logger;
  observer?: WindowObserver;
  backoff?: BackoffPolicy;
}

export interface WindowBufferStats {
  bufferedKeys: number;
  /** When the oldest update not yet written was made (epoch ms); null when all is written. */
  oldestUnwrittenMs: number | null;
  /** Window keys the store refused as data since start, set aside (and logged with their key). */
  rejectedKeys: number;
}

export interface WindowBuffer extends WindowSink {
  start(): void;
  /** One write attempt now. True when nothing is left to write. */
  flush(): Promise<boolean>;
  stats(): WindowBufferStats;
  /** Stops the timer, then writes everything, retrying until `deadlineMs`. True when all was written. */
  close(deadlineMs: number): Promise<boolean>;
}

interface PendingFlush {
  id: string;
  parts: WindowAggregate[];
  since: number;
}

/**
 * The windows of this replica's transactions since the last write, written every
 * `flushIntervalMs` as one batch of additive upserts.
 *
 * Exactly once across failures: a batch gets its flush id when it is cut from the buffer and
 * keeps it, with the same parts, until a write of it succeeds. New transactions go into a new
 * buffer meanwhile, never into the batch awaiting its retry, so every retry sends exactly what
 * the first attempt sent and the store's once-per-id rule makes the outcome single whatever the
 * earlier attempts did.
 *
 * One bad row cannot hold the rest back: when the store refuses a batch as data
 * (WindowDataError: nothing of it was applied, and retrying it would fail the same way), the
 * batch is split in two halves under new flush ids derived from its own (`<id>/0`, `<id>/1`,
 * never used before, so still applied at most once), and the halves are written in turn. A
 * single key that the store still refuses is set aside: logged with its key, counted, not
 * retried. Any other failure (connection lost, timeout) keeps the batch whole and retries it
 * with its id after a backoff, as before.
 */
export function createWindowBuffer(opts: WindowBufferOptions): WindowBuffer {
  const { store, observer } = opts;
  const log = opts.logger.child({ component: 'window-buffer' });
  const sizeMs = opts.windowSeconds * 1000;
  const flushIntervalMs = opts.flushIntervalMs ?? 1000;
  const maxKeys = opts.maxKeys ?? 100_000;
  const backoff = opts.backoff ?? { minMs: flushIntervalMs, maxMs: 30_000 };

  let current = new WindowAccumulator(sizeMs);
  let currentSince: number | null = null;
  /** Batches cut from the buffer and not yet written, oldest first (a split puts its halves first). */
  const pending: PendingFlush[] = [];
  let rejectedKeys = 0;
  let seq = 0;
  let failures = 0;
  let nextAttemptAt = 0;
  let flushing: Promise<boolean> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastDropLog = 0;
  let lastFailureLog = 0;

  const held = (): number => current.size + pending.reduce((n, p) => n + p.parts.length, 0);

  function setAside(batch: PendingFlush, err: WindowDataError): void {
    if (batch.parts.length > 1) {
      const half = Math.ceil(batch.parts.length / 2);
      pending.unshift(
        { id: `${batch.id}/0`, parts: batch.parts.slice(0, half), since: batch.since },
        { id: `${batch.id}/1`, parts: batch.parts.slice(half), since: batch.since },
      );
      return;
    }
    const [part] = batch.parts;
    rejectedKeys += batch.parts.length;
    observer?.rejected?.(batch.parts.length);
    log.error(
      {
        err: err.message,
        flush_id: batch.id,
        window_start: part === undefined ? undefined : safeIso(part.windowStartMs),
        dimension: part?.dimension,
        dimension_value: part?.value,
      },
      'the window store refused this window key as data: it is set aside, not retried',
    );
  }

  async function attempt(): Promise<boolean> {
    if (pending.length === 0) {
      if (current.size === 0) return true;
      seq += 1;
      pending.push({
        id: `${opts.flushIdPrefix}:${seq}`,
        parts: current.list(),
        since: currentSince ?? Date.now(),
      });
      current = new WindowAccumulator(sizeMs);
      currentSince = null;
    }
    const batch = pending[0];
    if (batch === undefined) return current.size === 0;
    const started = performance.now();
    try {
      await store.add(batch.id, batch.parts);
    } catch (err) {
      if (err instanceof WindowDataError) {
        pending.shift();
        setAside(batch, err);
        // Not the store's health: the next part goes at once, without a backoff.
        return false;
      }
      failures += 1;
      nextAttemptAt = Date.now() + backoffDelay(failures, backoff);
      observer?.flushFailed();
      const now = Date.now();
      if (now - lastFailureLog >= 10_000) {
        lastFailureLog = now;
        log.warn(
          {
            err: err instanceof Error ? err.message : String(err),
            flush_id: batch.id,
            failures,
            buffered_keys: held(),
          },
          'writing windows failed; the batch is kept and retried with the same flush id',
        );
      }
      return false;
    }
    if (failures > 0)
      log.info({ flush_id: batch.id, after_failures: failures }, 'windows written again');
    observer?.flushed(batch.parts.length, (performance.now() - started) / 1000);
    failures = 0;
    nextAttemptAt = 0;
    pending.shift();
    return pending.length === 0 && current.size === 0;
  }

  function flush(): Promise<boolean> {
    flushing ??= attempt().finally(() => {
      flushing = undefined;
    });
    return flushing;
  }

  return {
    add(input: WindowInput) {
      const refused = current.add(input, () => held() < maxKeys);
      if (currentSince === null && current.size > 0) currentSince = Date.now();
      if (refused > 0) {
        observer?.dropped(refused);
        const now = Date.now();
        if (now - lastDropLog >= 10_000) {
          lastDropLog = now;
          log.error(
            { max_keys: maxKeys, buffered_keys: held() },
            'window buffer full (the store has been failing): updates needing a new key are dropped',
          );
        }
      }
    },
    start() {
      timer ??= setInterval(() => {
        if (flushing !== undefined || Date.now() < nextAttemptAt) return;
        void flush();
      }, flushIntervalMs);
      timer.unref();
    },
    flush,
    stats() {
      const since = [...pending.map((p) => p.since), currentSince].filter(
        (t): t is number => typeof t === 'number',
      );
      return {
        bufferedKeys: held(),
        oldestUnwrittenMs: since.length > 0 ? Math.min(...since) : null,
        rejectedKeys,
      };
    },
    async close(deadlineMs) {
      clearInterval(timer);
      timer = undefined;
      for (let first = true; ; first = false) {
        if (!first && Date.now() >= deadlineMs) break;
        // A write that hangs (a server that stopped answering) must not hold shutdown past the deadline.
        const done = await untilDeadline(flush(), deadlineMs);
        if (done === true) return true;
        const wait = Math.min(nextAttemptAt, deadlineMs) - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      log.error({ buffered_keys: held() }, 'shutdown deadline passed: window updates not written');
      return false;
    },
  };
}

function safeIso(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}
