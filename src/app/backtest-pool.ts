import { Piscina } from 'piscina';
import { RiskError } from '../domain/errors.ts';
import type { BacktestReport } from '../domain/rules/backtest.ts';
import type { BacktestJob } from '../pipeline/backtest-job.ts';
import type { BacktestWorkerData } from './backtest-worker.ts';

export interface BacktestPoolOptions extends BacktestWorkerData {
  /** Backtests run at once, each on its own worker thread. */
  threads: number;
  /** Backtests waiting for a thread; one more is refused (503, retriable). */
  queue: number;
}

export interface BacktestPool {
  run(job: BacktestJob): Promise<BacktestReport>;
  /** Backtests on a thread now, and waiting for one. */
  stats(): { running: number; queued: number };
  close(): Promise<void>;
}

/**
 * Backtests on worker threads (piscina), bounded: at most `threads` at once and `queue`
 * waiting. Before this, a 10,000-transaction backtest held the event loop for about 7 s, and
 * every scoring call on that replica waited behind it. No thread is kept while idle, so a
 * service that never backtests pays nothing for the pool.
 */
export function createBacktestPool(opts: BacktestPoolOptions): BacktestPool {
  const workerData: BacktestWorkerData = { modelPath: opts.modelPath, limits: opts.limits };
  const pool = new Piscina<BacktestJob, BacktestReport>({
    filename: new URL('./backtest-worker.ts', import.meta.url).href,
    minThreads: 0,
    maxThreads: opts.threads,
    maxQueue: opts.queue,
    idleTimeout: 30_000,
    workerData,
  });
  let inFlight = 0;
  return {
    async run(job) {
      inFlight += 1;
      try {
        return await pool.run(job);
      } catch (err) {
        if (
          err instanceof Error &&
          /queue is at limit|no task queue available/i.test(err.message)
        ) {
          throw new RiskError(
            'RISK_ERR_UNAVAILABLE',
            `backtests busy: ${opts.threads} running and ${opts.queue} waiting; retry later`,
          );
        }
        throw new RiskError('RISK_ERR_INTERNAL', 'backtest failed', undefined, err);
      } finally {
        inFlight -= 1;
      }
    },
    stats() {
      const queued = pool.queueSize;
      return { running: Math.max(0, inFlight - queued), queued };
    },
    close: () => pool.destroy(),
  };
}
