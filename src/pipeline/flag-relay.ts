import type { RiskFlag } from '../domain/flag.ts';
import type { BackoffPolicy } from './backoff.ts';
import { backoffDelay } from './backoff.ts';
import type { ClaimedBatch, OutboxStore, Publisher } from './flag-outbox.ts';
import { untilDeadline } from './deadline.ts';
import type { Logger } from './logger.ts';

export interface RelayObserver<R = RiskFlag> {
  published(store: string, records: readonly R[]): void;
  failed(store: string, count: number): void;
}

export interface OutboxRelayOptions<R> {
  store: OutboxStore<R>;
  publisher: Publisher<R>;
  logger: Logger;
  /** What the records are, in log lines and the logger's `component` (default `flags`). */
  noun?: string;
  /**
   * After an append wakes an idle relay, wait this long for more flags before claiming: a
   * bounded linger, so a burst goes out as one request while a lone flag waits a few ms at most.
   * While a publish is in flight, new flags simply wait for the next claim.
   */
  lingerMs?: number;
  /** Flags per publish request. */
  batchMax?: number;
  /** How often an idle relay looks anyway (flags due for a retry, rows other replicas left). */
  pollIntervalMs?: number;
  backoff?: BackoffPolicy;
  observer?: RelayObserver<R>;
  random?: () => number;
}

export type FlagRelayOptions = OutboxRelayOptions<RiskFlag>;

export interface OutboxRelay {
  start(): void;
  /**
   * Publishes what is due until the outbox has nothing left to claim or `deadlineMs` (epoch)
   * passes, then stops. Resolves true when the outbox was emptied. Records left behind stay in
   * the outbox for the next start (or another replica).
   */
  drain(deadlineMs: number): Promise<boolean>;
  stop(deadlineMs?: number): Promise<void>;
}

export const DEFAULT_RELAY_BACKOFF: BackoffPolicy = { minMs: 200, maxMs: 10_000 };

/** The relay of the flag outbox (the name it had before it carried case events too). */
export type FlagRelay = OutboxRelay;

/**
 * Moves records from a durable outbox to the broker: claim a batch, publish it, forget it once
 * acknowledged; on failure offer the batch again after an exponential backoff with jitter.
 * Delivery is at least once: a publish whose acknowledgement is lost (or a crash between the
 * acknowledgement and `ack()`) sends the records again, with the same ids.
 */
export function createOutboxRelay<R>(opts: OutboxRelayOptions<R>): OutboxRelay {
  const { store, publisher, observer } = opts;
  const noun = opts.noun ?? 'flags';
  const log = opts.logger.child({
    component: noun === 'flags' ? 'flag-relay' : `${noun.replaceAll(' ', '-')}-relay`,
    outbox: store.name,
  });
  const lingerMs = opts.lingerMs ?? 5;
  const batchMax = opts.batchMax ?? 500;
  const pollIntervalMs = opts.pollIntervalMs ?? 1000;
  const backoff = opts.backoff ?? DEFAULT_RELAY_BACKOFF;
  const random = opts.random ?? Math.random;

  const nap = new Nap();
  let running: Promise<void> | undefined;
  let stopped = false;
  let draining = false;
  let failures = 0;
  let woken = false;
  let lastFailureLog = 0;
  const idleWaiters: Array<() => void> = [];

  store.onAppend(() => {
    if (woken) return;
    woken = true;
    nap.shorten('idle', lingerMs);
  });

  async function loop(): Promise<void> {
    while (!stopped) {
      woken = false;
      let batch: ClaimedBatch<R> | null;
      try {
        batch = await store.claim(batchMax);
      } catch (err) {
        failures += 1;
        warn(err, `claiming ${noun} from the outbox failed`);
        await nap.sleep('backoff', backoffDelay(failures, backoff, random));
        continue;
      }
      if (batch === null) {
        if (failures === 0) {
          for (const notify of idleWaiters.splice(0)) notify();
          if (draining) return;
        } else if (draining) {
          // Records released after a failure are not due yet: the outbox is not drained.
          await nap.sleep('backoff', 50);
          continue;
        }
        await nap.sleep('idle', woken ? lingerMs : pollIntervalMs);
        continue;
      }
      try {
        await publisher.publish(batch.records);
      } catch (err) {
        failures += 1;
        const delay = backoffDelay(failures, backoff, random);
        observer?.failed(store.name, batch.records.length);
        warn(err, `publishing ${batch.records.length} ${noun} failed; retrying in ${delay} ms`);
        await batch.release(delay, errorMessage(err)).catch((e: unknown) => {
          warn(e, `releasing claimed ${noun} failed (offered again when the claim expires)`);
        });
        await nap.sleep('backoff', delay);
        continue;
      }
      if (failures > 0) log.info({ after_failures: failures }, `publishing ${noun} again`);
      failures = 0;
      observer?.published(store.name, batch.records);
      try {
        await batch.ack();
      } catch (err) {
        // Published but still in the outbox: they will be sent again, with the same ids.
        warn(err, `forgetting published ${noun} failed`);
      }
    }
  }

  /** At most one warning per 10 s while failures go on: an outage must not flood the log. */
  function warn(err: unknown, msg: string): void {
    const now = Date.now();
    if (now - lastFailureLog < 10_000) return;
    lastFailureLog = now;
    log.warn({ err: errorMessage(err), failures }, msg);
  }

  async function stop(deadlineMs = Date.now() + 5_000): Promise<void> {
    stopped = true;
    nap.end();
    if (running !== undefined) await untilDeadline(running, deadlineMs);
  }

  return {
    start() {
      running ??= loop().catch((err: unknown) => {
        log.error({ err }, `${noun} relay stopped unexpectedly`);
      });
    },
    async drain(deadlineMs) {
      if (running === undefined) return false;
      draining = true;
      const idle = new Promise<true>((resolve) => idleWaiters.push(() => resolve(true)));
      nap.shorten('idle', 0);
      const emptied = (await untilDeadline(idle, deadlineMs)) === true;
      await stop(deadlineMs);
      return emptied;
    },
    stop,
  };
}

/** The flag outbox's relay, as before the outbox was generalised. */
export function createFlagRelay(opts: FlagRelayOptions): FlagRelay {
  return createOutboxRelay(opts);
}

/** A sleep that an append can cut short (when idle) and a stop can end (always). */
class Nap {
  private timer: NodeJS.Timeout | undefined;
  private resolve: (() => void) | undefined;
  private kind: 'idle' | 'backoff' | undefined;
  private until = 0;

  sleep(kind: 'idle' | 'backoff', ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.resolve = resolve;
      this.kind = kind;
      this.schedule(ms);
    });
  }

  /** Ends a nap of that kind within `ms`, never later than it would have ended anyway. */
  shorten(kind: 'idle' | 'backoff', ms: number): void {
    if (this.resolve === undefined || this.kind !== kind) return;
    if (Date.now() + ms >= this.until) return;
    clearTimeout(this.timer);
    this.schedule(ms);
  }

  end(): void {
    clearTimeout(this.timer);
    const resolve = this.resolve;
    this.resolve = undefined;
    this.kind = undefined;
    resolve?.();
  }

  private schedule(ms: number): void {
    this.until = Date.now() + ms;
    this.timer = setTimeout(() => this.end(), ms);
    // The relay never keeps the process alive by itself: the servers do, until shutdown.
    this.timer.unref();
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
