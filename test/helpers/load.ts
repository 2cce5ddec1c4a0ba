import type { Transaction } from '../../src/domain/transaction.ts';
import type { ScoreResponse } from '../../src/pipeline/score-response.ts';

export interface LoadResult {
  /** Answered 200: the transaction and the answer received. */
  ok: Array<{ tx: Transaction; response: ScoreResponse; ms: number }>;
  /** Any other outcome (an HTTP error status, or no answer at all). */
  failed: Array<{ tx: Transaction; error: string }>;
}

export interface LoadOptions {
  concurrency: number;
  next: (i: number) => Transaction | null;
  stop: () => boolean;
  send: (tx: Transaction) => Promise<{ status: number; body: unknown }>;
}

/**
 * Scores `next(i)` with `concurrency` callers until `stop()` returns true (checked before each
 * call) or `next` returns null. `send` does one call and returns the status and body.
 */
export function runLoad(opts: LoadOptions): Promise<LoadResult> {
  return startLoad(opts).done;
}

/**
 * As runLoad, with the results visible while the load runs (`live`, filled as answers come),
 * so that a test can wait for what it needs (so many answers, a flagged one) before it acts.
 */
export function startLoad(opts: LoadOptions): { live: LoadResult; done: Promise<LoadResult> } {
  const result: LoadResult = { ok: [], failed: [] };
  let i = 0;
  async function worker(): Promise<void> {
    while (!opts.stop()) {
      const tx = opts.next(i++);
      if (tx === null) return;
      const started = performance.now();
      try {
        const { status, body } = await opts.send(tx);
        const ms = performance.now() - started;
        if (status === 200) result.ok.push({ tx, response: body as ScoreResponse, ms });
        else result.failed.push({ tx, error: `HTTP ${status}` });
      } catch (err) {
        result.failed.push({ tx, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }
  const done = Promise.all(Array.from({ length: opts.concurrency }, () => worker())).then(
    () => result,
  );
  return { live: result, done };
}

/** The p-th percentile (0–100) of the values, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}
