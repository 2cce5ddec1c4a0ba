import type { App } from '../../../src/app/build-app.ts';
import { buildApp } from '../../../src/app/build-app.ts';
import { loadConfig } from '../../../src/app/config.ts';
import type { Transaction } from '../../../src/domain/transaction.ts';
import type { ScoreResponse } from '../../../src/pipeline/score-response.ts';

/**
 * Replays transactions, in order, through the service's own pipeline (the app main.ts serves,
 * embedded stores, built from `env`) and keeps the answers of those `keep` selects. Earlier
 * transactions still fill the velocity windows, as they would in production.
 */
export async function replayThroughService(opts: {
  transactions: readonly Transaction[];
  keep: (i: number) => boolean;
  env: Record<string, string>;
  label: string;
  log: (m: string) => void;
}): Promise<ScoreResponse[]> {
  const app: App = await buildApp(
    loadConfig({
      LOG_LEVEL: 'warn',
      EMBEDDED_STORE: 'memory',
      BACKTEST_RECENT_TRANSACTIONS: '0',
      ...opts.env,
    }),
  );
  const kept: ScoreResponse[] = [];
  let last = performance.now();
  try {
    for (const [i, tx] of opts.transactions.entries()) {
      const { response } = await app.score(tx);
      if (opts.keep(i)) kept.push(response);
      if (performance.now() - last > 3000) {
        last = performance.now();
        opts.log(`  ${opts.label}: ${i + 1} of ${opts.transactions.length} scored`);
      }
    }
  } finally {
    await app.close();
  }
  return kept;
}
