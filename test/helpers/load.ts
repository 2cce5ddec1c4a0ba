import type { Transaction } from '../../src/domain/transaction.ts';
import type { ScoreResponse } from '../../src/pipeline/score-response.ts';

export interface LoadResult {
  /** Answered 200: the transaction and the answer received. */
  ok: Array<{ tx: Transaction; response: ScoreResponse; ms: number }>;
  /** Any other outcome (an HTTP error status, or no answer at all). */
  failed: Array<{ tx: Transaction; error: string }>;
}

/**
 * Scores `next(i)` with `concurrency` callers until `stop()` returns true (checked before each
 * call) or `next` returns null. `send` does one call and returns the status and body.
 */
export async function runLoad(opts: {
  concurrency: number;
  next: (i: number) => Transaction | null;
  stop: () => boolean;
  send: (tx: Transaction) => Promise<{ status: number; body: unknown }>;
}): Promise<LoadResult> {
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
  await Promise.all(Array.from({ length: opts.concurrency }, () => worker()));
  return result;
}

/** The p-th percentile (0–100) of the values, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}
