/**
 * A backtest worker thread (run by app/backtest-pool.ts through piscina): replays and evaluates
 * one job at a time, so that a backtest of thousands of transactions never holds the event loop
 * that answers scoring calls. It reads the model file itself, again whenever the file changed,
 * as the service's own model source does.
 */
import { statSync, readFileSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { createMemoryVelocityStore } from '../adapters/memory/memory-velocity-store.ts';
import { modelFromJson } from '../adapters/file/file-model-source.ts';
import type { TransactionModel } from '../domain/anomaly/transaction-model.ts';
import type { BacktestReport } from '../domain/rules/backtest.ts';
import type { VelocityLimits } from '../pipeline/velocity-store.ts';
import type { BacktestJob } from '../pipeline/backtest-job.ts';
import { runBacktestJob } from '../pipeline/backtest-job.ts';

export interface BacktestWorkerData {
  /** The model file, or null for no model. */
  modelPath: string | null;
  limits: VelocityLimits;
}

const data = workerData as BacktestWorkerData;
let loaded: { stamp: string; model: TransactionModel } | undefined;

function currentModel(): TransactionModel | null {
  if (data.modelPath === null) return null;
  const st = statSync(data.modelPath);
  const stamp = `${st.mtimeMs}:${st.size}`;
  if (loaded?.stamp !== stamp) {
    loaded = { stamp, model: modelFromJson(readFileSync(data.modelPath, 'utf8'), data.modelPath) };
  }
  return loaded.model;
}

export default function run(job: BacktestJob): Promise<BacktestReport> {
  const model = currentModel();
  return runBacktestJob(job, {
    newVelocityStore: () => createMemoryVelocityStore({ limits: data.limits }),
    anomalyScore: (tx, features) => model?.score(tx, features) ?? null,
  });
}
