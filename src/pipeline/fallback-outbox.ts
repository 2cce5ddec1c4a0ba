import type { RiskFlag } from '../domain/flag.ts';
import type { FlagOutbox } from './flag-outbox.ts';
import type { Logger } from './logger.ts';

export interface FallbackOutboxOptions {
  primary: FlagOutbox;
  fallback: FlagOutbox;
  /** How long an append may wait for the primary before the fallback takes the flag. */
  timeoutMs: number;
  /** After a primary failure, appends go straight to the fallback for this long. */
  coolDownMs?: number;
  logger: Logger;
  /** Called for every flag the fallback took. */
  onFallback?: () => void;
}

/**
 * Server mode: flags go to the PostgreSQL outbox, and while PostgreSQL fails or is slow, to
 * the local file outbox instead, so that scoring neither stalls nor answers without its flag
 * stored. A flag whose primary append timed out but later committed is in both outboxes: it is
 * published twice under one flag_id, which consumers deduplicate.
 */
export function createFallbackOutbox(opts: FallbackOutboxOptions): FlagOutbox {
  const { primary, fallback, timeoutMs } = opts;
  const coolDownMs = opts.coolDownMs ?? 1000;
  const log = opts.logger.child({ component: 'flag-outbox' });
  let primaryDownUntil = 0;
  let lastLog = 0;

  async function toFallback(flag: RiskFlag): Promise<void> {
    await fallback.append(flag);
    opts.onFallback?.();
  }

  return {
    async append(flag) {
      if (Date.now() < primaryDownUntil) return toFallback(flag);
      try {
        await withTimeout(primary.append(flag), timeoutMs);
      } catch (err) {
        const now = Date.now();
        primaryDownUntil = now + coolDownMs;
        if (now - lastLog >= 10_000) {
          lastLog = now;
          log.warn(
            { err: err instanceof Error ? err.message : String(err) },
            'primary flag outbox failed: flags go to the local file outbox meanwhile',
          );
        }
        await toFallback(flag);
      }
    },
  };
}

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  // A late rejection of `p` after the timeout must not become an unhandled rejection.
  p.catch(() => undefined);
  return Promise.race([p, expired]).finally(() => clearTimeout(timer));
}
